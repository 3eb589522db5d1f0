"""The `hubforce` command: serve the fakes, run the sync engine, run scenarios."""

from __future__ import annotations

import argparse
import gc
import importlib
import sys
from typing import NoReturn

# Each subcommand group lives with the code it drives and registers itself here.
SUBCOMMAND_MODULES = ("hubforce.serve", "sync.cli", "scenarios.cli")
# The young generation is collected every GC_YOUNG allocations instead of CPython's 700. Every
# hubforce process allocates millions of short-lived dicts (JSON pages, records, rows) and makes
# few reference cycles; at 700 the collector ran ~8% of a 30k-contact sync engine cycle. The older
# generations keep short thresholds so garbage held in cycles (ORM sessions) does not pile up.
GC_YOUNG = 20_000


def tune_gc() -> None:
    gc.set_threshold(GC_YOUNG, 10, 10)


class OneLineErrorParser(argparse.ArgumentParser):
    """Bad flags give one line on stderr and exit 2 (argparse's default prints the usage block
    first); `--help` still prints the full usage. Subparsers inherit the class."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineErrorParser(prog="hubforce", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    for name in SUBCOMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    tune_gc()
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
