"""Command groups of installed distributions: the ``cloudphoenix.commands`` entry-point group.

A distribution declares ``NAME = "module:register"`` in that group (in pyproject.toml,
``[project.entry-points."cloudphoenix.commands"]``), and ``register(commands)`` adds its parsers
as a built-in group does. ``phoenix sandbox`` arrives this way: ``bot`` never imports
``sandbox``, which sits above it in the layers, and a distribution that does not declare the
entry point has no such command. A group that cannot be loaded, or that takes a name already
taken, is left out with one line on stderr: a broken extension must not take the other
commands down with it.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterable
from importlib.metadata import EntryPoint, entry_points
from typing import TextIO

from bot.cli.parser import Commands

GROUP = "cloudphoenix.commands"


def installed() -> list[EntryPoint]:
    """The group's entry points, by name (the order ``phoenix --help`` lists them in)."""
    return sorted(entry_points(group=GROUP), key=lambda found: found.name)


def register_extensions(
    commands: Commands[argparse.ArgumentParser], extensions: Iterable[EntryPoint], stderr: TextIO
) -> None:
    for extension in extensions:
        try:
            extension.load()(commands)
        except Exception as exc:  # noqa: BLE001  # whatever it raised, the rest still work
            stderr.write(
                f"phoenix: the {extension.name!r} commands ({extension.value}) are left out: "
                f"{type(exc).__name__}: {exc}\n"
            )
