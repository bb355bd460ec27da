"""Score history -> LevelDecision. Pure: hysteresis, quorum, flap damping and cool-down.

The rules (defaults in DESIGN.md §3, numbers in ``evaluation``):

- Escalate to level L only when the effective raw level was at least L in each of the last
  ``confirm`` evaluations.
- Step down from level L only after ``clear`` evaluations scored below L's bound minus
  ``margin``; the new level is the highest those scores (plus the margin) reach.
- Level 3 needs the loss seen from ``quorum.min`` independent vantages. When one vantage sees
  a loss that another affirmatively does not, the observer is partitioned: nothing escalates.
  Without such a contradiction but without confirmation either, level 3 is held at level 2.
- A signal whose status changed too often in the last ``flap.window`` evaluations (Nagios'
  weighted share, above ``flap.start``, cleared below ``flap.stop``) is flapping: one notice,
  and no proposal that would not stand on the stable signals alone.
- After a failover or failback, no proposal until the cool-down has passed.
- When more than ``blind_above`` of the signals read unknown, the observer is blind: unknown
  points still count in the score, but nothing escalates on them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime
from itertools import pairwise

from engine.config import Evaluation, PhoenixConfig
from engine.model import Action, Level, LevelDecision, LevelState, Reading, Score, Status

__all__ = ["LevelState", "assess", "decide", "flap_share", "start_cooldown"]


def start_cooldown(state: LevelState, at: datetime, evaluation: Evaluation) -> LevelState:
    """Record a failover or failback at ``at``: no automatic proposal until the cool-down ends."""
    return replace(state, cooldown_until=at + evaluation.cooldown)


def flap_share(history: Sequence[Status], window: int) -> float:
    """Nagios' weighted state-change share: recent changes weigh 1.2, the oldest 0.8."""
    slots = window - 1
    changes = 0.0
    newest_first = list(reversed(history))
    for age, (newer, older) in enumerate(pairwise(newest_first)):
        if age >= slots:
            break
        if newer != older:
            changes += 1.2 - 0.4 * age / max(slots - 1, 1)
    return changes / slots


def decide(
    state: LevelState, score: Score, config: PhoenixConfig
) -> tuple[LevelDecision, LevelState]:
    """Fold one evaluation's score into the level state; say what to do and why."""
    ev, levels = config.evaluation, config.levels
    previous = state.level
    statuses, flapping, notices = _track_flaps(state, score.readings(), ev)
    reasons: list[str] = [_points_reason(score)]

    effective, partition, quorum_reason = _apply_quorum(score, previous, config)
    if quorum_reason:
        reasons.append(quorum_reason)
    depth = max(ev.confirm, ev.clear)
    recent = (*state.recent, (effective, score.total))[-depth:]

    level, action = previous, Action.NONE
    confirmed = (
        min(lv for lv, _ in recent[-ev.confirm :]) if len(recent) >= ev.confirm else Level.NONE
    )
    if confirmed > previous:
        held = _held_back(state, score, flapping, confirmed, config)
        if held:
            action = Action.SUPPRESSED
            reasons.append(f"held at level {previous:d}: {held}")
        else:
            level = confirmed
            action = Action.OPEN if previous == Level.NONE else Action.ESCALATE
            reasons.append(
                f"level {confirmed:d} (score ≥ {levels.min_score(confirmed)}) held for "
                f"{ev.confirm} evaluations"
            )
    elif effective > previous:
        streak = _streak(recent, lambda lv, _s: lv > previous)
        reasons.append(
            f"level {effective:d} seen for {streak} of {ev.confirm} evaluations; not yet confirmed"
        )
    elif previous > Level.NONE:
        floor = levels.min_score(previous) - ev.margin
        streak = _streak(recent, lambda _lv, s: s < floor)
        if streak >= ev.clear:
            tail = recent[-ev.clear :]
            reached = max(levels.level_for(s + ev.margin) for _, s in tail)
            level = Level(max(min(reached, previous - 1), Level.NONE))
            action = Action.RESOLVE if level == Level.NONE else Action.DE_ESCALATE
            reasons.append(f"score below {floor} for {ev.clear} evaluations")
        elif streak:
            reasons.append(
                f"score below {floor} for {streak} of {ev.clear} evaluations; "
                f"holding level {previous:d}"
            )
        else:
            reasons.append(f"level {previous:d} holds")

    decision = LevelDecision(
        score=score,
        level=Level(level),
        previous_level=previous,
        action=action,
        reasons=tuple(reasons),
        flapping=flapping,
        partition=partition,
        notices=tuple(notices),
    )
    new_state = LevelState(
        level=Level(level),
        recent=recent,
        statuses=statuses,
        flapping=flapping,
        cooldown_until=state.cooldown_until,
    )
    return decision, new_state


def _track_flaps(
    state: LevelState, readings: Sequence[Reading], ev: Evaluation
) -> tuple[dict[str, tuple[Status, ...]], frozenset[str], list[str]]:
    window = ev.flap.window
    statuses: dict[str, tuple[Status, ...]] = {}
    flapping: set[str] = set()
    notices: list[str] = []
    for reading in readings:
        history = (*state.statuses.get(reading.signal, ()), reading.status)[-window:]
        statuses[reading.signal] = history
        share = flap_share(history, window)
        if reading.signal in state.flapping:
            if share >= ev.flap.stop:
                flapping.add(reading.signal)
            else:
                notices.append(f"{reading.signal} stopped flapping ({share:.0%} changes)")
        elif share > ev.flap.start:
            flapping.add(reading.signal)
            notices.append(
                f"{reading.signal} is flapping ({share:.0%} of the last {window} evaluations "
                "changed state): proposals it alone would cause are held back"
            )
    return statuses, frozenset(flapping), notices


def _apply_quorum(score: Score, previous: Level, config: PhoenixConfig) -> tuple[Level, bool, str]:
    """The raw level after the quorum rule, whether the observer is partitioned, and why."""
    if score.raw_level < Level.DR_FAILOVER:
        return score.raw_level, False, ""
    quorum = config.evaluation.quorum
    by_vantage: dict[str, list[Status]] = {}
    for reading in score.readings():
        by_vantage.setdefault(reading.vantage.value, []).append(reading.status)
    wanted = list(dict.fromkeys(v.value for v in quorum.vantages))
    failing = [v for v in wanted if Status.DOWN in by_vantage.get(v, [])]
    healthy = [v for v in wanted if by_vantage.get(v) and set(by_vantage[v]) == {Status.OK}]
    if len(failing) >= quorum.min:
        return Level.DR_FAILOVER, False, f"quorum: loss confirmed from {', '.join(failing)}"
    if failing and healthy:
        return (
            previous,
            True,
            f"observer partition: only {', '.join(failing)} sees the loss while "
            f"{', '.join(healthy)} reports healthy; no DR failover proposed",
        )
    seen = ", ".join(failing) or "no independent vantage"
    return (
        Level.REGION_FAILOVER,
        False,
        f"quorum not met: level 3 needs the loss seen from {quorum.min} of "
        f"{', '.join(wanted)}, seen from {seen}; held at level 2",
    )


def _held_back(
    state: LevelState, score: Score, flapping: frozenset[str], target: Level, config: PhoenixConfig
) -> str:
    if state.cooldown_until is not None and score.at < state.cooldown_until:
        return f"cool-down after the last failover until {state.cooldown_until.isoformat()}"
    blind = _blind(score, config.evaluation.blind_above)
    if blind:
        return blind
    levels = config.levels
    if flapping:
        stable = score.total - sum(sp.points for sp in score.breakdown if sp.signal in flapping)
        if levels.level_for(stable) < target:
            return f"flapping: {', '.join(sorted(flapping))}"
    return ""


def _blind(score: Score, blind_above: float) -> str:
    """Why the observer cannot tell, when too many of its signals read unknown."""
    readings = score.readings()
    unknown = sum(1 for r in readings if r.status == Status.UNKNOWN)
    if readings and unknown / len(readings) > blind_above:
        return (
            f"observer blind: {unknown} of {len(readings)} signals unknown "
            f"(more than {blind_above:.0%}); fix the probes before trusting this score"
        )
    return ""


def _streak(recent: Sequence[tuple[Level, int]], holds: Callable[[Level, int], bool]) -> int:
    count = 0
    for lv, s in reversed(recent):
        if not holds(lv, s):
            break
        count += 1
    return count


def _points_reason(score: Score) -> str:
    scoring = [sp for sp in score.breakdown if sp.points]
    scoring.sort(key=lambda sp: -sp.points)
    parts = [f"{sp.signal} {sp.reading.status.value} +{sp.points}" for sp in scoring[:6]]
    if len(scoring) > 6:
        parts.append(f"{len(scoring) - 6} more")
    listed = ", ".join(parts) if parts else "no signal scores"
    return f"score {score.total} (raw level {score.raw_level:d}): {listed}"


def assess(score: Score, config: PhoenixConfig) -> LevelDecision:
    """The level one evaluation on its own points at: quorum applies, hysteresis cannot."""
    effective, partition, quorum_reason = _apply_quorum(score, Level.NONE, config)
    reasons = [_points_reason(score)]
    if quorum_reason:
        reasons.append(quorum_reason)
    blind = _blind(score, config.evaluation.blind_above)
    if blind and effective > Level.NONE:
        reasons.append(f"held: {blind}")
        effective = Level.NONE
    elif effective > Level.NONE:
        reasons.append(
            f"a live evaluation escalates only after {config.evaluation.confirm} like this"
        )
    return LevelDecision(
        score=score,
        level=effective,
        previous_level=Level.NONE,
        action=Action.NONE,
        reasons=tuple(reasons),
        partition=partition,
    )
