"""`phoenix check-config`, `phoenix score`, `phoenix backtest`."""

from __future__ import annotations

import argparse
import sys

from engine.config import PhoenixConfig, load_config
from engine.errors import ConfigError

DEFAULT_CONFIG = "phoenix.yaml"


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    check = subparsers.add_parser("check-config", help="validate a phoenix.yaml")
    check.add_argument("file", nargs="?", default=DEFAULT_CONFIG)
    check.set_defaults(func=check_config)


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
    return 0
