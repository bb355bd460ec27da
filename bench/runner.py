"""Benchmark: the runner's own overhead per stage, on each Store adapter.

One run of a plan of ``--stages`` no-op stages, executed start to finish; since a no-op does
nothing, the wall time per stage is what the runner costs (lease checks, the fenced writes
before and after each attempt, the stage thread, progress events). Targets: < 5 ms per stage
on SQLite, < 10 ms on Redis. Redis is measured on a redis-server the bench starts on
loopback (the Debian package ``redis-server``; without it the JSON says it was skipped), or on
the one ``PHOENIX_BENCH_REDIS_URL`` names.

    python bench/runner.py [--stages 1000]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.wiring.store import open_store
from engine.adapters.clock import SystemClock
from engine.errors import StoreUnavailable
from engine.plans.model import parse_plan
from engine.records import Surface
from engine.runner.runner import Runner
from engine.runs import RunState
from engine.store import Store
from tests.support.redis_server import RedisServer

TARGET_MS = {"sqlite": 5.0, "redis": 10.0}


@contextmanager
def sqlite_store(workdir: Path) -> Iterator[Store]:
    store = open_store(f"sqlite:///{workdir / 'bench.db'}")
    try:
        yield store
    finally:
        store.close()


@contextmanager
def redis_store(workdir: Path) -> Iterator[Store]:
    url = os.environ.get("PHOENIX_BENCH_REDIS_URL")
    server = None
    if not url:
        server = RedisServer(workdir / "redis")
        try:
            server.start()
        except RuntimeError as exc:
            raise StoreUnavailable(f"no redis-server to measure: {exc}") from exc
        url = server.url
    try:
        store = open_store(f"{url}?prefix=bench-{os.getpid()}:")
        try:
            yield store
        finally:
            store.close()
    finally:
        if server is not None:
            server.stop()


STORES: dict[str, Callable[[Path], AbstractContextManager[Store]]] = {
    "sqlite": sqlite_store,
    "redis": redis_store,
}


def ms_per_stage(store: Store, stages: int) -> float:
    plan = parse_plan(
        "bench", {"stages": [{"name": f"s{n}", "kind": "noop"} for n in range(stages)]}
    )
    runner = Runner(store, {plan.name: plan}, clock=SystemClock(), owner="bench")
    try:
        run = runner.propose(plan.name, actor="bench", surface=Surface.CLI)
        started = time.perf_counter()
        done = runner.run_now(run.run_id, actor="bench", surface=Surface.CLI)
        elapsed = time.perf_counter() - started
    finally:
        runner.close()
    if done.state is not RunState.SUCCEEDED:
        raise RuntimeError(f"the bench run ended {done.state.value}: {done.reason}")
    return elapsed * 1000 / stages


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stages", type=int, default=1000)
    args = parser.parse_args()
    result: dict[str, Any] = {"bench": "runner", "stages": args.stages}
    for name, open_one in STORES.items():
        with tempfile.TemporaryDirectory(prefix="phoenix-bench-") as workdir:
            try:
                with open_one(Path(workdir)) as store:
                    figure = ms_per_stage(store, args.stages)
            except StoreUnavailable as exc:
                result[f"{name}_ms_per_stage"] = None
                result[f"{name}_skipped"] = str(exc)
                continue
        result[f"{name}_ms_per_stage"] = round(figure, 3)
        result[f"{name}_target_ms"] = TARGET_MS[name]
        result[f"{name}_ok"] = figure < TARGET_MS[name]
    print(json.dumps(result))


if __name__ == "__main__":
    main()
