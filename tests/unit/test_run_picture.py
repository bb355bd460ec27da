"""The picture of a finished drill or failover: what a person reads in it (the stage names, the
RTO figure, the objectives), what a screen reader and the PNG's metadata say, and that nothing
is told by colour alone. Read from the figure's text artists and patches, never pixel hashes."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

from matplotlib.figure import Figure
from matplotlib.patches import Rectangle
from matplotlib.text import Text
from PIL import Image

from engine.drills.timeline import (
    AttemptSpan,
    PersonWait,
    RunTimeline,
    StageLane,
    TrendMark,
    WaitKind,
)
from engine.runs import RunState
from handlers.pictures import palette, png, words
from handlers.pictures.figure import WIDTH, draw

T0 = datetime(2026, 1, 5, 10, 0, tzinfo=UTC)


def lane(name: str, state: str, *attempts: tuple[float, float, str]) -> StageLane:
    return StageLane(name, None, state, tuple(AttemptSpan(*a) for a in attempts))


def drill(rto: float | None = 520.0, objective: float = 900.0) -> RunTimeline:
    stages = (
        lane("check-replication-lag", "succeeded", (0, 8, "succeeded")),
        lane("scale-azure-sql", "succeeded", (8, 40, "failed"), (50, 260, "succeeded")),
        lane("switch-traffic", "skipped"),
        lane("verify-services", "succeeded", (470, 520, "succeeded")),
    )
    trend = (
        TrendMark("r0", T0 - timedelta(days=14), True, 600.0, 20.0),
        TrendMark("r1", T0 - timedelta(days=7), False, 1000.0, 30.0),
        TrendMark("r2", T0, rto is not None and rto <= objective, rto, 12.0, current=True),
    )
    return RunTimeline(
        kind="drill",
        name="weekly-dr",
        run_id="20260105-100000-abc123",
        plan="dr-azure",
        state=RunState.SUCCEEDED,
        passed=rto is not None and rto <= objective,
        clock_started_at=T0,
        clock_start="drill start",
        rto_seconds=rto,
        rto_basis="drill start to verify-services on the DR side",
        rto_stage="verify-services" if rto is not None else None,
        rto_objective=objective,
        rpo_seconds=12.0,
        rpo_evidence="check-replication-lag: lag 12s",
        rpo_objective=300.0,
        total_seconds=523.0,
        stages=stages,
        waits=(PersonWait(WaitKind.GATE, 380.0, 470.0, "verify-services", ("UALICE",)),),
        trend=trend,
    )


def texts(figure: Figure) -> list[str]:
    return [t.get_text() for t in figure.findobj(Text) if t.get_text().strip()]


def everything_said(figure: Figure) -> str:
    return "\n".join(texts(figure))


def test_the_picture_names_every_stage_and_says_the_rto_against_its_objective() -> None:
    said = everything_said(draw(drill()))
    for stage in ("check-replication-lag", "scale-azure-sql", "switch-traffic", "verify-services"):
        assert stage in said
    assert "RTO 8m40s ✓ within 15m" in said
    assert "RTO clock stops: 8m40s" in said
    assert "RPO 12s ✓ within 5m" in said
    assert "objective 15m" in said
    assert "✓ Drill weekly-dr passed" in said
    assert "1 retry" in said, "the stage that failed once and then succeeded"
    assert "waited 1m30s for a person" in said
    assert "time since the drill start" in said


def test_an_rto_over_its_objective_is_said_in_words_and_hatched_not_only_coloured() -> None:
    figure = draw(drill(rto=1100.0))
    said = everything_said(figure)
    assert "RTO 18m20s ✗ over 15m" in said
    assert "✗ Drill weekly-dr failed" in said
    over = [
        patch
        for patch in figure.findobj(Rectangle)
        if patch.get_facecolor()[:3] == _rgb(palette.OVER) and patch.get_width() > 1000
    ]
    assert over, "the RTO bar"
    assert all(patch.get_hatch() for patch in over)


def test_failed_attempts_and_waits_for_people_are_hatched() -> None:
    figure = draw(drill())
    hatched = {
        _hex(patch.get_facecolor()): patch.get_hatch()
        for patch in figure.findobj(Rectangle)
        if patch.get_hatch()
    }
    assert hatched.get(palette.ATTEMPT["failed"][0].lower())
    assert hatched.get(palette.WAIT[0].lower())


def test_an_objective_far_beyond_a_short_run_is_pointed_at_not_drawn_to_scale() -> None:
    quick = drill(rto=40.0)
    quick = RunTimeline(**{**quick.__dict__, "stages": quick.stages[:1], "waits": ()})
    said = everything_said(draw(quick))
    assert "RTO objective 15m →" in said
    assert "RTO clock stops: 40s" in said


def test_the_png_is_sized_for_slacks_preview_and_describes_itself() -> None:
    picture = Image.open(io.BytesIO(png(drill())))
    width, height = picture.size
    assert width == WIDTH * 200
    assert height < width * 2.5
    assert picture.format == "PNG"
    assert picture.text["Title"] == "✓ Drill weekly-dr passed"
    description = picture.text["Description"]
    assert "RTO 8m40s ✓ within 15m" in description
    assert "verify-services" in description


def test_the_words_that_go_with_the_picture_fit_slack() -> None:
    timeline = drill()
    many = RunTimeline(
        **{**timeline.__dict__, "stages": timeline.stages * 60},
    )
    assert len(words.description(many)) <= words.ALT_TEXT_LIMIT
    assert words.filename(timeline) == "drill-weekly-dr-20260105-100000-abc123.png"
    assert words.comment(timeline) == (
        "Timeline of drill weekly-dr: RTO 8m40s ✓ within 15m · RPO 12s ✓ within 5m"
    )


def _rgb(colour: str) -> tuple[float, float, float]:
    value = colour.lstrip("#")
    red, green, blue = (int(value[i : i + 2], 16) / 255 for i in (0, 2, 4))
    return (red, green, blue)


def _hex(rgba: tuple[float, float, float, float]) -> str:
    return "#" + "".join(f"{round(c * 255):02x}" for c in rgba[:3])
