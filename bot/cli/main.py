"""`phoenix ...`: the command line. Each command group lives in its own module and registers
its subcommands here; a command returns its exit status (0 ok, 1 a failed check, 2 bad input).
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Callable, Sequence

from bot.cli import config as cli_config
from bot.cli import plans as cli_plans
from bot.cli import runs as cli_runs
from bot.cli import serve as cli_run

Register = Callable[["argparse._SubParsersAction[argparse.ArgumentParser]"], None]

# Each module exposes `register(subparsers)`; its parsers set `func=callable(args) -> int`.
COMMAND_MODULES: tuple[Register, ...] = (
    cli_config.register,
    cli_plans.register,
    cli_runs.register,
    cli_run.register,
)


# Found by name at run time: `sandbox` sits above `bot` in the layers, so `bot` never imports it
# statically; a distribution without the sandbox simply has no `phoenix sandbox`.
OPTIONAL_COMMAND_MODULES: tuple[str, ...] = ("sandbox.cli",)


def _optional_commands() -> list[Register]:
    found: list[Register] = []
    for name in OPTIONAL_COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name is not None and name.startswith(exc.name):
                continue
            raise
        found.append(module.register)
    return found


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="phoenix",
        description="CloudPhoenix: multi-cloud disaster recovery, run from Slack.",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for register in (*COMMAND_MODULES, *_optional_commands()):
        register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    func = getattr(args, "func", None)
    if func is None:
        parser.print_help()
        return 2
    try:
        status: int = func(args)
    except KeyboardInterrupt:
        return 130
    return status


if __name__ == "__main__":
    sys.exit(main())
