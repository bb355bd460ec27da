"""What people ask for besides a proposal's buttons — a plan by hand (a failover, a failback), a
silence of automatic proposals, the end of the silences — each checked against the authority
table, and audited whether allowed or refused, with the surface it came through."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from engine.config import BuiltinPlan
from engine.errors import RunError
from engine.incidents.audit import AuditTrail
from engine.incidents.authority import Act, Authority, refused_action
from engine.incidents.proposals import Proposal
from engine.incidents.register import ProposalRegister
from engine.incidents.silences import SUBJECT as SILENCES
from engine.incidents.silences import Silences
from engine.records import Silence, Surface


@dataclass(frozen=True)
class RequestOutcome:
    """What a request did: allowed or not, a sentence for the person, and what it made."""

    allowed: bool
    explanation: str = ""
    proposal: Proposal | None = None
    """The proposal a plan's request opened."""
    silences: tuple[Silence, ...] = ()
    """The silence added, or the silences ended."""


class PersonRequests:
    def __init__(
        self,
        register: ProposalRegister,
        silences: Silences,
        *,
        authority: Authority,
        trail: AuditTrail,
    ) -> None:
        self.register = register
        self.silences = silences
        self.authority = authority
        self._trail = trail

    def plan(self, plan: str, user: str, surface: Surface) -> RequestOutcome:
        """Propose ``plan`` by hand (``failback`` is a failback, anything else a failover):
        the same approvals as the level that proposes it, and never the asker's own."""
        act = Act.REQUEST_FAILBACK if plan == BuiltinPlan.FAILBACK else Act.REQUEST_FAILOVER
        refused = self._refusal(act, user, surface, f"plan:{plan}")
        if refused is not None:
            return refused
        try:
            proposal = self.register.propose_manual(plan, actor=user, surface=surface)
        except RunError as exc:
            return self._refuse(act, user, surface, f"plan:{plan}", f"Cannot propose {plan}: {exc}")
        return RequestOutcome(True, f"Proposed plan {plan}.", proposal=proposal)

    def silence(
        self, duration: timedelta, reason: str, user: str, surface: Surface
    ) -> RequestOutcome:
        refused = self._refusal(Act.SILENCE, user, surface, SILENCES)
        if refused is not None:
            return refused
        silence = self.silences.add(duration, reason, user, surface)
        return RequestOutcome(True, silences=(silence,))

    def unsilence(self, user: str, surface: Surface) -> RequestOutcome:
        refused = self._refusal(Act.UNSILENCE, user, surface, SILENCES)
        if refused is not None:
            return refused
        ended = self.silences.end_all(user, surface)
        return RequestOutcome(
            True, "" if ended else "No silence was active.", silences=tuple(ended)
        )

    def _refusal(
        self, act: Act, user: str, surface: Surface, subject: str
    ) -> RequestOutcome | None:
        permission = self.authority.may(act, user)
        if permission.allowed:
            return None
        return self._refuse(act, user, surface, subject, permission.reason)

    def _refuse(
        self, act: Act, user: str, surface: Surface, subject: str, explanation: str
    ) -> RequestOutcome:
        self._trail.write(user, surface, refused_action(act), subject, explanation)
        return RequestOutcome(False, explanation)
