"""A time axis in seconds, ticked at round durations and labelled as people write them."""

from __future__ import annotations

from typing import Literal

from matplotlib.axes import Axes
from matplotlib.ticker import FuncFormatter, MultipleLocator

from handlers.blocks.kit import duration_text

_STEPS = (0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200)
_TICKS = 4
"""About this many labelled ticks: each label stays readable at Slack's preview size."""


def step_for(span: float) -> float:
    """The round step that puts about ``_TICKS`` ticks on ``span`` seconds."""
    for step in _STEPS:
        if span / step <= _TICKS:
            return step
    return _STEPS[-1] * max(1, round(span / (_STEPS[-1] * _TICKS)))


def seconds_axis(axes: Axes, span: float, font: float, which: Literal["x", "y"] = "x") -> None:
    axis = axes.xaxis if which == "x" else axes.yaxis
    axis.set_major_locator(MultipleLocator(step_for(span)))
    axis.set_major_formatter(FuncFormatter(lambda value, _: _label(value)))
    axes.tick_params(axis=which, labelsize=font, length=3, pad=2)


def _label(value: float) -> str:
    return "0" if abs(value) < 1e-9 else duration_text(value)
