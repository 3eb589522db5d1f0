"""Long runs of the sync state machine: `python -m hubforce.testing.soak --seconds 600 [--seed S]`.

Runs batches of examples, each batch a Hypothesis run with its own seed (base seed + batch number),
until the time is up; prints the base seed first and, at the end, how many examples and steps ran.
A failure is shrunk and printed by Hypothesis (the minimal program and a `@reproduce_failure` blob),
followed by the command that replays exactly that batch.

Ending on time (issue 17, bug 14): examples vary widely in cost, so a batch is sized by the SLOWEST
example seen so far (the first batch is one example), never by the average rate; no batch starts
once the time is up (or with less than half the slowest example's time left). A run therefore ends
within about half an example of --seconds.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from typing import Any

from hubforce.testing.machine import SyncMachine
from hubforce.testing.runner import make_machine, run_state_machine


class _Counter:
    examples = 0
    checks = 0  # step invariant checks: one after the initialize step, then one per rule step
    slowest = 0.0  # seconds of the slowest example so far


def _count_check(_machine: SyncMachine) -> None:
    _Counter.checks += 1


def _counting(settings: str | None, webhooks: bool | None = None) -> type[SyncMachine]:
    base = make_machine(settings, webhooks=webhooks)

    class Counted(base):  # type: ignore[misc, valid-type]
        step_invariants = (*base.step_invariants, _count_check)

        def __init__(self) -> None:
            super().__init__()
            self._started = time.monotonic()

        def teardown(self) -> None:
            _Counter.examples += 1
            _Counter.slowest = max(_Counter.slowest, time.monotonic() - self._started)
            super().teardown()

    Counted.__name__ = "SoakSyncMachine"
    return Counted


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m hubforce.testing.soak", description=__doc__.split("\n\n")[0])
    ap.add_argument("--seconds", type=float, default=600.0, help="how long to run (default 600)")
    ap.add_argument("--seed", type=int, default=None, help="base seed (default: random, printed)")
    ap.add_argument(
        "--settings", default=None, help="a sync settings YAML file to test instead of drawn ones"
    )
    ap.add_argument("--steps", type=int, default=50, help="steps per example (default 50)")
    ap.add_argument("--batch", type=int, default=50, help="examples per batch (default 50)")
    ap.add_argument("--once", action="store_true", help="run one batch only (to replay a failure)")
    ap.add_argument(
        "--webhooks",
        choices=["drawn", "on", "off"],
        default="drawn",
        help="HubSpot webhook capture: drawn per example (default), always or never",
    )
    args = ap.parse_args(argv)
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(2**32)
    print(f"soak: base seed {seed}, {args.seconds:g} s, {args.steps} steps per example", flush=True)
    webhooks = {"drawn": None, "on": True, "off": False}[args.webhooks]
    machine = _counting(args.settings, webhooks)
    start = time.monotonic()
    batch = 0
    while True:
        elapsed = time.monotonic() - start
        left = args.seconds - elapsed
        # no batch starts once the time is up, nor when less than half the slowest example is
        # left: stopping now ends nearer the time asked than one more example would
        if batch and (args.once or left <= 0 or left < _Counter.slowest / 2):
            break
        size = args.batch if args.once else _batch_size(args.batch, left)
        batch_seed = seed + batch
        try:
            _run(machine, batch_seed, size, args.steps)
        except BaseException as exc:  # noqa: BLE001 - report any failure with how to replay it
            if isinstance(exc, KeyboardInterrupt):
                raise
            print(f"\nsoak: FAILED in batch {batch + 1} after {_Counter.examples} examples: {type(exc).__name__}")
            print(
                "soak: replay with: python -m hubforce.testing.soak --once "
                f"--seed {batch_seed} --batch {size} --steps {args.steps}"
                + (f" --settings {args.settings}" if args.settings else "")
                + (f" --webhooks {args.webhooks}" if args.webhooks != "drawn" else "")
            )
            _summary(start)
            return 1
        batch += 1
        rate = _Counter.examples / max(1e-9, time.monotonic() - start)
        print(
            f"soak: batch {batch} done, {_Counter.examples} examples, {rate:.2f} examples/s,"
            f" slowest example {_Counter.slowest:.1f} s",
            flush=True,
        )
    _summary(start)
    return 0


def _batch_size(most: int, left: float) -> int:
    """As many examples as fit in the time left if each were as slow as the slowest seen so far."""
    if _Counter.slowest <= 0:
        return 1
    return max(1, min(most, int(left / _Counter.slowest)))


def _run(machine: type[SyncMachine], seed: int, size: int, steps: int) -> None:
    kwargs: dict[str, Any] = {"max_examples": size, "stateful_step_count": steps, "seed": seed}
    run_state_machine_for(machine, **kwargs)


def run_state_machine_for(machine: type[SyncMachine], **kwargs: Any) -> None:
    """`run_state_machine` for an already-built machine class (the soak's counting subclass)."""
    import hypothesis
    from hypothesis.stateful import get_state_machine_test

    seed = kwargs.pop("seed")
    base = hypothesis.settings.get_profile("soak")
    test = get_state_machine_test(machine, settings=hypothesis.settings(base, **kwargs))
    hypothesis.seed(seed)(test)()


def _summary(start: float) -> None:
    elapsed = time.monotonic() - start
    n = _Counter.examples
    steps = max(0, _Counter.checks - n)
    print(
        f"soak: {n} examples, {steps} steps in {elapsed:.1f} s = {n / max(elapsed, 1e-9):.2f} examples/s",
        flush=True,
    )


if __name__ == "__main__":
    sys.exit(main())

__all__ = ["main", "run_state_machine"]
