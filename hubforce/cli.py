"""The `hubforce` command: serve the fakes, run the sync engine, run scenarios."""

from __future__ import annotations

import argparse
import gc
import importlib
import sys
from typing import Any, NoReturn

# Each subcommand group lives with the code it drives and registers itself here. The engine-only
# install (`pip install hubforce`, no `[sandbox]` extra) has no Flask, cheroot, Faker..., so a group
# whose module needs the sandbox is registered as a stub that says what to install.
SUBCOMMAND_MODULES = {
    "serve": ("hubforce.serve", "serve the HubSpot and Salesforce fakes (foreground)"),
    "sync": ("sync.cli", "run and operate the HubSpot <-> Salesforce sync engine"),
    "scenarios": ("scenarios.cli", "run the scenario files and report behaviour coverage"),
}
# What `pip install 'hubforce[sandbox]'` adds; a missing one of these means "not installed", not a bug.
SANDBOX_PACKAGES = frozenset(
    {
        "flask",
        "werkzeug",
        "cheroot",
        "trustme",
        "responses",
        "faker",
        "jsonschema",
        "sortedcontainers",
        "hypothesis",
    }
)
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
    for name, (module, help_text) in SUBCOMMAND_MODULES.items():
        try:
            importlib.import_module(module).register(sub)
        except ModuleNotFoundError as exc:
            if (exc.name or "").split(".")[0] not in SANDBOX_PACKAGES:
                raise
            _register_missing(sub, name, help_text, exc.name or "")
    return parser


def _register_missing(sub: Any, name: str, help_text: str, package: str) -> None:
    p = sub.add_parser(name, help=f"{help_text} [needs the sandbox extra]", add_help=False)
    p.add_argument("rest", nargs=argparse.REMAINDER)

    def missing(_args: argparse.Namespace) -> int:
        print(
            f"hubforce {name}: needs the sandbox ({package} is not installed):"
            " pip install 'hubforce[sandbox]'",
            file=sys.stderr,
        )
        return 2

    p.set_defaults(func=missing)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    tune_gc()
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
