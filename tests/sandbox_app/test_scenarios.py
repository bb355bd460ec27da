"""Every scenario of `phoenix sandbox --scenario NAME --headless`, played against a fresh
sandbox: the real bot decides from the signals; the scenario checks what people would see."""

from __future__ import annotations

import pytest

from sandbox.runtime import Sandbox
from sandbox.scenarios import SCENARIOS, play


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_scenario_holds(name: str, sandbox: Sandbox) -> None:
    outcome = play(SCENARIOS[name], sandbox)
    assert outcome.passed, outcome.report()
    assert "=== #incidents ===" in outcome.transcript
    assert not sandbox.slack.ack_failures(), "every delivery acked within 3 s"
    assert not sandbox.slack.rate_limit_breaches()


def test_cli_lists_and_plays_headless(capsys: pytest.CaptureFixture[str]) -> None:
    from bot.cli.main import main

    assert main(["sandbox", "--list-scenarios"]) == 0
    listed = capsys.readouterr().out
    assert all(name in listed for name in SCENARIOS)
    assert main(["sandbox", "--scenario", "no-such-story", "--headless"]) == 2
    assert main(["sandbox", "--scenario", "observer-partition", "--headless"]) == 0
    out = capsys.readouterr().out
    assert "observer-partition: PASSED" in out
