"""The picture's layout: the title, the RTO and RPO against their objectives, the stages in
time, the trend of the last drills; and its PNG.

Sized for Slack's thread preview (about 400 px wide): the figure is 4 inches wide and saved at
200 dpi, so a 9-point label is about 11 px tall once Slack shows it at 360 px. Drawn on a
``Figure`` of its own with the Agg renderer, never through pyplot's global state: the
reporter's thread and a command draw without a display and without sharing a figure.
"""

from __future__ import annotations

import io
import threading

from matplotlib.figure import Figure
from matplotlib.layout_engine import ConstrainedLayoutEngine

from engine.drills.timeline import RunTimeline
from handlers.pictures import words
from handlers.pictures.gauges import draw_gauge
from handlers.pictures.header import draw_header, draw_legend
from handlers.pictures.lanes import draw_lanes, lanes_height
from handlers.pictures.trend import draw_trend

WIDTH = 4.0
"""Inches."""
DPI = 200
BASE_FONT = 11.0

_HEADER = 0.68
_GAUGE = 0.45
_LEGEND = 0.32
_TREND = 1.4
_GAPS = 0.5
"""Inches between and around the panels (axis labels live there)."""

_DRAWING = threading.Lock()
"""matplotlib's font cache and text layout are shared by every figure: one drawing at a time."""


def draw(timeline: RunTimeline) -> Figure:
    """The picture of ``timeline`` as a matplotlib ``Figure`` (its texts are its artists)."""
    heights = [_HEADER, _GAUGE, _GAUGE, lanes_height(timeline), _LEGEND, _TREND]
    layout = ConstrainedLayoutEngine(h_pad=0.04, w_pad=0.04, hspace=0.04)
    figure = Figure(figsize=(WIDTH, sum(heights) + _GAPS), dpi=DPI, layout=layout)
    grid = figure.add_gridspec(len(heights), 2, height_ratios=heights)
    draw_header(figure.add_subplot(grid[0, :]), timeline, BASE_FONT)
    draw_gauge(
        figure.add_subplot(grid[1, :]),
        words.rto_words(timeline),
        timeline.rto_seconds,
        timeline.rto_objective,
        BASE_FONT,
    )
    draw_gauge(
        figure.add_subplot(grid[2, :]),
        words.rpo_words(timeline),
        timeline.rpo_seconds,
        timeline.rpo_objective,
        BASE_FONT,
    )
    draw_lanes(figure.add_subplot(grid[3, :]), timeline, BASE_FONT)
    draw_legend(figure.add_subplot(grid[4, :]), BASE_FONT)
    draw_trend(figure.add_subplot(grid[5, 0]), timeline, "rto", BASE_FONT)
    draw_trend(figure.add_subplot(grid[5, 1]), timeline, "rpo", BASE_FONT)
    return figure


def render(timeline: RunTimeline) -> bytes:
    """The PNG of ``timeline``'s picture; its title and description are PNG text chunks."""
    with _DRAWING:
        figure = draw(timeline)
        out = io.BytesIO()
        figure.savefig(
            out,
            format="png",
            dpi=DPI,
            facecolor="white",
            metadata={
                "Title": words.headline(timeline),
                "Description": words.description(timeline),
                "Software": "CloudPhoenix",
            },
        )
    return out.getvalue()
