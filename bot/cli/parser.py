"""The argument parser every ``phoenix`` command is built on, and the options commands share.

Every parser takes ``-v``, however deep it sits: the parser class adds it, so the parsers of a
command group from an entry point get it too. It defaults to "not given" below the top, so
``phoenix -v plan show NAME`` and ``phoenix plan show NAME -v`` mean the same. The shared
options say in their help which variable they override.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

Commands = argparse._SubParsersAction  # what ``add_subparsers`` returns; argparse names it so
Register = Callable[["Commands[argparse.ArgumentParser]"], None]
"""A command group: adds its parsers, each with ``func=callable(invocation) -> exit status``."""


class HelpLayout(argparse.RawDescriptionHelpFormatter):
    """Help with room for the longest command name beside its help, and the description and
    epilog laid out as written."""

    def __init__(self, prog: str) -> None:
        super().__init__(prog, max_help_position=32)


class CommandParser(argparse.ArgumentParser):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", HelpLayout)
        super().__init__(*args, **kwargs)
        self.add_argument(
            "-v",
            "--verbose",
            action="store_true",
            default=argparse.SUPPRESS,
            help="say on stderr which configuration and store the command uses, and why",
        )


def positive_int(text: str) -> int:
    """An argument type: a whole number above zero, or argparse's usage error naming it."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number above zero, not {text!r}")
    return value


def add_config_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--config",
        metavar="FILE",
        help="the phoenix.yaml to use (default: $PHOENIX_CONFIG, else ./phoenix.yaml)",
    )


def add_store_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--store",
        metavar="URL",
        help="the store to read (default: $PHOENIX_STORE_URL, else sqlite:///./phoenix.db)",
    )


def add_json_option(parser: argparse.ArgumentParser, what: str) -> None:
    parser.add_argument("--json", action="store_true", help=f"print {what} as JSON")
