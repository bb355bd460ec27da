"""The gauges read from the store when scraped: while the store does not answer, a scrape
shows the values read last (and says so once in the log), never an error or zeros."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import pytest
from prometheus_client.parser import text_string_to_metric_families

from bot.metrics import Metrics
from engine.config import Objectives
from engine.errors import StoreUnavailable
from engine.measurements import Measurements
from engine.model import Level, Status
from engine.readiness import Area, CheckResult, Estimate, ReadinessSweep, Verdict
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
    with caplog.at_level(logging.WARNING, logger="bot.metrics.recorded"):
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


def test_the_latest_readiness_sweep_is_a_gauge_per_check_and_the_forecast() -> None:
    at = datetime(2026, 1, 5, 8, 5, tzinfo=UTC)
    sweep = ReadinessSweep(
        at=at,
        plan="dr-azure",
        checks=(
            CheckResult("azure-sql", "azure-sql", Area.DATABASE, Verdict.READY, "Online"),
            CheckResult("webhook", "webhook", Area.ACCESS, Verdict.UNKNOWN, "no answer"),
        ),
        rto=Estimate(540.0, complete=False),
        rpo=Estimate(12.0),
    )
    metrics = Metrics("prod")
    metrics.show_measurements(lambda: Measurements(None, (), (), sweep), Objectives())
    found = samples(metrics)
    plan = {"environment": "prod", "plan": "dr-azure"}
    assert found[("phoenix_readiness_ready", plan)] == 0
    assert found[("phoenix_readiness_checks", plan)] == 2
    assert found[("phoenix_readiness_checks_ready", plan)] == 1
    assert found[("phoenix_readiness_sweep_timestamp_seconds", plan)] == at.timestamp()
    assert (
        found[("phoenix_readiness_check", {**plan, "check": "azure-sql", "area": "database"})] == 1
    )
    assert found[("phoenix_readiness_check", {**plan, "check": "webhook", "area": "access"})] == 0
    webhook = {**plan, "check": "webhook"}
    assert found[("phoenix_readiness_check_verdict", {**webhook, "verdict": "unknown"})] == 1
    assert found[("phoenix_readiness_check_verdict", {**webhook, "verdict": "not_ready"})] == 0
    assert found[("phoenix_readiness_predicted_rto_seconds", plan)] == 540
    assert found[("phoenix_readiness_predicted_rpo_seconds", plan)] == 12
    assert found[("phoenix_readiness_prediction_complete", {**plan, "estimate": "rto"})] == 0
    assert found[("phoenix_readiness_prediction_complete", {**plan, "estimate": "rpo"})] == 1


class Samples(dict[tuple[str, frozenset[tuple[str, str]]], float]):
    def __getitem__(self, key: tuple[str, dict[str, str]]) -> float:  # type: ignore[override]
        name, labels = key
        return super().__getitem__((name, frozenset(labels.items())))


def samples(metrics: Metrics) -> Samples:
    """Every sample of a scrape, as Prometheus' own parser of the text format reads it."""
    found = Samples()
    for family in text_string_to_metric_families(metrics.text().decode()):
        for sample in family.samples:
            found[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return found


def test_before_any_readiness_sweep_its_families_are_there_without_samples() -> None:
    metrics = Metrics("prod")
    metrics.show_measurements(lambda: Measurements(None, (), ()), Objectives())
    text = metrics.text().decode()
    assert "# TYPE phoenix_readiness_ready gauge" in text
    assert "phoenix_readiness_ready{" not in text
