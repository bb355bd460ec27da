"""A proposal: the message with its score breakdown and buttons, edited as it moves on, and
the approval and decline modals."""

from __future__ import annotations

from collections.abc import Sequence

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ConfirmObject,
    HeaderBlock,
    InputBlock,
    MarkdownTextObject,
    PlainTextInputElement,
    PlainTextObject,
)
from slack_sdk.models.views import View

from engine.duration import format_duration
from engine.incidents.proposals import Proposal, ProposalRecord, SignalLine, Stand
from engine.model import Level
from engine.records import IncidentStatus, Surface
from engine.text import clip
from handlers.blocks.kit import (
    LEVEL_NAMES,
    Json,
    Rendered,
    button,
    context,
    dump,
    escape,
    md,
    mention,
    silenced_by,
)
from handlers.blocks.readiness import proposal_readiness
from handlers.ids import ActionId, BlockId, CallbackId, InputId


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


def why(record: ProposalRecord) -> str:
    """Why the proposal was made: the evaluation's reason, or who asked for it by hand."""
    if record.manual:
        return f"asked for by hand by {mention(record.requested_by)}"
    return escape(record.reason)


def _decision_buttons(proposal: Proposal) -> ActionsBlock:
    record = proposal.record
    if record.typed_confirmation:
        approve = button("Approve…", ActionId.APPROVE_TYPED, record.run_id, "primary")
    else:
        approve = button(
            "Approve",
            ActionId.APPROVE,
            record.run_id,
            "primary",
            ConfirmObject(
                title=PlainTextObject(text="Start this plan?"),
                text=MarkdownTextObject(
                    text=clip(
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
            button("Decline", ActionId.DECLINE, record.run_id, "danger"),
            button("Snooze", ActionId.SNOOZE, record.run_id),
        ],
    )


def via(surface: Surface) -> str:
    """How a person acted, when it was not through Slack (break-glass)."""
    return " via the command line" if surface is Surface.CLI else ""


def _ended_line(icon: str, word: str, proposal: Proposal) -> str:
    ended = proposal.ended_by
    if ended is None or not ended.by_person:
        return f"{icon} *{word}* — {escape(proposal.note)}"
    line = f"{icon} *{word}* by {mention(ended.user)}{via(ended.surface)}"
    if ended.until is not None:
        line += f" until {ended.until:%H:%M} UTC"
    if ended.reason:
        line += f": {escape(ended.reason)}"
    return line


def _stand_line(proposal: Proposal) -> str:
    record = proposal.record
    approved = [a for a in proposal.approvals if a.decision.value == "approve"]
    who = ", ".join(f"{mention(a.user)} at {a.at:%H:%M:%S} UTC{via(a.surface)}" for a in approved)
    stand = proposal.stand
    if stand is Stand.AWAITING:
        need = f"{len(approved)} of {record.required} approval(s)"
        line = f":hourglass: *Awaiting approval* — {need}; expires {record.expires_at:%H:%M} UTC"
        if record.manual:
            line += f"\nRequested by {mention(record.requested_by)}, who cannot approve it."
    elif stand is Stand.RUNNING:
        line = ":arrow_forward: *Running* — progress in the thread"
    elif stand is Stand.PAUSED:
        line = f":double_vertical_bar: *Paused* — {escape(proposal.note)}"
    elif stand is Stand.SUCCEEDED:
        line = ":white_check_mark: *Succeeded* — summary in the thread"
    elif stand is Stand.FAILED:
        line = f":x: *Failed* — {escape(proposal.note)}"
    elif stand is Stand.DECLINED:
        line = _ended_line(":no_entry_sign:", "Declined", proposal)
    elif stand is Stand.SNOOZED:
        line = _ended_line(":zzz:", "Snoozed", proposal)
    elif stand is Stand.EXPIRED:
        line = ":alarm_clock: *Expired* — no decision in time; nothing was run"
    else:
        line = _ended_line(":octagonal_sign:", "Aborted", proposal)
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
        HeaderBlock(text=PlainTextObject(text=clip(title, 150))),
        md(f"*Plan:* `{escape(record.plan)}`\n*Why:* {why(record)}"),
    ]
    if record.silenced:
        who = "; ".join(silenced_by(mark) for mark in record.silenced)
        blocks.append(
            md(
                f":mute: *Proposed although silenced* — {who}. A level-3 loss confirmed by "
                "quorum is never held back."
            )
        )
    blocks += [
        md(f"*Breakdown*\n{breakdown_text(record.breakdown)}"),
    ]
    if proposal.readiness is not None:
        blocks.append(md(proposal_readiness(proposal.readiness)))
    blocks.append(md(_stand_line(proposal)))
    if proposal.stand.waiting:
        blocks.append(_decision_buttons(proposal))
    where = f"incident `{record.incident_id}` · " if record.incident_id else ""
    blocks.append(context(f"{where}run `{record.run_id}`"))
    text = f"{title} — {proposal.stand.value}"
    return Rendered(text, dump(blocks))


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
            md(
                f"Plan `{escape(record.plan)}` moves *{escape(record.environment)}* to the DR "
                "site. Type the environment's name to approve." + _readiness_warning(proposal)
            ),
            InputBlock(
                block_id=BlockId.ENVIRONMENT.value,
                label=PlainTextObject(text=f"Environment name ({record.environment})"[:2000]),
                element=PlainTextInputElement(action_id=InputId.ENVIRONMENT.value),
            ),
        ],
    )
    return view.to_dict()


def _readiness_warning(proposal: Proposal) -> str:
    digest = proposal.readiness
    if digest is None or not digest.failing:
        return ""
    names = ", ".join(f"`{escape(f.name)}`" for f in digest.failing)
    return (
        f"\n:warning: {digest.total - digest.ready} DR readiness check(s) not ready: {names}. "
        "Approving still starts the failover."
    )


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
