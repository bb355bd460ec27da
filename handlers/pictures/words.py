"""What a picture says in words: its title, the RTO and RPO against their objectives, each
stage's line, and the description that goes with it (the Slack comment, the image's alt text,
the PNG's metadata). Plain Python, no plotting: the message and the picture say one thing."""

from __future__ import annotations

import re

from engine.drills.timeline import PersonWait, RunTimeline, StageLane, WaitKind
from engine.text import clip
from handlers.blocks.kit import duration_text

ALT_TEXT_LIMIT = 1000
"""Slack's limit on an image's description (files.getUploadURLExternal ``alt_txt``)."""

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def headline(t: RunTimeline) -> str:
    mark = "✓" if t.passed else "✗"
    if t.kind == "failover":
        if t.state.value != "succeeded":
            return f"{mark} Failover {t.name} {t.state.value}"
        met = "within the objectives" if t.passed else "over an objective"
        return f"{mark} Failover {t.name}: {met}"
    return f"{mark} {t.kind.capitalize()} {t.name} {'passed' if t.passed else 'failed'}"


def subline(t: RunTimeline) -> str:
    when = t.clock_started_at.strftime("%Y-%m-%d %H:%M UTC")
    return f"plan {t.plan} · {when}\nrun {t.run_id}"


def rto_words(t: RunTimeline) -> str:
    return "RTO " + _against(t.rto_seconds, t.rto_objective, "not measured")


def rpo_words(t: RunTimeline) -> str:
    return "RPO " + _against(t.rpo_seconds, t.rpo_objective, "not evidenced")


def objective_words(seconds: float) -> str:
    return f"objective {duration_text(seconds)}"


def clock_words(t: RunTimeline) -> str:
    """The timeline's axis: what the clock counts from."""
    return f"time since the {t.clock_start}"


def lane_words(lane: StageLane) -> str:
    """A stage's line: its name, how long it took, its retries, how it ended."""
    parts = [lane.name]
    start, end = lane.start, lane.end
    if start is not None and end is not None and lane.state != "skipped":
        parts.append(duration_text(end - start))
    if lane.retries:
        parts.append(f"{lane.retries} {'retry' if lane.retries == 1 else 'retries'}")
    if lane.state not in ("succeeded",):
        parts.append(lane.state.replace("_", " "))
    return " · ".join(parts)


def wait_words(wait: PersonWait) -> str:
    took = duration_text(wait.end - wait.start)
    if wait.kind is WaitKind.APPROVAL:
        who = len(wait.people)
        approvals = f"{who} approval{'s' if who != 1 else ''}" if who else "approval"
        return f"waited {took} for {approvals}"
    if wait.kind is WaitKind.GATE:
        return f"waited {took} for a person"
    return f"paused {took} for a person"


def description(t: RunTimeline) -> str:
    """One paragraph that says what the picture shows (alt text, PNG metadata), within Slack's
    alt-text limit."""
    stages = ", ".join(lane_words(lane) for lane in t.stages)
    text = (
        f"{headline(t)}. {rto_words(t)} ({t.rto_basis}). {rpo_words(t)}. "
        f"Stages, in time since the {t.clock_start}: {stages}."
    )
    return clip(text, ALT_TEXT_LIMIT)


def comment(t: RunTimeline) -> str:
    """The line that introduces the picture in the thread."""
    return f"Timeline of {t.kind} {t.name}: {rto_words(t)} · {rpo_words(t)}"


def filename(t: RunTimeline) -> str:
    name = _UNSAFE.sub("-", f"{t.kind}-{t.name}-{t.run_id}").strip("-")
    return f"{name}.png"


def _against(value: float | None, objective: float, missing: str) -> str:
    if value is None:
        return f"{missing} ({objective_words(objective)})"
    if value <= objective:
        return f"{duration_text(value)} ✓ within {duration_text(objective)}"
    return f"{duration_text(value)} ✗ over {duration_text(objective)}"
