"""Hypothesis settings profiles for the sync state machine.

- `ci`: what `make test` runs — deterministic (derandomized), no deadline (an example drives two
  fakes and an engine; its duration says nothing about correctness), the failing example printed
  as a blob to replay, and a size that fits a minute or two on 2 workers.
- `soak`: many examples with random seeds, for `python -m hubforce.testing.soak`.
- `dev`: a handful of examples for a quick local look.
"""

from __future__ import annotations

from hypothesis import HealthCheck, Phase, settings

COMMON = {
    "deadline": None,
    "print_blob": True,
    # Examples are whole multi-step programs over two fakes: slow by design, and the machine's
    # preconditions filter many draws.
    "suppress_health_check": [HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large],
    "database": None,  # replay by seed/blob, not a local example database that differs per machine
}

settings.register_profile("ci", max_examples=75, stateful_step_count=30, derandomize=True, **COMMON)
settings.register_profile("soak", max_examples=1_000_000, stateful_step_count=50, **COMMON)
settings.register_profile("dev", max_examples=5, stateful_step_count=20, derandomize=True, **COMMON)
# For tests that expect a failure: find it, do not spend minutes shrinking it.
settings.register_profile(
    "find",
    max_examples=40,
    stateful_step_count=30,
    derandomize=True,
    phases=[Phase.explicit, Phase.generate],
    report_multiple_bugs=False,
    **COMMON,
)
