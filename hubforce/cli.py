"""The `hubforce` command: serve the fakes, run the sync engine, run scenarios."""

from __future__ import annotations

import argparse
import importlib
import sys

# Each subcommand group lives with the code it drives and registers itself here.
SUBCOMMAND_MODULES = ("hubforce.serve", "sync.cli", "scenarios.cli")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="hubforce", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    for name in SUBCOMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
