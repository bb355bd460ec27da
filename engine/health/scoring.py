"""Readings -> points -> Score. Pure: the configuration says what each status is worth."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from engine.config import PhoenixConfig
from engine.model import Reading, Score, SignalPoints


def score(readings: Sequence[Reading], config: PhoenixConfig, at: datetime) -> Score:
    """Give each reading its points and fold them into a composite score and its raw level.

    A reading for a signal the configuration does not know scores the default points of its
    status, so nothing observed is ever silently worth zero.
    """
    breakdown = []
    for reading in readings:
        signal = config.signal(reading.signal)
        if signal is None:
            points: int = getattr(config.scoring.points, reading.status.value)
        else:
            points = config.points_for(signal, reading.status)
        breakdown.append(SignalPoints(reading, points))
    total = sum(sp.points for sp in breakdown)
    return Score(total, config.levels.level_for(total), tuple(breakdown), at)
