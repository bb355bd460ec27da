"""The metric names the bot really exports, read from its registry (``bot.metrics``), as the
text format names them: a counter's ``_total``, a histogram's ``_bucket``/``_sum``/``_count``."""

from __future__ import annotations

import re

from bot.metrics import Metrics
from bot.reporter.outbox import ReporterStats
from engine.config import Objectives
from engine.measurements import Measurements

SUFFIXES = {
    "counter": ("_total", "_created"),
    "histogram": ("_bucket", "_sum", "_count", "_created"),
    "summary": ("_sum", "_count", "_created"),
    "gauge": ("",),
    "info": ("_info",),
}
# Prometheus' own functions, keywords and aggregations, and the dashboard's variables.
PROMQL_WORDS = {
    "sum", "max", "min", "avg", "count", "by", "without", "on", "ignoring", "group_left",
    "group_right", "and", "or", "unless", "rate", "irate", "increase", "changes", "absent",
    "histogram_quantile", "bool", "offset", "topk", "bottomk", "label_values", "le",
    "clamp_min", "clamp_max", "time", "vector", "scalar", "delta", "deriv",
}  # fmt: skip


def exported_names() -> set[str]:
    metrics = Metrics("production")
    metrics.watch(ReporterStats, lambda: True, lambda: True)
    metrics.show_measurements(lambda: Measurements(None, (), ()), Objectives())
    names: set[str] = set()
    for family in metrics.registry.collect():
        names.update(family.name + suffix for suffix in SUFFIXES[family.type])
    return names


def referenced_names(expr: str) -> set[str]:
    """The metric names a PromQL expression reads (not labels, functions or durations)."""
    text = re.sub(r"label_values\(([^,)]*),[^)]*\)", r"\1", expr)  # (metric, label)
    text = re.sub(r"\{[^}]*\}", "", text)  # label matchers
    text = re.sub(r"\[[^\]]*\]", "", text)  # ranges
    text = re.sub(r'"[^"]*"', "", text)
    words = set(re.findall(r"[a-zA-Z_:][a-zA-Z0-9_:]*", text))
    # Labels named in by (...), on (...) and the like.
    for group in re.findall(
        r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\(([^)]*)\)", text
    ):
        words -= {w.strip() for w in group.split(",")}
    return {w for w in words if w not in PROMQL_WORDS and not w.startswith("$")}
