"""`phoenix check-config [FILE]`: is this phoenix.yaml usable, and if not, every reason why; and
when each drill will next fire (``bot.cli.drill_schedules``), with a warning on a schedule that
fires on days people rarely mean. A warning is not an error: the exit status stays 0."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime

from bot.cli import exits
from bot.cli.invocation import Invocation, config_problems
from bot.cli.output import Style
from bot.cli.parser import Commands, add_json_option


def register(commands: Commands[argparse.ArgumentParser]) -> None:
    check = commands.add_parser(
        "check-config",
        help="validate a phoenix.yaml",
        description="Validate a phoenix.yaml: one line per problem, each naming its field.",
    )
    check.add_argument(
        "config",
        nargs="?",
        metavar="FILE",
        help="the file to check (default: $PHOENIX_CONFIG, else ./phoenix.yaml)",
    )
    add_json_option(check, "the verdict, a summary, every problem and the drills' next firings")
    check.set_defaults(func=check_config)


def check_config(invocation: Invocation) -> int:
    from bot.cli.drill_schedules import drill_lines, drills_as_json
    from engine.config import BUILTIN_PLANS, load_config
    from engine.errors import ConfigError

    location = invocation.config_location()
    invocation.tell(f"config: {location}")
    out = invocation.out
    try:
        config = load_config(location.where)
    except ConfigError as exc:
        if not invocation.json:
            raise exits.CommandFailed(exits.BAD_INPUT, *config_problems(exc)) from None
        problems = [{"path": p.path, "message": p.message} for p in exc.problems]
        out.json({"config": location.where, "valid": False, "problems": problems})
        return exits.BAD_INPUT
    now = datetime.now(UTC)
    if invocation.json:
        out.json(
            {
                "config": location.where,
                "valid": True,
                "summary": config.summary(),
                "environment": config.environment,
                "signals": [signal.name for signal in config.signals],
                "plans": sorted(set(BUILTIN_PLANS) | set(config.plans)),
                "drills": drills_as_json(config.drills, now),
            }
        )
    else:
        out.line(f"{location.where}: {out.paint('ok', Style.GREEN)} — {config.summary()}")
        for line in drill_lines(config.drills, now):
            out.line(line)
    return exits.OK
