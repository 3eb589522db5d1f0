"""`python -m bench [NAME ...]`: run the benchmarks and print their figures. Exits 1 when a
benchmark that checks its target (its main() returns non-zero) missed it."""

from __future__ import annotations

import importlib
import sys

BENCHES = ("hubspot_fake", "salesforce_fake", "sync_engine", "scenario_suite", "parallel_clients")


def main(argv: list[str]) -> int:
    names = argv or list(BENCHES)
    missed: list[str] = []
    for name in names:
        if name not in BENCHES:
            print(f"unknown benchmark {name!r}; known: {', '.join(BENCHES)}", file=sys.stderr)
            return 2
        try:
            module = importlib.import_module(f"bench.{name}")
        except ModuleNotFoundError as exc:
            print(f"== {name}: not available ({exc})")
            continue
        if module.main():
            missed.append(name)
    if missed:
        print(f"bench: target missed in {', '.join(missed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
