"""Break-glass: the decisions people take from the command line inside the bot's pod when Slack
cannot be reached — approve, decline, abort, retry, skip — under the same authority table and
approval rules as Slack's buttons (configured approvers; the requester excluded; as many
different approvers as the level needs), each audited with surface ``cli``.

Who acts is whom the command names (``--as``): the cluster's RBAC decides who may run it at all
(whoever can exec into the pod is trusted), the name says whom the decision is recorded for,
and a reason is always asked for. Group membership needs Slack's directory, so while it cannot
answer only the approvers listed by user id count (``engine.incidents.authority``).

A run started, retried or skipped here is handed over (``RunnerSettings.executes``): a replica
of the bot takes it at its next sweep. Every decision allowed is also kept as a note under the
subject ``break-glass``, which the bot shows in the incident thread once Slack answers again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from pydantic import BaseModel, ConfigDict, ValidationError

from engine.incidents.audit import AuditTrail
from engine.incidents.authority import Act, refused_action
from engine.incidents.clicks import ClickOutcome, ProposalClicks, StageControl
from engine.records import AuditAction, Surface

SUBJECT = "break-glass"


class BreakGlassNote(BaseModel):
    """A decision taken from the command line (the detail of a ``break_glass`` audit event,
    whose actor is who took it)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    act: Act
    run_id: str
    stage: str | None = None
    reason: str
    """Why, in the person's own words (required)."""
    said: str = ""
    """What the command answered."""


@dataclass(frozen=True)
class TakenNote:
    """A note as the audit log keeps it: who, when, and its place in the log."""

    seq: int
    at: datetime
    user: str
    note: BreakGlassNote


class BreakGlass:
    def __init__(self, clicks: ProposalClicks, trail: AuditTrail) -> None:
        self.clicks = clicks
        self._trail = trail

    def approve(self, run_id: str, user: str, reason: str) -> ClickOutcome:
        return self._take(
            Act.APPROVE,
            run_id,
            user,
            reason,
            lambda why: self.clicks.approve(run_id, user, Surface.CLI, reason=why),
        )

    def decline(self, run_id: str, user: str, reason: str) -> ClickOutcome:
        return self._take(
            Act.DECLINE,
            run_id,
            user,
            reason,
            lambda why: self.clicks.decline(run_id, user, why, Surface.CLI),
        )

    def abort(self, run_id: str, user: str, reason: str) -> ClickOutcome:
        return self._control(StageControl.ABORT, run_id, None, user, reason)

    def retry(self, run_id: str, stage: str, user: str, reason: str) -> ClickOutcome:
        return self._control(StageControl.RETRY, run_id, stage, user, reason)

    def skip(self, run_id: str, stage: str, user: str, reason: str) -> ClickOutcome:
        return self._control(StageControl.SKIP, run_id, stage, user, reason)

    def notes(self) -> list[TakenNote]:
        """Every decision taken from the command line, oldest first."""
        found = []
        for event in self._trail.of(SUBJECT):
            if event.action != AuditAction.BREAK_GLASS:
                continue
            try:
                note = BreakGlassNote.model_validate_json(event.detail)
            except ValidationError:
                continue
            found.append(TakenNote(event.seq, event.at, event.actor, note))
        return found

    def _control(
        self, control: StageControl, run_id: str, stage: str | None, user: str, reason: str
    ) -> ClickOutcome:
        act = {
            StageControl.RETRY: Act.RETRY,
            StageControl.SKIP: Act.SKIP,
            StageControl.ABORT: Act.ABORT,
        }[control]
        return self._take(
            act,
            run_id,
            user,
            reason,
            lambda why: self.clicks.resolve_paused(
                run_id, user, control, Surface.CLI, stage=stage, reason=why
            ),
            stage,
        )

    def _take(
        self,
        act: Act,
        run_id: str,
        user: str,
        reason: str,
        decide: Callable[[str], ClickOutcome],
        stage: str | None = None,
    ) -> ClickOutcome:
        why = " ".join(reason.split())
        if not why:
            explanation = "A reason is required: it is kept in the audit log and shown in Slack."
            self._trail.write(user, Surface.CLI, refused_action(act), run_id, explanation)
            return ClickOutcome(False, explanation)
        outcome = decide(why)
        if outcome.allowed:
            note = BreakGlassNote(
                act=act, run_id=run_id, stage=stage, reason=why, said=outcome.explanation
            )
            self._trail.write(
                user, Surface.CLI, AuditAction.BREAK_GLASS, SUBJECT, note.model_dump_json()
            )
        return outcome
