"""Pure Block Kit builders: the only place that shapes what the bot shows in Slack.

Each builder takes a neutral value from the engine and returns a ``Rendered`` (the
notification ``text`` fallback and the blocks) or a view dict. Text people typed is escaped
before it is shown as mrkdwn.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ConfirmObject,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    InputBlock,
    MarkdownTextObject,
    PlainTextInputElement,
    PlainTextObject,
    SectionBlock,
)
from slack_sdk.models.views import View

from engine.config import Drill
from engine.drill_desk import AgendaItem, button_value
from engine.drills import DrillReport, Occurrence
from engine.duration import format_duration
from engine.model import Level
from engine.proposals import Proposal, RunSummary, SignalLine, StageView, Stand
from engine.records import IncidentStatus
from engine.reports import HistoryReport, StatusReport
from engine.runs import Run, RunState
from handlers.ids import COMMAND, ActionId, BlockId, CallbackId, InputId

Json = dict[str, Any]
_SECTION_MAX = 2900

LEVEL_NAMES = {
    Level.NONE: "healthy",
    Level.SELF_HEAL: "self-healing",
    Level.REGION_FAILOVER: "region failover",
    Level.DR_FAILOVER: "DR failover to Azure",
}

SUBCOMMANDS: dict[str, str] = {
    "status": "status [service] — score, level, breakdown, incident, run, silences",
    "history": "history [N] — the last N runs (default 5)",
    "failover": "failover <plan> — propose a plan; it needs the usual approvals",
    "failback": "failback — propose returning from Azure to AWS",
    "silence": "silence <duration> [reason] — no automatic proposals for a while",
    "unsilence": "unsilence — end every active silence",
    "drill": "drill list | run <name> | skip <name> — scheduled DR drills",
    "help": "help — this list",
}


@dataclass(frozen=True)
class Rendered:
    text: str
    blocks: list[Json] = field(default_factory=list)

    def as_kwargs(self) -> Json:
        return {"text": self.text, "blocks": self.blocks}


def escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _clip(text: str, limit: int = _SECTION_MAX) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _dump(blocks: Sequence[Block]) -> list[Json]:
    return [b.to_dict() for b in blocks]


def _md(text: str) -> SectionBlock:
    return SectionBlock(text=MarkdownTextObject(text=_clip(text)))


def _context(text: str) -> ContextBlock:
    return ContextBlock(elements=[MarkdownTextObject(text=_clip(text, 2900))])


def _when(at: datetime | None) -> str:
    return at.strftime("%Y-%m-%d %H:%M:%S UTC") if at else "never"


def _seconds(seconds: float | None) -> str:
    return "—" if seconds is None else format_duration(timedelta(seconds=seconds))


def _value(line: SignalLine) -> str:
    if line.value is None:
        return ""
    return f" ({line.value:g})"


def breakdown_text(lines: Sequence[SignalLine]) -> str:
    if not lines:
        return "_no signal readings yet_"
    rows = []
    for line in lines:
        status = f" {line.status}" if line.status else ""
        rows.append(f"• `{escape(line.signal)}`{status}{_value(line)} — *+{line.points}*")
    return "\n".join(rows)


# ----------------------------------------------------------------------------- proposals


def _button(
    text: str, action: ActionId, value: str, style: str | None = None, confirm: Any = None
) -> ButtonElement:
    return ButtonElement(
        text=PlainTextObject(text=text),
        action_id=action.value,
        value=value,
        style=style,
        confirm=confirm,
    )


def _decision_buttons(proposal: Proposal) -> ActionsBlock:
    record = proposal.record
    if record.typed_confirmation:
        approve = _button("Approve…", ActionId.APPROVE_TYPED, record.run_id, "primary")
    else:
        approve = _button(
            "Approve",
            ActionId.APPROVE,
            record.run_id,
            "primary",
            ConfirmObject(
                title=PlainTextObject(text="Start this plan?"),
                text=MarkdownTextObject(
                    text=_clip(
                        f"Run *{escape(record.plan)}* in *{escape(record.environment)}*. "
                        "This changes production.",
                        290,
                    )
                ),
                confirm=PlainTextObject(text="Approve"),
                deny=PlainTextObject(text="Cancel"),
            ),
        )
    return ActionsBlock(
        block_id=BlockId.DECISION.value,
        elements=[
            approve,
            _button("Decline", ActionId.DECLINE, record.run_id, "danger"),
            _button("Snooze", ActionId.SNOOZE, record.run_id),
        ],
    )


def _stand_line(proposal: Proposal) -> str:
    record = proposal.record
    approved = [a for a in proposal.approvals if a.decision.value == "approve"]
    who = ", ".join(f"<@{a.user}> at {a.at:%H:%M:%S} UTC" for a in approved)
    stand = proposal.stand
    if stand is Stand.AWAITING:
        need = f"{len(approved)} of {record.required} approval(s)"
        line = f":hourglass: *Awaiting approval* — {need}; expires {record.expires_at:%H:%M} UTC"
        if record.manual:
            line += f"\nRequested by <@{record.requested_by}>, who cannot approve it."
    elif stand is Stand.RUNNING:
        line = ":arrow_forward: *Running* — progress in the thread"
    elif stand is Stand.PAUSED:
        line = f":double_vertical_bar: *Paused* — {escape(proposal.note)}"
    elif stand is Stand.SUCCEEDED:
        line = ":white_check_mark: *Succeeded* — summary in the thread"
    elif stand is Stand.FAILED:
        line = f":x: *Failed* — {escape(proposal.note)}"
    elif stand is Stand.DECLINED:
        line = f":no_entry_sign: *Declined* — {escape(proposal.note)}"
    elif stand is Stand.SNOOZED:
        line = f":zzz: *Snoozed* — {escape(proposal.note)}"
    elif stand is Stand.EXPIRED:
        line = ":alarm_clock: *Expired* — no decision in time; nothing was run"
    else:
        line = f":octagonal_sign: *Aborted* — {escape(proposal.note)}"
    if who:
        line += f"\nApproved by {who}"
    incident = proposal.incident
    if incident is not None:
        if incident.status is IncidentStatus.RESOLVED and incident.resolved_at is not None:
            lasted = format_duration(incident.resolved_at - incident.opened_at)
            line += (
                f"\n:large_green_circle: *Incident resolved* at {incident.resolved_at:%H:%M} UTC "
                f"after {lasted} — note in the thread"
            )
        elif (
            incident.run_ids and incident.run_ids[0] == record.run_id and len(incident.run_ids) > 1
        ):
            line += (
                f"\n:arrow_double_up: *Escalated to level {incident.level:d}* — the new proposal "
                "is in the thread"
            )
    return line


def proposal_message(proposal: Proposal) -> Rendered:
    record = proposal.record
    level = Level(record.level)
    score = "—" if record.score is None else str(record.score)
    title = f"Level {record.level}: {LEVEL_NAMES[level]} · score {score} · {record.environment}"
    blocks: list[Block] = [
        HeaderBlock(text=PlainTextObject(text=_clip(title, 150))),
        _md(f"*Plan:* `{escape(record.plan)}`\n*Why:* {escape(record.reason)}"),
        _md(f"*Breakdown*\n{breakdown_text(record.breakdown)}"),
        _md(_stand_line(proposal)),
    ]
    if proposal.stand.waiting:
        blocks.append(_decision_buttons(proposal))
    where = f"incident `{record.incident_id}` · " if record.incident_id else ""
    blocks.append(_context(f"{where}run `{record.run_id}`"))
    text = f"{title} — {proposal.stand.value}"
    return Rendered(text, _dump(blocks))


# ----------------------------------------------------------------------------- the thread

_STAGE_ICONS = {
    "pending": ":white_circle:",
    "running": ":arrows_counterclockwise:",
    "retrying": ":repeat:",
    "succeeded": ":white_check_mark:",
    "failed": ":x:",
    "skipped": ":fast_forward:",
    "aborted": ":octagonal_sign:",
}


def stage_message(view: StageView) -> Rendered:
    icon = _STAGE_ICONS.get(view.state, ":grey_question:")
    head = f"{icon} Stage {view.number} of {view.of}: *{escape(view.stage)}* — {view.state}"
    details = []
    if view.fraction is not None:
        details.append(f"{round(view.fraction * 100)}% done")
    if view.seconds is not None:
        details.append(_seconds(view.seconds))
    if view.attempt and view.attempt > 1:
        details.append(f"attempt {view.attempt}")
    line = head + (f" ({', '.join(details)})" if details else "")
    if view.message:
        line += f"\n{escape(view.message)}"
    blocks: list[Block] = [_md(line)]
    if view.controls:
        blocks.append(
            ActionsBlock(
                block_id=BlockId.STAGE_CONTROLS.value,
                elements=[
                    _button("Retry", ActionId.RETRY, view.run_id, "primary"),
                    _button("Skip", ActionId.SKIP, view.run_id),
                    _button("Abort", ActionId.ABORT, view.run_id, "danger"),
                ],
            )
        )
    text = f"Stage {view.number}/{view.of} {view.stage}: {view.state}"
    return Rendered(text, _dump(blocks))


def summary_message(summary: RunSummary) -> Rendered:
    ok = summary.state is RunState.SUCCEEDED
    icon = ":white_check_mark:" if ok else ":x:"
    rto = _seconds(summary.seconds)
    objective = _seconds(summary.rto_objective)
    verdict = ""
    if summary.seconds is not None:
        met = summary.seconds <= summary.rto_objective
        verdict = " — within the objective" if met else " — *over the objective*"
    lines = [
        f"{icon} *Run {summary.state.value}* · plan `{escape(summary.plan)}`",
        f"*RTO measured:* {rto} (objective {objective}){verdict}",
    ]
    if summary.rpo_evidence:
        evidence = "; ".join(escape(e) for e in summary.rpo_evidence)
        lines.append(f"*RPO evidence* (objective {_seconds(summary.rpo_objective)}): {evidence}")
    else:
        lines.append(
            f"*RPO evidence:* none — no stage of this plan measured replication "
            f"(objective {_seconds(summary.rpo_objective)})"
        )
    if summary.reason and not ok:
        lines.append(f"*Why:* {escape(summary.reason)}")
    stages = "\n".join(
        f"• {escape(name)}: {state} ({_seconds(seconds)})"
        for name, state, seconds in summary.stages
    )
    blocks: list[Block] = [_md("\n".join(lines))]
    if stages:
        blocks.append(_md(stages))
    text = f"Run {summary.state.value}: RTO {rto}"
    return Rendered(text, _dump(blocks))


# ----------------------------------------------------------------------------- commands


def status_message(report: StatusReport) -> Rendered:
    score = "—" if report.score is None else str(report.score)
    title = (
        f"{report.environment}: score {score}, level {report.level:d} ({LEVEL_NAMES[report.level]})"
    )
    lines = [f"*{escape(title)}*", f"*Why:* {escape(report.reason)}"]
    lines.append(f"*Last evaluation:* {_when(report.evaluated_at)}")
    if report.incident is not None:
        lines.append(
            f"*Incident:* {escape(report.incident.title)} (`{report.incident.incident_id}`, "
            f"opened {_when(report.incident.opened_at)})"
        )
    else:
        lines.append("*Incident:* none open")
    if report.run is not None:
        run = report.run
        line = f"*Run:* `{run.run_id}` plan `{escape(run.plan)}` — {run.state.value}"
        if report.stage is not None:
            stage = report.stage
            line += f", stage {stage.number} of {stage.of}: {escape(stage.name)} ({stage.state})"
        lines.append(line)
    else:
        lines.append("*Run:* none")
    if report.silences:
        lines.append(
            "*Silences:* "
            + "; ".join(
                f"until {s.until:%Y-%m-%d %H:%M} UTC by <@{s.created_by}> ({escape(s.reason)})"
                for s in report.silences
            )
        )
    else:
        lines.append("*Silences:* none")
    if report.held:
        lines.append(
            "*Proposals held back:* " + "; ".join(escape_links_kept(h) for h in report.held)
        )
    if report.agenda:
        lines.append("*Next drills:* " + "; ".join(_agenda_line(item) for item in report.agenda))
    lines.append(f"*Last drill:* {_drill_result(report)}")
    where = f" for `{escape(report.service)}`" if report.service else ""
    blocks: list[Block] = [
        _md("\n".join(lines)),
        _md(f"*Breakdown{where}*\n{breakdown_text(report.breakdown)}"),
    ]
    return Rendered(title, _dump(blocks))


def _drill_result(report: StatusReport) -> str:
    last = report.last_drill_report
    if last is not None:
        verdict = "passed" if last.passed else "failed"
        return (
            f"{escape(last.drill)} {verdict} ({_when(last.finished_at)}), RTO "
            f"{_seconds(last.rto_seconds)}, RPO {_seconds(last.rpo_seconds)}, {last.trend_word}"
        )
    if report.last_drill is None:
        return "none yet"
    run = report.last_drill
    return f"{run.plan} {run.state.value} ({_when(run.finished_at)})"


def _agenda_line(item: AgendaItem) -> str:
    occurrence = item.occurrence
    if occurrence.skipped_by is not None:
        state = f"skipped by <@{occurrence.skipped_by}>"
    elif occurrence.run_id is not None:
        state = "running now"
    else:
        state = f"due {_when(occurrence.due)}"
        if occurrence.postponed_by:
            state += f" (postponed {len(occurrence.postponed_by)}×)"
    return f"{escape(item.drill.name)} ({item.drill.mode}) {state}"


def history_message(report: HistoryReport) -> Rendered:
    if not report.runs:
        return Rendered("No runs yet.", _dump([_md("No runs yet.")]))
    rows = []
    for run in report.runs:
        took = (
            format_duration(run.finished_at - run.started_at)
            if run.started_at and run.finished_at
            else "—"
        )
        by = run.created_by if run.created_by.startswith("phoenix") else f"<@{run.created_by}>"
        rows.append(
            f"• {run.created_at:%Y-%m-%d %H:%M} `{escape(run.plan)}` {run.state.value}, took "
            f"{took}, by {by}" + (f" — {escape(run.reason)}" if run.reason else "")
        )
    text = f"The last {len(report.runs)} run(s)"
    return Rendered(text, _dump([_md(f"*{text}*\n" + "\n".join(rows))]))


def help_message() -> Rendered:
    lines = [f"`{COMMAND} {usage}`" for usage in SUBCOMMANDS.values()]
    return Rendered("CloudPhoenix commands", _dump([_md("\n".join(lines))]))


def usage_message(problem: str, suggestion: str | None) -> Rendered:
    hint = f" Did you mean `{COMMAND} {suggestion}`?" if suggestion else ""
    lines = [f"{escape(problem)}{hint}", ""]
    lines += [f"`{COMMAND} {usage}`" for usage in SUBCOMMANDS.values()]
    return Rendered(f"{problem}{hint}", _dump([_md("\n".join(lines))]))


def notice(text: str) -> Rendered:
    return Rendered(text, _dump([_md(escape_links_kept(text))]))


def escape_links_kept(text: str) -> str:
    """Escape ``&`` only: engine sentences may carry ``<@U…>`` mentions on purpose."""
    return text.replace("&", "&amp;")


# ----------------------------------------------------------------------------- modals


def approve_modal(proposal: Proposal) -> Json:
    record = proposal.record
    view = View(
        type="modal",
        callback_id=CallbackId.APPROVE.value,
        private_metadata=record.run_id,
        title=PlainTextObject(text="Approve DR failover"),
        submit=PlainTextObject(text="Approve"),
        close=PlainTextObject(text="Cancel"),
        blocks=[
            _md(
                f"Plan `{escape(record.plan)}` moves *{escape(record.environment)}* to the DR "
                "site. Type the environment's name to approve."
            ),
            InputBlock(
                block_id=BlockId.ENVIRONMENT.value,
                label=PlainTextObject(text=f"Environment name ({record.environment})"[:2000]),
                element=PlainTextInputElement(action_id=InputId.ENVIRONMENT.value),
            ),
        ],
    )
    return view.to_dict()


def decline_modal(proposal: Proposal) -> Json:
    view = View(
        type="modal",
        callback_id=CallbackId.DECLINE.value,
        private_metadata=proposal.record.run_id,
        title=PlainTextObject(text="Decline proposal"),
        submit=PlainTextObject(text="Decline"),
        close=PlainTextObject(text="Cancel"),
        blocks=[
            InputBlock(
                block_id=BlockId.REASON.value,
                label=PlainTextObject(text="Why decline?"),
                element=PlainTextInputElement(
                    action_id=InputId.REASON.value, multiline=True, max_length=500
                ),
            )
        ],
    )
    return view.to_dict()


def environment_mismatch(expected: str) -> dict[str, str]:
    return {BlockId.ENVIRONMENT.value: f"Type {expected} exactly to approve."}


# ----------------------------------------------------------------------------- App Home


def home_view(report: StatusReport) -> Json:
    score = "—" if report.score is None else str(report.score)
    lines = [
        f"*Score:* {score} · *Level:* {report.level:d} ({LEVEL_NAMES[report.level]})",
        f"*Last evaluation:* {_when(report.evaluated_at)}",
    ]
    if report.run is not None:
        run = report.run
        line = f"*Active run:* `{escape(run.plan)}` — {run.state.value}"
        if report.stage is not None:
            line += f", stage {report.stage.number} of {report.stage.of}"
        lines.append(line)
    elif report.incident is not None:
        lines.append(f"*Active incident:* {escape(report.incident.title)}")
    else:
        lines.append("*Active incident or run:* none")
    if report.agenda:
        lines.append("*Next drills:* " + "; ".join(_agenda_line(item) for item in report.agenda))
    elif report.drills:
        drills = "; ".join(
            f"{escape(d.name)}: `{escape(d.schedule)}` ({escape(d.timezone)}), {d.mode}"
            for d in report.drills
        )
        lines.append(f"*Drills scheduled:* {drills}")
    else:
        lines.append("*Next drill:* no drills scheduled")
    lines.append(f"*Last drill:* {_drill_result(report)}")
    blocks: list[Block] = [
        HeaderBlock(text=PlainTextObject(text=f"CloudPhoenix · {report.environment}"[:150])),
        _md("\n".join(lines)),
        DividerBlock(),
        _context(f"Type `{COMMAND} help` in a channel for commands."),
    ]
    return View(type="home", blocks=blocks).to_dict()


# ----------------------------------------------------------------------------- incidents


def thread_note(text: str) -> Rendered:
    """A note in an incident's thread (resolution, stepping down, a flapping signal)."""
    return Rendered(text, _dump([_md(escape_links_kept(text))]))


# ----------------------------------------------------------------------------- drills

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
        when = f"~{_when(occurrence.due)}~ — *skipped* by <@{occurrence.skipped_by}>"
    else:
        when = f"*{_when(occurrence.due)}*{soon}"
    lines = [
        f"{_DRILL} · drill `{escape(drill.name)}` of plan `{escape(drill.plan)}`",
        f"*When:* {when}",
    ]
    if occurrence.postponements:
        moves = "; then ".join(
            f"by <@{p.by}>" + (f" at {_when(p.at)}" if p.at else "") + f" to {_when(p.due)}"
            for p in occurrence.postponements
        )
        lines.append(f"*Postponed* from {_when(occurrence.scheduled)} {moves}")
    lines.append(f"*Mode:* {mode}")
    if note:
        lines.append(escape_links_kept(note))
    blocks: list[Block] = [_md("\n".join(lines))]
    if not occurrence.closed:
        value = button_value(occurrence)
        blocks.append(
            ActionsBlock(
                block_id=BlockId.DRILL_CONTROLS.value,
                elements=[
                    _button("Postpone 1 hour", ActionId.DRILL_POSTPONE_HOUR, value),
                    _button("Postpone 1 day", ActionId.DRILL_POSTPONE_DAY, value),
                    _button("Skip", ActionId.DRILL_SKIP, value, "danger"),
                ],
            )
        )
    blocks.append(_context("Only approvers may postpone or skip; every click is audited."))
    text = f"DR drill {drill.name} (not an incident){soon}: {_when(occurrence.due)}"
    if occurrence.skipped_by is not None:
        text += ", skipped"
    elif occurrence.postponements:
        text += ", postponed"
    return Rendered(text, _dump(blocks))


def drill_header(drill: str, run: Run, report: DrillReport | None = None) -> Rendered:
    """The top of a drill's thread: what runs, then how it ended."""
    lines = [
        f"{_DRILL} · drill `{escape(drill)}` · plan `{escape(run.plan)}` · {run.mode.value}",
    ]
    if report is not None:
        verdict = ":white_check_mark: *passed*" if report.passed else ":x: *failed*"
        lines.append(f"*Drill {verdict}* — report in the thread")
    elif run.state.terminal:
        lines.append(f"*Drill {run.state.value}* — report in the thread")
    else:
        lines.append(":arrow_forward: *Running* — progress in the thread")
    blocks: list[Block] = [_md("\n".join(lines)), _context(f"drill run `{run.run_id}`")]
    return Rendered(f"DR drill {drill} run (not an incident): {run.state.value}", _dump(blocks))


def drill_report_message(report: DrillReport) -> Rendered:
    verdict = ":white_check_mark: *Drill passed*" if report.passed else ":x: *Drill failed*"
    rto = _seconds(report.rto_seconds)
    rpo = _seconds(report.rpo_seconds)
    lines = [
        f"{verdict} · drill `{escape(report.drill)}` · {report.mode.value} · run "
        f"{report.state.value}",
        f"*RTO measured:* {rto} (objective {_seconds(report.rto_objective)}) — "
        f"{escape(report.rto_basis)}",
        f"*RPO evidence:* {rpo} (objective {_seconds(report.rpo_objective)}) — "
        f"{escape(report.rpo_evidence)}",
        "*Why:* " + "; ".join(escape(v) for v in report.verdict),
    ]
    if report.trend:
        points = ", ".join(
            f"{'✓' if p.passed else '✗'} {_seconds(p.rto_seconds)}" for p in report.trend[-5:]
        )
        lines.append(
            f"*Trend* (RTO of earlier drills, oldest first): {points} → {rto}, {report.trend_word}"
        )
    else:
        lines.append("*Trend:* the first drill of this name")
    stages = "\n".join(
        f"• {escape(s.stage)}: {s.state} ({_seconds(s.seconds)})" for s in report.stages
    )
    blocks: list[Block] = [_md("\n".join(lines))]
    if stages:
        blocks.append(_md(stages))
    verdict_word = "passed" if report.passed else "failed"
    return Rendered(f"Drill {report.drill} {verdict_word}: RTO {rto}, RPO {rpo}", _dump(blocks))


def drill_list_message(agenda: Sequence[AgendaItem]) -> Rendered:
    if not agenda:
        return Rendered(
            "No drills scheduled.", _dump([_md("No drills scheduled (drills in phoenix.yaml).")])
        )
    rows = []
    for item in agenda:
        drill = item.drill
        row = (
            f"• *{escape(drill.name)}* — `{escape(drill.schedule)}` ({escape(drill.timezone)}), "
            f"plan `{escape(drill.plan)}`, {drill.mode}: {_agenda_line(item)}"
        )
        if item.last is not None:
            last = item.last
            row += (
                f"\n   last: {'passed' if last.passed else 'failed'} {_when(last.finished_at)}, "
                f"RTO {_seconds(last.rto_seconds)}, RPO {_seconds(last.rpo_seconds)}, "
                f"{last.trend_word}"
            )
        rows.append(row)
    return Rendered(f"{len(agenda)} drill(s)", _dump([_md("*Drills*\n" + "\n".join(rows))]))
