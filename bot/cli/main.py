"""`phoenix`: parse, run one command, exit with its status (``bot.cli.exits``).

Built-in command groups are the modules of ``COMMAND_GROUPS``; other distributions add theirs
through an entry point (``bot.cli.extensions``). A group's module imports no SDK and no engine
service at the top: what a command needs it imports when it runs, so ``phoenix --help`` starts
in a fraction of a second and one command never pays for another's clients.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Iterable, Sequence
from importlib.metadata import EntryPoint
from typing import Any, cast

from bot.cli import breakglass as break_glass_commands
from bot.cli import config as config_commands
from bot.cli import drills as drill_commands
from bot.cli import exits, extensions
from bot.cli import health as health_commands
from bot.cli import plans as plan_commands
from bot.cli import readiness as readiness_commands
from bot.cli import runs as run_commands
from bot.cli import serve as serve_commands
from bot.cli import status as status_commands
from bot.cli.invocation import Invocation
from bot.cli.parser import CommandParser, Commands, Register

COMMAND_GROUPS: tuple[Register, ...] = (
    config_commands.register,
    drill_commands.register,
    health_commands.register,
    plan_commands.register,
    readiness_commands.register,
    run_commands.register,
    serve_commands.register,
    status_commands.register,
    break_glass_commands.register,
)

DISTRIBUTION = "cloudphoenix"


class _Phoenix(CommandParser):
    """The top parser; its help ends with the environment and the exit statuses, worked out
    only when help is asked for."""

    def format_help(self) -> str:
        if self.epilog is None:
            self.epilog = _epilog()
        return super().format_help()


class _Version(argparse.Action):
    """``--version``, looked up only when asked for."""

    def __init__(self, option_strings: Sequence[str], dest: str, **kwargs: Any) -> None:
        super().__init__(
            option_strings,
            dest=argparse.SUPPRESS,
            default=argparse.SUPPRESS,
            nargs=0,
            help="print the installed version and exit",
        )

    def __call__(self, parser: argparse.ArgumentParser, *args: Any) -> None:
        print(f"phoenix {installed_version()}")
        parser.exit()


def installed_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(DISTRIBUTION)
    except PackageNotFoundError:
        return f"(unknown: the {DISTRIBUTION} distribution is not installed)"


def build_parser(
    installed_extensions: Iterable[EntryPoint] | None = None,
) -> argparse.ArgumentParser:
    """The whole command line; ``installed_extensions`` replaces the installed entry points."""
    parser = _Phoenix(
        prog="phoenix",
        description="CloudPhoenix: multi-cloud disaster recovery, run from Slack.",
    )
    parser.add_argument("--version", action=_Version)
    # Every parser below the top is a plain CommandParser: the top's epilog is its own.
    commands = cast(
        "Commands[argparse.ArgumentParser]",
        parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=CommandParser),
    )
    for register in COMMAND_GROUPS:
        register(commands)
    found = extensions.installed() if installed_extensions is None else installed_extensions
    extensions.register_extensions(commands, found, sys.stderr)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    try:
        parser = build_parser()
        args = parser.parse_args(argv)
        func = getattr(args, "func", None)
        if func is None:
            parser.print_help()
            return exits.BAD_INPUT
        status: int = func(Invocation(args))
        sys.stdout.flush()
    except exits.CommandFailed as failed:
        for line in failed.lines:
            print(line, file=sys.stderr)
        return failed.status
    except BrokenPipeError:
        _discard_stdout()
        return exits.READER_GONE
    except KeyboardInterrupt:
        return exits.INTERRUPTED
    return status


def _discard_stdout() -> None:
    """The reader went away: what is still buffered goes nowhere, so the interpreter's last
    flush at exit cannot raise again (the Python documentation's advice on SIGPIPE)."""
    try:
        fileno = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, fileno)
    os.close(devnull)


def _epilog() -> str:
    from bot.settings import documented_variables

    lines = ["environment (read as the bot reads it; a flag on the command line wins):"]
    for readers, variables in documented_variables().items():
        lines.append(f"  {readers}:")
        width = max(len(name) for name, _ in variables)
        lines += [f"    {name.ljust(width)}  {meaning}" for name, meaning in variables]
    lines += ["", "exit status:"]
    lines += [f"  {status:<3}  {meaning}" for status, meaning in exits.MEANINGS]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
