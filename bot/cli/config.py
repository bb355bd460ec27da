"""`phoenix check-config`, `phoenix score`, `phoenix backtest`."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from datetime import UTC, datetime

from bot.cli.drill_schedules import drill_lines
from engine.config import PhoenixConfig, load_config
from engine.errors import ConfigError
from engine.health.backtest import Backtest, BacktestStep, step_as_dict
from engine.health.levels import assess
from engine.health.scoring import score
from engine.model import Level, LevelDecision

DEFAULT_CONFIG = "phoenix.yaml"
LEVEL_NAMES = {
    Level.NONE: "none",
    Level.SELF_HEAL: "self-healing",
    Level.REGION_FAILOVER: "region failover",
    Level.DR_FAILOVER: "DR failover to Azure",
}


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    check = subparsers.add_parser("check-config", help="validate a phoenix.yaml")
    check.add_argument("file", nargs="?", default=DEFAULT_CONFIG)
    check.set_defaults(func=check_config)

    now = subparsers.add_parser("score", help="run one evaluation now and show the score")
    now.add_argument("--config", default=DEFAULT_CONFIG, metavar="FILE")
    now.add_argument("--json", action="store_true", help="print one JSON object")
    now.set_defaults(func=score_now)

    back = subparsers.add_parser(
        "backtest", help="replay recorded readings (JSON Lines) through the level logic"
    )
    back.add_argument("trace", metavar="TRACE", help="JSON Lines file, or - for stdin")
    back.add_argument("--config", default=DEFAULT_CONFIG, metavar="FILE")
    back.add_argument("--json", action="store_true", help="one JSON object per step")
    back.set_defaults(func=backtest)


def load_or_report(path: str) -> PhoenixConfig | None:
    """Load a config, or print its problems (one per line) to stderr and return None."""
    try:
        return load_config(path)
    except ConfigError as exc:
        print(f"{exc.source}: invalid configuration", file=sys.stderr)
        for problem in exc.problems:
            print(f"  {problem}", file=sys.stderr)
        return None


def check_config(args: argparse.Namespace) -> int:
    config = load_or_report(args.file)
    if config is None:
        return 2
    print(f"{args.file}: ok — {config.summary()}")
    for line in drill_lines(config.drills, datetime.now(UTC)):
        print(line)
    return 0


def score_now(args: argparse.Namespace) -> int:
    from bot.process import prepare_process
    from bot.wiring.secrets import build_secrets
    from bot.wiring.signals import build_collector

    config = load_or_report(args.config)
    if config is None:
        return 2
    secrets = build_secrets(config.clouds)
    collector = build_collector(config, secrets=secrets.resolve)
    prepare_process()
    try:
        readings = collector.collect()
    finally:
        secrets.close()
    decision = assess(score(readings, config, collector.clock.now()), config)
    if args.json:
        print(json.dumps(decision_as_dict(decision, config)))
    else:
        print(render_decision(decision))
    return 0


def decision_as_dict(decision: LevelDecision, config: PhoenixConfig) -> dict[str, object]:
    return {
        "environment": config.environment,
        "at": decision.score.at.isoformat(),
        "score": decision.score.total,
        "raw_level": int(decision.raw_level),
        "level": int(decision.level),
        "partition": decision.partition,
        "reason": decision.reason,
        "readings": [
            {
                "name": sp.signal,
                "vantage": sp.reading.vantage.value,
                "status": sp.reading.status.value,
                "value": sp.reading.value,
                "points": sp.points,
                "detail": sp.reading.detail,
            }
            for sp in decision.score.breakdown
        ],
    }


def render_decision(decision: LevelDecision) -> str:
    rows = [("SIGNAL", "VANTAGE", "STATUS", "VALUE", "POINTS", "DETAIL")]
    for sp in decision.score.breakdown:
        r = sp.reading
        rows.append(
            (r.signal, r.vantage.value, r.status.value, _value(r.value), str(sp.points), r.detail)
        )
    lines = _table(rows)
    lines.append("")
    lines.append(
        f"score {decision.score.total} -> level {decision.level:d} ({LEVEL_NAMES[decision.level]})"
    )
    lines.extend(f"  {reason}" for reason in decision.reasons)
    return "\n".join(lines)


def backtest(args: argparse.Namespace) -> int:
    config = load_or_report(args.config)
    if config is None:
        return 2
    try:
        stream = sys.stdin if args.trace == "-" else open(args.trace, encoding="utf-8")  # noqa: SIM115
    except OSError as exc:
        print(f"{args.trace}: cannot read the trace: {exc.strerror}", file=sys.stderr)
        return 2
    run = Backtest(config)
    with stream:
        if not args.json:
            print(_row(("T", "SCORE", "RAW", "LEVEL", "FLAPPING", "ACTION", "REASON")))
        for item in run.replay(stream):
            if not isinstance(item, BacktestStep):
                print(f"{args.trace}: line {item.line}: {item.message} (skipped)", file=sys.stderr)
            elif args.json:
                print(json.dumps(step_as_dict(item)))
            else:
                d = item.decision
                print(
                    _row(
                        (
                            item.t.isoformat(),
                            str(d.score.total),
                            str(int(d.raw_level)),
                            str(int(d.level)),
                            ",".join(sorted(d.flapping)) or "-",
                            d.action.value,
                            d.reason,
                        )
                    )
                )
    summary = run.summary
    if args.json:
        print(json.dumps({"summary": summary.as_dict()}))
    else:
        print()
        print(
            f"steps: {summary.steps}, proposals: {summary.proposals}, "
            f"flaps suppressed: {summary.flaps_suppressed}, "
            f"other suppressed: {summary.suppressed - summary.flaps_suppressed}, "
            f"observer partitions: {summary.partitions}, malformed lines: {summary.malformed}"
        )
        for level, at in sorted(summary.first_proposed.items()):
            print(f"level {level} ({LEVEL_NAMES[Level(level)]}) first proposed at {at.isoformat()}")
        if not summary.first_proposed:
            print("no level was proposed")
    if summary.unknown_signals:
        names = ", ".join(summary.unknown_signals)
        print(
            f"{args.trace}: signals not in the configuration were ignored: {names}", file=sys.stderr
        )
    return 0


_WIDTHS = (25, 5, 3, 5, 12, 11)


def _row(cells: Sequence[str]) -> str:
    padded = [cell.ljust(width) for cell, width in zip(cells, _WIDTHS, strict=False)]
    return "  ".join([*padded, *cells[len(_WIDTHS) :]]).rstrip()


def _table(rows: Sequence[Sequence[str]]) -> list[str]:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    return [
        "  ".join([*(c.ljust(w) for c, w in zip(row, widths, strict=False)), row[-1]]).rstrip()
        for row in rows
    ]


def _value(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:g}"
