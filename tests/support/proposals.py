"""A proposal opened as the evaluation opens one, for tests that need one waiting in a store."""

from __future__ import annotations

from engine.config import Policy
from engine.incidents.desk import IncidentDesk
from engine.incidents.proposals import SignalLine
from engine.model import Level
from engine.records import BOT, Surface


def open_proposal(desk: IncidentDesk, plan: str, level: Level, policy: Policy, score: int) -> str:
    """The run id of a proposal of ``plan`` at ``level``, waiting for ``policy``'s approvals."""
    record = desk.register.open(
        plan,
        level=level,
        policy=policy,
        score=score,
        breakdown=(SignalLine(signal="service-a", status="down", points=score),),
        reason=f"score {score}",
        actor=BOT,
        surface=Surface.SYSTEM,
        manual=False,
        incident_id=None,
    )
    return record.run_id
