"""The stages in time: one lane per stage, its attempts as bars (a failed one hatched), the
waits for people as hatched bars with words, the moment the RTO clock stopped, and the RTO
objective as a labelled dashed line (or an arrow to it, when it lies far beyond the run)."""

from __future__ import annotations

from typing import Any

from matplotlib.axes import Axes

from engine.drills.timeline import PersonWait, RunTimeline, WaitKind
from handlers.blocks.kit import duration_text
from handlers.pictures import palette, words
from handlers.pictures.scale import seconds_axis

ROW = 0.36
"""Inches per lane: a line of words above a bar."""
_AXIS = 0.45
"""Inches for the time axis under the lanes."""
_BAR = 0.34
_OBJECTIVE_IN_VIEW = 1.6
"""The objective line is drawn when it lies within this many run-lengths; else an arrow."""
_ON_TOP: dict[str, Any] = {
    "zorder": 4,
    "bbox": {"facecolor": "white", "edgecolor": "none", "alpha": 0.85, "pad": 0.6},
}
"""Words stay readable where a line or a bar passes behind them."""


def lanes_height(timeline: RunTimeline) -> float:
    return (len(_rows(timeline)) + 1) * ROW + _AXIS


def draw_lanes(axes: Axes, t: RunTimeline, font: float) -> None:
    rows = _rows(t)
    top = len(rows)
    span = t.end * 1.08
    objective_in_view = t.rto_objective <= t.end * _OBJECTIVE_IN_VIEW
    if objective_in_view:
        span = max(span, t.rto_objective * 1.06)
    axes.set_xlim(0, span)
    axes.set_ylim(-0.45, top + 0.55)
    axes.set_yticks([])
    for side in ("left", "right", "top"):
        axes.spines[side].set_visible(False)
    seconds_axis(axes, span, font * 0.8)
    axes.grid(axis="x", color=palette.FAINT, linewidth=0.6)
    axes.set_axisbelow(True)
    axes.set_xlabel(words.clock_words(t), fontsize=font * 0.8, labelpad=2, loc="left")
    least = span * 0.004
    for index, (label, attempts, waits) in enumerate(rows):
        y = top - 1 - index
        axes.text(0, y + 0.2, label, fontsize=font * 0.85, va="bottom", ha="left", **_ON_TOP)
        for start, end, outcome in attempts:
            fill, hatch = palette.ATTEMPT.get(outcome, palette.ATTEMPT["running"])
            axes.barh(
                y,
                max(end - start, least),
                left=start,
                height=_BAR,
                color=fill,
                hatch=hatch,
                edgecolor=palette.BLACK,
                linewidth=0.5,
            )
        for wait in waits:
            axes.barh(
                y,
                max(wait.end - wait.start, least),
                left=wait.start,
                height=_BAR,
                color=palette.WAIT[0],
                hatch=palette.WAIT[1],
                edgecolor=palette.BLACK,
                linewidth=0.5,
            )
    if t.rto_seconds is not None:
        axes.axvline(t.rto_seconds, color=palette.BLACK, linewidth=1.8)
        axes.text(
            t.rto_seconds,
            top + 0.15,
            f" RTO clock stops: {duration_text(t.rto_seconds)} ",
            ha="right" if t.rto_seconds > span * 0.5 else "left",
            va="bottom",
            fontsize=font * 0.8,
            fontweight="bold",
            **_ON_TOP,
        )
    objective = words.objective_words(t.rto_objective)
    if objective_in_view:
        axes.axvline(t.rto_objective, color=palette.BLACK, linestyle=(0, (4, 2)), linewidth=1.6)
        axes.text(
            t.rto_objective,
            top + 0.15,
            f" RTO {objective} ",
            ha="right",
            va="bottom",
            fontsize=font * 0.8,
            **_ON_TOP,
        )
    else:
        # Far beyond the run: drawing it would squeeze the stages into a sliver.
        axes.annotate(
            f"RTO {objective} →",
            xy=(1.0, 0.0),
            xycoords="axes fraction",
            xytext=(0, -(0.8 * font + 6)),
            textcoords="offset points",
            ha="right",
            va="top",
            fontsize=font * 0.8,
        )


Row = tuple[str, list[tuple[float, float, str]], list[PersonWait]]


def _rows(t: RunTimeline) -> list[Row]:
    """The lanes top to bottom: the wait for approval (if any), then each stage, with the waits
    that held it up (a gate before it, a pause after its failure)."""
    rows: list[Row] = [
        (words.wait_words(w), [], [w]) for w in t.waits if w.kind is WaitKind.APPROVAL
    ]
    for lane in t.stages:
        waits = [w for w in t.waits if w.stage == lane.name and w.kind is not WaitKind.APPROVAL]
        label = " · ".join([words.lane_words(lane), *(words.wait_words(w) for w in waits)])
        rows.append((label, [(a.start, a.end, a.outcome) for a in lane.attempts], waits))
    return rows
