"""`python -m bench [NAME ...] [--option ...]`: run the benchmarks and print their figures. Options
after the names go to the one benchmark named (e.g. `python -m bench sync_engine --tier enterprise`).
Exits non-zero when a benchmark reports a missed target."""

from __future__ import annotations

import importlib
import inspect
import sys

BENCHES = ("hubspot_fake", "salesforce_fake", "sync_engine", "scenario_suite", "parallel_clients")


def main(argv: list[str]) -> int:
    first_option = next((i for i, a in enumerate(argv) if a.startswith("-")), len(argv))
    names, options = argv[:first_option] or list(BENCHES), argv[first_option:]
    if options and len(names) != 1:
        print("options go to one benchmark: python -m bench NAME --option ...", file=sys.stderr)
        return 2
    failed: list[str] = []
    for name in names:
        if name not in BENCHES:
            print(f"unknown benchmark {name!r}; known: {', '.join(BENCHES)}", file=sys.stderr)
            return 2
        try:
            module = importlib.import_module(f"bench.{name}")
        except ModuleNotFoundError as exc:
            print(f"== {name}: not available ({exc})")
            continue
        if options and not inspect.signature(module.main).parameters:
            print(f"benchmark {name!r} takes no options", file=sys.stderr)
            return 2
        status = module.main(options) if options else module.main()
        if status:
            failed.append(name)
    if failed:
        print(f"targets missed in: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
