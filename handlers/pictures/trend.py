"""The trend of the last drills: RTO or RPO per drill, oldest first, against the objective.
A drill that passed is a circle, one that failed a cross; this run is the large mark."""

from __future__ import annotations

from typing import Literal

from matplotlib.axes import Axes

from engine.drills.timeline import RunTimeline
from handlers.pictures import palette, words
from handlers.pictures.scale import seconds_axis


def draw_trend(axes: Axes, t: RunTimeline, which: Literal["rto", "rpo"], font: float) -> None:
    objective = t.rto_objective if which == "rto" else t.rpo_objective
    points = [
        (index, mark.rto_seconds if which == "rto" else mark.rpo_seconds, mark)
        for index, mark in enumerate(t.trend)
    ]
    values = [value for _, value, _ in points if value is not None]
    top = max([objective, *values]) * 1.2
    axes.set_ylim(0, top)
    axes.set_xlim(-0.6, max(len(points), 2) - 0.4)
    seconds_axis(axes, top, font * 0.75, which="y")
    for side in ("right", "top"):
        axes.spines[side].set_visible(False)
    name = "RTO" if which == "rto" else "RPO"
    drills = sum(1 for mark in t.trend if not mark.current)
    axes.set_title(
        f"{name}, last {drills} drill{'s' if drills != 1 else ''} + this"
        if drills
        else f"{name}: first of its kind",
        loc="left",
        fontsize=font * 0.85,
        pad=3,
    )
    axes.axhline(objective, color=palette.BLACK, linestyle=(0, (4, 2)), linewidth=1.4)
    axes.text(
        -0.5,
        objective,
        words.objective_words(objective),
        va="center",
        ha="left",
        fontsize=font * 0.7,
        zorder=4,
        bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.85, "pad": 0.6},
    )
    line = [(index, value) for index, value, _ in points if value is not None]
    if len(line) > 1:
        axes.plot(*zip(*line, strict=True), color=palette.GREY, linewidth=0.8, zorder=1)
    for index, value, mark in points:
        if value is None:
            continue
        shape, colour = palette.PASSED_MARKER if mark.passed else palette.FAILED_MARKER
        axes.scatter(
            [index],
            [value],
            marker=shape,
            s=70 if mark.current else 30,
            color=colour,
            edgecolors=palette.BLACK,
            linewidths=1.2 if mark.current else 0.4,
            zorder=3,
        )
    axes.set_xticks(
        [index for index, _, _ in points],
        ["this" if mark.current else "" for _, _, mark in points],
        fontsize=font * 0.75,
    )
    axes.tick_params(axis="x", length=2, pad=1)
