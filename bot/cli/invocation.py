"""One run of a ``phoenix`` command: its parsed arguments, the settings it shares with the bot,
where its configuration and store are and what chose them, and its two output streams.

Every command chooses a location the same way: a flag on the command line, else the variable
the bot reads (``PHOENIX_CONFIG``, ``PHOENIX_STORE_URL``), else the bot's default. With ``-v``
a command says on stderr which it used and why. The settings are read from ``bot.settings`` on
first need, never before, and the engine only when a command loads a configuration or opens a
store: ``phoenix --help`` and a command given its file pay for neither.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from bot.cli import exits
from bot.cli.output import Output

if TYPE_CHECKING:
    from bot.settings import CommandSettings
    from engine.config import PhoenixConfig
    from engine.errors import ConfigError
    from engine.store import Store

COMMAND_LINE = "given on the command line"
DEFAULT = "the default"


@dataclass(frozen=True)
class Location:
    """Where a command's configuration or store is, and what chose it. ``shown`` is ``where``
    fit to print (a store URL without its password)."""

    where: str
    chosen_by: str
    shown: str = ""

    @property
    def defaulted(self) -> bool:
        return self.chosen_by == DEFAULT

    def __str__(self) -> str:
        return f"{self.shown or self.where} ({self.chosen_by})"


class Invocation:
    """What a command function receives: ``func(invocation) -> exit status``."""

    def __init__(
        self,
        args: argparse.Namespace,
        *,
        stdout: TextIO | None = None,
        stderr: TextIO | None = None,
    ) -> None:
        self.args = args
        self.out = Output(stdout or sys.stdout, self._colour_allowed)
        self.err = Output(stderr or sys.stderr, self._colour_allowed)

    @property
    def verbose(self) -> bool:
        return bool(getattr(self.args, "verbose", False))

    @property
    def json(self) -> bool:
        return bool(getattr(self.args, "json", False))

    @cached_property
    def settings(self) -> CommandSettings:
        from bot.settings import SettingsError, load_command_settings

        try:
            return load_command_settings()
        except SettingsError as exc:
            raise exits.CommandFailed(exits.BAD_INPUT, f"phoenix: {exc}") from None

    def tell(self, text: str) -> None:
        """A line for ``-v`` only, on stderr."""
        if self.verbose:
            self.err.line(f"phoenix: {text}")

    # -- the configuration

    def config_location(self) -> Location:
        given = getattr(self.args, "config", None)
        if given:
            return Location(given, COMMAND_LINE)
        settings = self.settings
        chosen = "from PHOENIX_CONFIG" if "config_path" in settings.model_fields_set else DEFAULT
        return Location(str(settings.config_path), chosen)

    def configuration(self, *, defaults_without_file: bool = False) -> PhoenixConfig:
        """The configuration the command runs with. ``defaults_without_file``: when no file was
        named and the default one does not exist, the built-in defaults (and built-in plans).
        An unusable file stops the command with one line per problem (exit 2)."""
        from engine.config import PhoenixConfig, load_config
        from engine.errors import ConfigError

        location = self.config_location()
        if defaults_without_file and location.defaulted and not Path(location.where).exists():
            self.tell(f"config: none, {location.where} does not exist: the built-in defaults")
            return PhoenixConfig()
        self.tell(f"config: {location}")
        try:
            return load_config(location.where)
        except ConfigError as exc:
            raise exits.CommandFailed(exits.BAD_INPUT, *config_problems(exc)) from None

    # -- the store

    def store_location(self) -> Location:
        from bot.wiring.store import redacted

        given = getattr(self.args, "store", None)
        if given:
            return Location(given, COMMAND_LINE, redacted(given))
        settings = self.settings
        chosen = "from PHOENIX_STORE_URL" if "store_url" in settings.model_fields_set else DEFAULT
        return Location(settings.store_url, chosen, redacted(settings.store_url))

    def open_store(self) -> Store:
        """The store, opened to read: it is never created here. ``StoreNotCreated`` passes
        through (a reader may take it as empty); any other fault stops the command (exit 1)."""
        from bot.wiring.store import open_store
        from engine.errors import StoreError, StoreNotCreated

        location = self.store_location()
        self.tell(f"store: {location}")
        try:
            return open_store(location.where, create=False)
        except StoreNotCreated:
            raise
        except StoreError as exc:
            raise exits.CommandFailed(exits.FAILED, f"cannot read the store: {exc}") from None

    def _colour_allowed(self) -> bool:
        try:
            return self.settings.colour
        except exits.CommandFailed:
            return False


def config_problems(exc: ConfigError) -> list[str]:
    """A configuration's faults as a person reads them: the file, then one line per problem."""
    return [f"{exc.source}: invalid configuration", *(f"  {p}" for p in exc.problems)]
