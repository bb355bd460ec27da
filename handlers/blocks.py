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

from engine.duration import format_duration
from engine.model import Level
from engine.proposals import Proposal, RunSummary, SignalLine, StageView, Stand
from engine.reports import HistoryReport, StatusReport
from engine.runs import RunState
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
    blocks.append(_context(f"run `{record.run_id}`"))
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
    lines.append(f"*Last drill:* {_drill_result(report)}")
    where = f" for `{escape(report.service)}`" if report.service else ""
    blocks: list[Block] = [
        _md("\n".join(lines)),
        _md(f"*Breakdown{where}*\n{breakdown_text(report.breakdown)}"),
    ]
    return Rendered(title, _dump(blocks))


def _drill_result(report: StatusReport) -> str:
    if report.last_drill is None:
        return "none yet"
    run = report.last_drill
    return f"{run.plan} {run.state.value} ({_when(run.finished_at)})"


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
    if report.drills:
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
