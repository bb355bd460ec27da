"""What every surface shares: the rendered value, escaping, clipping, the small Block Kit pieces."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from slack_sdk.models.blocks import (
    Block,
    ButtonElement,
    ContextBlock,
    MarkdownTextObject,
    PlainTextObject,
    SectionBlock,
)

from engine.cron import zone
from engine.duration import format_duration
from engine.incidents.proposals import SilenceMark
from engine.model import Level
from engine.records import Silence
from engine.text import clip
from handlers.ids import ActionId

Json = dict[str, Any]

SECTION_TEXT = 2900
"""What a section's text may hold: Slack allows 3000 characters."""

LEVEL_NAMES = {
    Level.NONE: "healthy",
    Level.SELF_HEAL: "self-healing",
    Level.REGION_FAILOVER: "region failover",
    Level.DR_FAILOVER: "DR failover to Azure",
}


@dataclass(frozen=True)
class Rendered:
    text: str
    blocks: list[Json] = field(default_factory=list)

    def as_kwargs(self) -> Json:
        return {"text": self.text, "blocks": self.blocks}


def escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def dump(blocks: Sequence[Block]) -> list[Json]:
    return [b.to_dict() for b in blocks]


def md(text: str) -> SectionBlock:
    return SectionBlock(text=MarkdownTextObject(text=clip(text, SECTION_TEXT)))


def context(text: str) -> ContextBlock:
    return ContextBlock(elements=[MarkdownTextObject(text=clip(text, 2900))])


def utc_time(at: datetime | None) -> str:
    return at.strftime("%Y-%m-%d %H:%M:%S UTC") if at else "never"


def zone_time(at: datetime, timezone: str) -> str:
    """``at`` on the wall clock of ``timezone`` (a drill's), e.g. ``Tue 2026-01-13 10:00 CET
    (Europe/Berlin)``; empty for UTC, which ``utc_time`` says already."""
    if timezone == "UTC":
        return ""
    return f"{at.astimezone(zone(timezone)):%a %Y-%m-%d %H:%M %Z} ({timezone})"


def duration_text(seconds: float | None) -> str:
    return "—" if seconds is None else format_duration(timedelta(seconds=seconds))


def button(
    text: str, action: ActionId, value: str, style: str | None = None, confirm: Any = None
) -> ButtonElement:
    return ButtonElement(
        text=PlainTextObject(text=text),
        action_id=action.value,
        value=value,
        style=style,
        confirm=confirm,
    )


def mention(user: str) -> str:
    """A user as Slack shows them (their name, and a notification); the engine knows ids only."""
    return f"<@{user}>"


def silenced_by(silence: Silence | SilenceMark) -> str:
    """Who silenced automatic proposals, until when and why, as one clause."""
    if isinstance(silence, Silence):
        silence = SilenceMark.of(silence)
    return (
        f"{mention(silence.by)} silenced automatic proposals until "
        f"{silence.until:%Y-%m-%d %H:%M} UTC: {escape(silence.reason)}"
    )


def notice(text: str) -> Rendered:
    return Rendered(text, dump([md(escape_links_kept(text))]))


def escape_links_kept(text: str) -> str:
    """Escape ``&`` only: the sentences handlers compose may carry ``mention``s on purpose."""
    return text.replace("&", "&amp;")


def thread_note(text: str) -> Rendered:
    """A note in an incident's thread (resolution, stepping down, a flapping signal)."""
    return Rendered(text, dump([md(escape_links_kept(text))]))
