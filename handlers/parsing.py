"""``/phoenix`` text -> a typed command, or a usage problem with the closest valid
subcommand. Pure: any text at all gives one or the other, never an exception."""

from __future__ import annotations

import difflib
from collections.abc import Collection
from dataclasses import dataclass
from datetime import timedelta

from engine.duration import format_duration, parse_duration
from engine.text import clip

MAX_HISTORY = 50
MAX_SILENCE = timedelta(days=7)
SUBCOMMAND_NAMES = (
    "status",
    "history",
    "failover",
    "failback",
    "silence",
    "unsilence",
    "drill",
    "readiness",
    "help",
)


@dataclass(frozen=True)
class Status:
    service: str | None = None


@dataclass(frozen=True)
class History:
    count: int = 5


@dataclass(frozen=True)
class Failover:
    plan: str


@dataclass(frozen=True)
class Failback:
    pass


@dataclass(frozen=True)
class Silence:
    duration: timedelta
    reason: str


@dataclass(frozen=True)
class Unsilence:
    pass


@dataclass(frozen=True)
class Help:
    pass


@dataclass(frozen=True)
class Readiness:
    pass


@dataclass(frozen=True)
class DrillList:
    pass


@dataclass(frozen=True)
class DrillRun:
    name: str


@dataclass(frozen=True)
class DrillSkip:
    name: str


@dataclass(frozen=True)
class Usage:
    problem: str
    suggestion: str | None = None


Command = (
    Status
    | History
    | Failover
    | Failback
    | Silence
    | Unsilence
    | Help
    | Readiness
    | DrillList
    | DrillRun
    | DrillSkip
)


def closest(word: str, choices: Collection[str]) -> str | None:
    found = difflib.get_close_matches(word.lower(), sorted(choices), n=1, cutoff=0.5)
    return found[0] if found else None


def parse(
    text: str,
    *,
    plans: Collection[str],
    signals: Collection[str] = (),
    drills: Collection[str] = (),
) -> Command | Usage:
    words = text.split()
    if not words:
        return Help()
    name, args = words[0].lower(), words[1:]
    if name == "help":
        return Help()
    if name == "status":
        if len(args) > 1:
            return Usage("status takes at most one service name", "status")
        if args and signals and args[0] not in signals:
            near = closest(args[0], signals)
            return Usage(
                f"no service or signal named {_short(args[0])!r}",
                f"status {near}" if near else "status",
            )
        return Status(args[0] if args else None)
    if name == "history":
        return _history(args)
    if name == "failover":
        if len(args) != 1:
            return Usage(f"failover needs one plan name ({_list(plans)})", "failover <plan>")
        if args[0] not in plans:
            near = closest(args[0], plans)
            return Usage(
                f"no plan named {_short(args[0])!r} ({_list(plans)})",
                f"failover {near}" if near else None,
            )
        return Failover(args[0])
    if name == "failback":
        return Failback() if not args else Usage("failback takes no arguments", "failback")
    if name == "silence":
        return _silence(args)
    if name == "unsilence":
        return Unsilence() if not args else Usage("unsilence takes no arguments", "unsilence")
    if name == "drill":
        return _drill(args, drills)
    if name == "readiness":
        return Readiness() if not args else Usage("readiness takes no arguments", "readiness")
    near = closest(name, SUBCOMMAND_NAMES)
    return Usage(f"unknown subcommand {_short(words[0])!r}", near)


def _history(args: list[str]) -> History | Usage:
    if not args:
        return History()
    if len(args) == 1 and args[0].isdecimal() and 1 <= int(args[0]) <= MAX_HISTORY:
        return History(int(args[0]))
    return Usage(f"history takes a number from 1 to {MAX_HISTORY}", "history 5")


def _silence(args: list[str]) -> Silence | Usage:
    if not args:
        return Usage("silence needs a duration such as 30m or 2h", "silence 1h maintenance")
    try:
        duration = parse_duration(args[0])
    except ValueError:
        return Usage(f"{_short(args[0])!r} is not a duration (write 30m, 2h, 1h30m)", "silence 1h")
    if duration <= timedelta(0) or duration > MAX_SILENCE:
        return Usage(
            f"a silence lasts more than 0s and at most {format_duration(MAX_SILENCE)}",
            "silence 1h",
        )
    reason = " ".join(args[1:]).strip() or "no reason given"
    return Silence(duration, reason[:300])


def _drill(args: list[str], drills: Collection[str]) -> DrillList | DrillRun | DrillSkip | Usage:
    verbs = ("list", "run", "skip")
    if not args:
        return Usage("drill needs list, run <name> or skip <name>", "drill list")
    verb = args[0].lower()
    if verb == "list":
        return (
            DrillList() if len(args) == 1 else Usage("drill list takes no arguments", "drill list")
        )
    if verb not in verbs:
        near = closest(verb, verbs)
        return Usage(f"unknown drill action {_short(args[0])!r}", f"drill {near}" if near else None)
    if len(args) != 2:
        return Usage(f"drill {verb} needs one drill name ({_list(drills)})", f"drill {verb} <name>")
    if args[1] not in drills:
        near = closest(args[1], drills)
        return Usage(
            f"no drill named {_short(args[1])!r} ({_list(drills)})",
            f"drill {verb} {near}" if near else "drill list",
        )
    return DrillRun(args[1]) if verb == "run" else DrillSkip(args[1])


def _short(word: str) -> str:
    """A word someone typed, short enough to quote back in a usage line."""
    return clip(word, 40)


def _list(names: Collection[str]) -> str:
    return ", ".join(sorted(names)) or "none configured"
