"""What `/phoenix readiness` shows: every check whole, however many and however long their
reasons, within Slack's limits for a section."""

from __future__ import annotations

from datetime import timedelta

from engine.readiness import Area, CheckResult, Estimate, ReadinessSweep, Verdict
from handlers.blocks import readiness_message
from sandbox.slack.visible import visible_text
from tests.support.clock import T0


def test_many_long_checks_are_all_shown_each_section_within_slacks_limit() -> None:
    checks = tuple(
        CheckResult(
            f"check-{n:02d}",
            f"check-{n:02d}",
            Area.ACCESS,
            Verdict.NOT_READY if n % 3 else Verdict.READY,
            f"reason {n}: " + "the cloud said something long about it " * 8,
            subject=f"subject {n}",
            since=T0,
        )
        for n in range(24)
    )
    sweep = ReadinessSweep(T0, "dr-azure", checks, Estimate(60.0), Estimate(None, (), False))
    rendered = readiness_message(sweep, T0 + timedelta(minutes=2))
    sections = [b["text"]["text"] for b in rendered.blocks if b["type"] == "section"]
    assert all(len(text) <= 3000 for text in sections)
    body = visible_text(rendered.blocks)
    assert all(f"`check-{n:02d}`" in body for n in range(24))
    assert "…" not in body, "no check is cut off"
    assert "DR readiness of plan dr-azure: 8 of 24 ready" in body
    assert "(2m ago)" in body
    assert "*RPO* not known" in body
