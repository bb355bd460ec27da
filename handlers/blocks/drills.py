"""Drill announcements, the drill thread header and report, and `/phoenix drill list`."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
)

from engine.config import Drill
from engine.drills.desk import AgendaItem, DrillOutcome
from engine.drills.report import DrillReport
from engine.drills.schedule import Occurrence
from engine.duration import format_duration
from engine.runs import Run
from handlers.blocks.kit import (
    Rendered,
    button,
    context,
    dump,
    duration_text,
    escape,
    escape_links_kept,
    md,
    mention,
    utc_time,
    zone_time,
)
from handlers.ids import ActionId, BlockId
from handlers.payloads import DrillButton

_DRILL = ":test_tube: *DR DRILL — not an incident*"


def drill_announcement(
    drill: Drill, occurrence: Occurrence, note: str = "", *, now: datetime | None = None
) -> Rendered:
    """The announcement of a drill, with Postpone and Skip while it can still be moved, and
    who postponed it, when, and to what time. ``now`` is given when an announcement is made:
    it then says how soon the drill starts (an edit leaves that out: it would go stale)."""
    mode = (
        "dry run: every precondition and permission checked, nothing changed"
        if drill.mode == "dry-run"
        else "rehearsal: the drill stages run against the DR side; production traffic stays"
    )
    soon = ""
    if now is not None and occurrence.due > now and not occurrence.closed:
        minutes = round((occurrence.due - now).total_seconds() / 60)
        soon = f" in {format_duration(timedelta(minutes=max(minutes, 1)))}"
    if occurrence.skipped_by is not None:
        when = f"~{utc_time(occurrence.due)}~ — *skipped* by {mention(occurrence.skipped_by)}"
    else:
        local = zone_time(occurrence.due, drill.timezone)
        when = f"*{utc_time(occurrence.due)}*{soon}" + (f" — {local}" if local else "")
    lines = [
        f"{_DRILL} · drill `{escape(drill.name)}` of plan `{escape(drill.plan)}`",
        f"*When:* {when}",
    ]
    if occurrence.postponements:
        moves = "; then ".join(
            f"by {mention(p.by)}"
            + (f" at {utc_time(p.at)}" if p.at else "")
            + f" to {utc_time(p.due)}"
            for p in occurrence.postponements
        )
        lines.append(f"*Postponed* from {utc_time(occurrence.scheduled)} {moves}")
    lines.append(f"*Mode:* {mode}")
    if note:
        lines.append(escape_links_kept(note))
    blocks: list[Block] = [md("\n".join(lines))]
    if not occurrence.closed:
        value = DrillButton.of(occurrence).encode()
        blocks.append(
            ActionsBlock(
                block_id=BlockId.DRILL_CONTROLS.value,
                elements=[
                    button("Postpone 1 hour", ActionId.DRILL_POSTPONE_HOUR, value),
                    button("Postpone 1 day", ActionId.DRILL_POSTPONE_DAY, value),
                    button("Skip", ActionId.DRILL_SKIP, value, "danger"),
                ],
            )
        )
    blocks.append(context("Only approvers may postpone or skip; every click is audited."))
    text = f"DR drill {drill.name} (not an incident){soon}: {utc_time(occurrence.due)}"
    if occurrence.skipped_by is not None:
        text += ", skipped"
    elif occurrence.postponements:
        text += ", postponed"
    return Rendered(text, dump(blocks))


def drill_header(drill: str, run: Run, report: DrillReport | None = None) -> Rendered:
    """The top of a drill's thread: what runs, then how it ended."""
    lines = [
        f"{_DRILL} · drill `{escape(drill)}` · plan `{escape(run.plan)}` · {run.mode.value}",
    ]
    if report is not None:
        verdict = ":white_check_mark: *Drill passed*" if report.passed else ":x: *Drill failed*"
        lines.append(f"{verdict} — report in the thread")
    elif run.state.terminal:
        lines.append(f"*Drill {run.state.value}* — report in the thread")
    else:
        lines.append(":arrow_forward: *Running* — progress in the thread")
    blocks: list[Block] = [md("\n".join(lines)), context(f"drill run `{run.run_id}`")]
    return Rendered(f"DR drill {drill} run (not an incident): {run.state.value}", dump(blocks))


def drill_report_message(report: DrillReport) -> Rendered:
    verdict = ":white_check_mark: *Drill passed*" if report.passed else ":x: *Drill failed*"
    rto = duration_text(report.rto_seconds)
    rpo = duration_text(report.rpo_seconds)
    lines = [
        f"{verdict} · drill `{escape(report.drill)}` · {report.mode.value} · run "
        f"{report.state.value}",
        f"*RTO measured:* {rto} (objective {duration_text(report.rto_objective)}) — "
        f"{escape(report.rto_basis)}",
        f"*RPO evidence:* {rpo} (objective {duration_text(report.rpo_objective)}) — "
        f"{escape(report.rpo_evidence)}",
        "*Why:* " + "; ".join(escape(v) for v in report.verdict),
    ]
    if report.trend:
        points = ", ".join(
            f"{'✓' if p.passed else '✗'} {duration_text(p.rto_seconds)}" for p in report.trend[-5:]
        )
        lines.append(
            f"*Trend* (RTO of earlier drills, oldest first): {points} → {rto}, {report.trend_word}"
        )
    else:
        lines.append("*Trend:* the first drill of this name")
    stages = "\n".join(
        f"• {escape(s.stage)}: {s.state} ({duration_text(s.seconds)})" for s in report.stages
    )
    blocks: list[Block] = [md("\n".join(lines))]
    if stages:
        blocks.append(md(stages))
    verdict_word = "passed" if report.passed else "failed"
    return Rendered(f"Drill {report.drill} {verdict_word}: RTO {rto}, RPO {rpo}", dump(blocks))


def agenda_line(item: AgendaItem) -> str:
    """Where a drill's next occurrence stands: skipped, running, or when it is due (and on
    the drill's own clock)."""
    occurrence = item.occurrence
    if occurrence.skipped_by is not None:
        state = f"skipped by {mention(occurrence.skipped_by)}"
    elif occurrence.run_id is not None:
        state = "running now"
    else:
        state = f"due {utc_time(occurrence.due)}"
        if occurrence.postponed_by:
            state += f" (postponed {len(occurrence.postponed_by)}×)"
        local = zone_time(occurrence.due, item.drill.timezone)
        if local:
            state += f", {local}"
    return f"{escape(item.drill.name)} ({item.drill.mode}) {state}"


def drill_list_message(agenda: Sequence[AgendaItem]) -> Rendered:
    if not agenda:
        return Rendered(
            "No drills scheduled.", dump([md("No drills scheduled (drills in phoenix.yaml).")])
        )
    rows = []
    for item in agenda:
        drill = item.drill
        row = (
            f"• *{escape(drill.name)}* — `{escape(drill.schedule)}` ({escape(drill.timezone)}), "
            f"plan `{escape(drill.plan)}`, {drill.mode}: {agenda_line(item)}"
        )
        if item.last is not None:
            last = item.last
            row += (
                f"\n   last: {'passed' if last.passed else 'failed'} {utc_time(last.finished_at)}, "
                f"RTO {duration_text(last.rto_seconds)}, RPO {duration_text(last.rpo_seconds)}, "
                f"{last.trend_word}"
            )
        rows.append(row)
    return Rendered(f"{len(agenda)} drill(s)", dump([md("*Drills*\n" + "\n".join(rows))]))


def drill_refusal(outcome: DrillOutcome) -> str:
    """Why a drill command or click was refused, naming who did it first when it says so."""
    if outcome.by:
        return f"{outcome.explanation} by {mention(outcome.by)}."
    return outcome.explanation


def drill_done(outcome: DrillOutcome, user: str, verb: str) -> str:
    """What the channel is told when ``user`` ran (``run``), skipped (``skip``) or postponed (by
    ``1h`` or ``1d``) a drill; the reason when it was refused."""
    drill, occurrence = outcome.drill, outcome.occurrence
    if not outcome.allowed or drill is None:
        return drill_refusal(outcome)
    if verb == "run" or occurrence is None:
        return f"Drill {drill.name} started by {mention(user)}."
    due = f"{occurrence.due:%Y-%m-%d %H:%M} UTC"
    if verb == "skip":
        return f"{mention(user)} skipped drill {drill.name} due {due}."
    return f"{mention(user)} postponed drill {drill.name} by {verb} to {due}."
