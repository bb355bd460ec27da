"""A measured figure against its objective: one bar, the objective as a thick dashed line with
its label, and the figure in words (✓ within / ✗ over), so no colour has to be told apart."""

from __future__ import annotations

from matplotlib.axes import Axes

from handlers.pictures import palette, words
from handlers.pictures.scale import seconds_axis


def draw_gauge(axes: Axes, label: str, value: float | None, objective: float, font: float) -> None:
    top = max(objective, value or 0.0) * 1.12
    axes.set_xlim(0, top)
    axes.set_ylim(-0.5, 0.5)
    axes.set_yticks([])
    for side in ("left", "right", "top"):
        axes.spines[side].set_visible(False)
    seconds_axis(axes, top, font * 0.8)
    if value is not None:
        over = value > objective
        axes.barh(
            0,
            value,
            height=0.55,
            color=palette.OVER if over else palette.WITHIN,
            hatch=palette.OVER_HATCH if over else "",
            edgecolor=palette.BLACK,
            linewidth=0.6,
        )
    axes.axvline(objective, color=palette.BLACK, linestyle=(0, (4, 2)), linewidth=1.6)
    axes.text(
        objective,
        0.5,
        f" {words.objective_words(objective)} ",
        ha="right" if objective > top * 0.6 else "left",
        va="bottom",
        fontsize=font * 0.8,
        transform=axes.get_xaxis_transform(),
    )
    axes.set_title(label, loc="left", fontsize=font, fontweight="bold", pad=3)
