"""Issue 17 bug 14: a soak ends near the time asked (it stops between examples, sizing batches by
the slowest example) and says how many examples and steps it ran."""

from __future__ import annotations

import re
import time

import pytest

from hubforce.testing import soak


def test_a_short_soak_ends_on_time_and_counts_examples_and_steps(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("examples", "checks"):
        monkeypatch.setattr(soak._Counter, name, 0)
    monkeypatch.setattr(soak._Counter, "slowest", 0.0)
    asked = 6.0
    start = time.monotonic()
    assert soak.main(["--seconds", str(asked), "--seed", "3", "--steps", "8", "--webhooks", "off"]) == 0
    took = time.monotonic() - start
    out = capsys.readouterr().out
    final = re.search(r"soak: (\d+) examples, (\d+) steps in ([\d.]+) s", out)
    assert final, out
    examples, steps = int(final.group(1)), int(final.group(2))
    assert examples >= 1 and examples <= steps <= examples * 8
    # The last batch is sized by the slowest example seen before it, so on a loaded machine it can
    # overrun by about one example more than that (and Hypothesis's per-batch set-up); a soak that
    # ignored the deadline would run its whole batches (--batch) far past it.
    assert took <= asked + 2 * soak._Counter.slowest + 2.0, (took, soak._Counter.slowest, out)
    assert took >= asked - soak._Counter.slowest / 2 - 0.5, out  # and not long before it
