"""``/phoenix`` text -> command or usage, pure; any text at all gives one of the two."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from handlers import parsing

PLANS = {"quick", "dr-azure", "failback"}


def parse(text: str) -> parsing.Command | parsing.Usage:
    return parsing.parse(text, plans=PLANS, signals={"service-a", "service-b"})


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", parsing.Help()),
        ("help", parsing.Help()),
        ("STATUS", parsing.Status()),
        ("status service-a", parsing.Status("service-a")),
        ("history", parsing.History(5)),
        ("history 12", parsing.History(12)),
        ("failover quick", parsing.Failover("quick")),
        ("failback", parsing.Failback()),
        ("silence 90m deploy window", parsing.Silence(timedelta(minutes=90), "deploy window")),
        ("silence 1h", parsing.Silence(timedelta(hours=1), "no reason given")),
        ("unsilence", parsing.Unsilence()),
        ("readiness", parsing.Readiness()),
    ],
)
def test_valid_commands(text: str, expected: object) -> None:
    assert parse(text) == expected


@pytest.mark.parametrize(
    ("text", "suggestion"),
    [
        ("stauts", "status"),
        ("histroy", "history"),
        ("failovr quick", "failover"),
        ("failover quik", "failover quick"),
        ("failover", "failover <plan>"),
        ("history 0", "history 5"),
        ("history many", "history 5"),
        ("silence", "silence 1h maintenance"),
        ("silence soon", "silence 1h"),
        ("silence 30d", "silence 1h"),
        ("status service-c", "status service-b"),
        ("unsilence now", "unsilence"),
        ("readyness", "readiness"),
        ("readiness now", "readiness"),
    ],
)
def test_malformed_commands_suggest_the_closest(text: str, suggestion: str) -> None:
    result = parse(text)
    assert isinstance(result, parsing.Usage)
    assert result.suggestion == suggestion


@given(st.text(max_size=200))
def test_any_text_parses_to_a_command_or_a_usage(text: str) -> None:
    result = parse(text)
    assert isinstance(
        result,
        parsing.Usage
        | parsing.Help
        | parsing.Status
        | parsing.History
        | parsing.Failover
        | parsing.Failback
        | parsing.Silence
        | parsing.Unsilence,
    )
