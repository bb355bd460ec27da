"""Whether one evaluation's level decision becomes a proposal: the one place where the
cool-down after a failover and the silences hold a proposal back. Pure.

- Cool-down: after a live failover or failback finished at ``last_failover``, no automatic
  proposal until ``evaluation.cooldown`` has passed (``decide`` suppresses the escalation and
  says so). A later failover moves the end of the cool-down on; an earlier one never moves it
  back.
- Silences: while a silence is active, a decision to open or escalate is held, not taken.
  The level stays where it was, so once the silence ends a breach that still holds is
  proposed; the reason says until when, and the incidents show the proposal held back once
  per silence and level (``IncidentLifecycle.hold``). A level-3 decision is never held: it
  is only reached with the loss confirmed by quorum, and a silence set for maintenance must
  not hide the loss of the primary. It is proposed, marked with the silences it went past.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from engine.config import PhoenixConfig
from engine.health.levels import decide, start_cooldown
from engine.model import Level, LevelDecision, LevelState, Score
from engine.records import Silence


@dataclass(frozen=True)
class Judgement:
    decision: LevelDecision
    """The level decision, as hysteresis, quorum, flap damping and the cool-down made it."""
    state: LevelState
    """What the next evaluation starts from (and the level it records)."""
    reason: str
    """Why: the decision's reasons, and what held its proposal back."""
    held: bool = False
    """A silence held the decision's proposal back: no proposal is to be made."""
    silences: tuple[Silence, ...] = ()
    """The active silences that held the proposal back, or that a level-3 proposal went past."""


def judge(
    state: LevelState,
    score: Score,
    config: PhoenixConfig,
    *,
    silences: Sequence[Silence] = (),
    last_failover: datetime | None = None,
) -> Judgement:
    """Fold ``score`` into ``state`` and say whether the decision may become a proposal.

    ``silences`` are those active now; ``last_failover`` is when the latest live failover or
    failback finished, if one did."""
    before = _cooled(state, last_failover, config)
    decision, after = decide(before, score, config)
    if not (decision.action.is_proposal and silences):
        return Judgement(decision, after, decision.reason)
    active = tuple(silences)
    if decision.level >= Level.DR_FAILOVER:
        return Judgement(
            decision,
            after,
            f"{decision.reason}; proposed although silenced: a level-3 loss confirmed by "
            "quorum is never held back",
            silences=active,
        )
    until = max(s.until for s in silences)
    return Judgement(
        decision,
        replace(after, level=before.level),
        f"{decision.reason}; proposal held back: silenced until {until:%Y-%m-%d %H:%M} UTC",
        held=True,
        silences=active,
    )


def _cooled(state: LevelState, last_failover: datetime | None, config: PhoenixConfig) -> LevelState:
    if last_failover is None:
        return state
    cooled = start_cooldown(state, last_failover, config.evaluation)
    if state.cooldown_until is None or (
        cooled.cooldown_until is not None and cooled.cooldown_until > state.cooldown_until
    ):
        return cooled
    return state
