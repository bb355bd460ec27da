"""`phoenix score` and `phoenix backtest`: the score and level logic, now or over a recorded
trace.

``score`` probes for real, so it imports the signal adapters (and their SDKs) when it runs,
and only those its configuration's signals need.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from bot.cli import exits
from bot.cli.invocation import Invocation
from bot.cli.output import Cell, Output, Style
from bot.cli.parser import Commands, add_config_option, add_json_option

if TYPE_CHECKING:
    from engine.config import PhoenixConfig
    from engine.model import LevelDecision, SignalPoints

LEVEL_NAMES = {
    0: "none",
    1: "self-healing",
    2: "region failover",
    3: "DR failover to Azure",
}
STATUS_STYLES = {
    "ok": Style.GREEN,
    "degraded": Style.YELLOW,
    "down": Style.RED,
    "unknown": Style.DIM,
}


def register(commands: Commands[argparse.ArgumentParser]) -> None:
    now = commands.add_parser(
        "score",
        help="run one evaluation now and show the score",
        description="Probe every configured signal once, score the readings and decide the "
        "level, as the bot's tick does (but propose nothing).",
    )
    add_config_option(now)
    add_json_option(now, "the score, level, reason and every reading")
    now.set_defaults(func=score_now)

    back = commands.add_parser(
        "backtest",
        help="replay recorded readings (JSON Lines) through the level logic",
        description="Replay a trace of evaluations, one JSON object a line, through the same "
        "scoring and level rules as the bot, to tune thresholds on past incidents.",
    )
    back.add_argument("trace", metavar="TRACE", help="JSON Lines file, or - for stdin")
    add_config_option(back)
    add_json_option(back, "one object per step, then the summary,")
    back.set_defaults(func=backtest)


def score_now(invocation: Invocation) -> int:
    from bot.process import prepare_process
    from bot.wiring.secrets import build_secrets
    from bot.wiring.signals import build_collector
    from engine.health.levels import assess
    from engine.health.scoring import score

    config = invocation.configuration()
    secrets = build_secrets(config.clouds)
    collector = build_collector(config, secrets=secrets.resolve)
    prepare_process()
    try:
        readings = collector.collect()
    finally:
        secrets.close()
    decision = assess(score(readings, config, collector.clock.now()), config)
    if invocation.json:
        invocation.out.json(decision_as_dict(decision, config))
    else:
        render_decision(invocation.out, decision)
    return exits.OK


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


def render_decision(out: Output, decision: LevelDecision) -> None:
    out.table(
        ("SIGNAL", "VANTAGE", "STATUS", "VALUE", "POINTS", "DETAIL"),
        (_reading_row(points) for points in decision.score.breakdown),
    )
    out.line()
    level = out.paint(f"level {decision.level:d}", Style.BOLD)
    out.line(f"score {decision.score.total} -> {level} ({LEVEL_NAMES[int(decision.level)]})")
    for reason in decision.reasons:
        out.line(f"  {reason}")


def _reading_row(points: SignalPoints) -> tuple[str | Cell, ...]:
    r = points.reading
    status = Cell(r.status.value, STATUS_STYLES.get(r.status.value))
    return (r.signal, r.vantage.value, status, _value(r.value), str(points.points), r.detail)


# Columns of the streamed backtest table: an ISO moment with its offset is 25 characters.
_BACKTEST_WIDTHS = (25, 5, 3, 5, 12, 11)


def backtest(invocation: Invocation) -> int:
    from engine.health.backtest import Backtest, BacktestStep, step_as_dict

    args = invocation.args
    config = invocation.configuration()
    try:
        stream = sys.stdin if args.trace == "-" else open(args.trace, encoding="utf-8")  # noqa: SIM115
    except OSError as exc:
        raise exits.CommandFailed(
            exits.BAD_INPUT, f"{args.trace}: cannot read the trace: {exc.strerror}"
        ) from None
    out, err = invocation.out, invocation.err
    run = Backtest(config)
    with stream:
        if not invocation.json:
            header = ("T", "SCORE", "RAW", "LEVEL", "FLAPPING", "ACTION", "REASON")
            out.row([Cell(h, Style.BOLD) for h in header], _BACKTEST_WIDTHS)
        for item in run.replay(stream):
            if not isinstance(item, BacktestStep):
                err.line(f"{args.trace}: line {item.line}: {item.message} (skipped)")
            elif invocation.json:
                out.json(step_as_dict(item))
            else:
                d = item.decision
                action = d.action.value
                out.row(
                    (
                        item.t.isoformat(),
                        str(d.score.total),
                        str(int(d.raw_level)),
                        str(int(d.level)),
                        ",".join(sorted(d.flapping)) or "-",
                        Cell(action, None if action == "none" else Style.BOLD),
                        d.reason,
                    ),
                    _BACKTEST_WIDTHS,
                )
    summary = run.summary
    if invocation.json:
        out.json({"summary": summary.as_dict()})
    else:
        out.line()
        out.line(
            f"steps: {summary.steps}, proposals: {summary.proposals}, "
            f"flaps suppressed: {summary.flaps_suppressed}, "
            f"other suppressed: {summary.suppressed - summary.flaps_suppressed}, "
            f"observer partitions: {summary.partitions}, malformed lines: {summary.malformed}"
        )
        for level, at in sorted(summary.first_proposed.items()):
            out.line(f"level {level} ({LEVEL_NAMES[level]}) first proposed at {at.isoformat()}")
        if not summary.first_proposed:
            out.line("no level was proposed")
    if summary.unknown_signals:
        names = ", ".join(summary.unknown_signals)
        err.line(f"{args.trace}: signals not in the configuration were ignored: {names}")
    return exits.OK


def _value(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:g}"
