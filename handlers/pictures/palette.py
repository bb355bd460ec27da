"""Colours, hatches and markers of the pictures: the Okabe-Ito palette (Okabe and Ito, "Color
Universal Design", 2008), chosen so that the common colour-vision deficiencies keep every pair
apart, and a second cue for each meaning (hatching, a marker's shape, words)."""

from __future__ import annotations

from typing import Final

BLACK: Final = "#000000"
ORANGE: Final = "#E69F00"
SKY_BLUE: Final = "#56B4E9"
BLUISH_GREEN: Final = "#009E73"
YELLOW: Final = "#F0E442"
BLUE: Final = "#0072B2"
VERMILLION: Final = "#D55E00"
REDDISH_PURPLE: Final = "#CC79A7"
GREY: Final = "#7F7F7F"
FAINT: Final = "#E8E8E8"

WITHIN: Final = BLUISH_GREEN
"""A figure within its objective (also said in words, ✓)."""
OVER: Final = VERMILLION
"""A figure over its objective (hatched, and said in words, ✗)."""
OVER_HATCH: Final = "xxx"

ATTEMPT: Final = {
    "succeeded": (BLUE, ""),
    "failed": (VERMILLION, "xxx"),
    "timed_out": (VERMILLION, "xxx"),
    "interrupted": (ORANGE, "..."),
    "running": (GREY, "..."),
}
"""Attempt outcome -> (fill, hatch)."""

WAIT: Final = (YELLOW, "///")
"""A wait for people (approval, gate, paused run): fill and hatch."""

PASSED_MARKER: Final = ("o", BLUISH_GREEN)
FAILED_MARKER: Final = ("X", VERMILLION)
