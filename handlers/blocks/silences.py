"""A silence in the channel: its announcement (who, until when, why), edited when someone ends
it, and the proposal it holds back, noted in its thread. A level-3 proposal made past a silence
says so on itself (``proposals``)."""

from __future__ import annotations

from datetime import datetime

from slack_sdk.models.blocks import Block

from engine.incidents.lifecycle import HeldBack
from engine.model import Level
from engine.records import Silence
from handlers.blocks.kit import (
    LEVEL_NAMES,
    Rendered,
    context,
    dump,
    escape,
    md,
    mention,
    silenced_by,
)
from handlers.blocks.proposals import breakdown_text


def silence_message(
    silence: Silence, *, ended_by: str | None = None, ended_at: datetime | None = None
) -> Rendered:
    """The announcement of ``silence``; once ``ended_by`` someone, it says so instead."""
    if ended_by is not None:
        when = f" at {ended_at:%H:%M} UTC" if ended_at else ""
        line = (
            f":loud_sound: ~{silenced_by(silence)}~\nEnded by {mention(ended_by)}{when}: "
            "automatic proposals are back on."
        )
        return Rendered(f"Silence ended by {mention(ended_by)}", dump([md(line)]))
    blocks: list[Block] = [
        md(f":mute: {silenced_by(silence)}"),
        context(
            "A level-3 loss confirmed by quorum is still proposed. What this silence holds "
            "back is noted in this thread; `/phoenix unsilence` ends it."
        ),
    ]
    return Rendered(silenced_by(silence), dump(blocks))


def held_back_message(held: HeldBack) -> Rendered:
    """The proposal a silence holds back, said once in the silence's thread."""
    level = Level(held.level)
    title = f"Level {level:d} ({LEVEL_NAMES[level]}) held back by a silence"
    lines = [
        f":mute: *{title}* · plan `{escape(held.plan)}` · score {held.score}",
        f"*Why:* {escape(held.reason)}",
        f"{silenced_by(held.silence)}. It is proposed when the silence ends if the breach still "
        "holds, or at the next evaluation after `/phoenix unsilence`.",
    ]
    lines += [f"Also active: {silenced_by(other)}" for other in held.others]
    blocks: list[Block] = [
        md("\n".join(lines)),
        md(f"*Breakdown*\n{breakdown_text(held.breakdown)}"),
    ]
    return Rendered(title, dump(blocks))
