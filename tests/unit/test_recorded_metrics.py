"""The gauges read from the store when scraped: while the store does not answer, a scrape
shows the values read last (and says so once in the log), never an error or zeros."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import pytest

from bot.metrics import Metrics
from engine.config import Objectives
from engine.errors import StoreUnavailable
from engine.measurements import Measurements
from engine.model import Level, Status
from engine.records import ScoreSample, SignalSample

SAMPLE = ScoreSample(
    datetime(2026, 1, 5, 8, 0, tzinfo=UTC),
    9,
    Level.REGION_FAILOVER,
    {"service-a": 4},
    {"service-a": SignalSample(Status.DOWN, 1.0)},
)


def test_a_store_outage_shows_the_values_read_last(caplog: pytest.LogCaptureFixture) -> None:
    answers: list[Measurements | Exception] = [
        Measurements(SAMPLE, (), ()),
        StoreUnavailable("redis: connection refused"),
        StoreUnavailable("redis: connection refused"),
    ]

    def read() -> Measurements:
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    metrics = Metrics("prod")
    metrics.show_measurements(read, Objectives())
    first = metrics.text().decode()
    assert 'phoenix_score{environment="prod"} 9.0' in first
    assert 'phoenix_signal_value{environment="prod",signal="service-a"} 1.0' in first
    with caplog.at_level(logging.WARNING, logger="bot.metrics"):
        assert metrics.text().decode() == first
        assert metrics.text().decode() == first
    [warning] = caplog.records
    assert "store is unavailable" in warning.getMessage()


def test_before_any_evaluation_the_families_are_there_without_samples() -> None:
    metrics = Metrics("prod")
    metrics.show_measurements(lambda: Measurements(None, (), ()), Objectives())
    text = metrics.text().decode()
    assert "# TYPE phoenix_score gauge" in text
    assert "phoenix_score{" not in text, "no score before the first evaluation, not a zero"
    assert 'phoenix_rto_objective_seconds{environment="prod"} 900.0' in text
