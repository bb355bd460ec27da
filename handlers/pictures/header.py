"""The picture's title (how the run ended, its plan, when, which run) and the legend of the
lanes' marks, each in a row of its own."""

from __future__ import annotations

from matplotlib.axes import Axes
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from engine.drills.timeline import RunTimeline
from handlers.pictures import palette, words


def draw_header(axes: Axes, t: RunTimeline, font: float) -> None:
    axes.set_axis_off()
    axes.text(0, 1, words.headline(t), fontsize=font * 1.15, fontweight="bold", va="top")
    axes.text(0, 0.48, words.subline(t), fontsize=font * 0.75, va="top", linespacing=1.4)


def draw_legend(axes: Axes, font: float) -> None:
    axes.set_axis_off()
    ok_fill, _ = palette.ATTEMPT["succeeded"]
    bad_fill, bad_hatch = palette.ATTEMPT["failed"]
    marks: list[Patch | Line2D] = [
        Patch(facecolor=ok_fill, edgecolor=palette.BLACK, linewidth=0.5, label="attempt"),
        Patch(
            facecolor=bad_fill,
            hatch=bad_hatch,
            edgecolor=palette.BLACK,
            linewidth=0.5,
            label="failed attempt",
        ),
        Patch(
            facecolor=palette.WAIT[0],
            hatch=palette.WAIT[1],
            edgecolor=palette.BLACK,
            linewidth=0.5,
            label="waiting for people",
        ),
        Line2D([], [], color=palette.BLACK, linewidth=1.8, label="RTO clock stops"),
    ]
    axes.legend(
        handles=marks,
        loc="center",
        ncol=2,
        fontsize=font * 0.75,
        frameon=False,
        handlelength=1.4,
        columnspacing=1.2,
        borderaxespad=0,
    )
