"""Continuous object sync in the running bot: a job of the leader alone, held off while a run
syncs the pair, and its state there for a readiness check to read."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

from bot.leader import Leadership
from bot.wiring.warming import build_warming
from engine.plans.model import plan_book
from engine.runs import Run, RunMode, RunState
from engine.sync_records import SyncPassKind, object_pair
from sandbox.slack import Emulator
from tests.e2e.scheduler_support import Bot, running_bot, scheduler_config
from tests.support.object_fixtures import blob_store, blobs, body, make_bucket
from tests.support.stand_ins import Azurite, Moto

pytestmark = pytest.mark.integration

PAIR = object_pair("s3://primary", "blob://{container}")
OBJECTS = {f"data/{i:02d}.bin": body(f"data/{i:02d}.bin", 64 + i) for i in range(12)}


@pytest.fixture
def bot(
    moto: Moto,
    azurite: Azurite,
    container_name: str,
    aws_env: None,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> Iterator[Bot]:
    monkeypatch.setenv("PHOENIX_TEST_BLOB", azurite.connection_string)
    make_bucket(moto.url, "primary", OBJECTS)
    blob_store(azurite.connection_string, container_name)
    extra = f"""
clouds:
  aws: {{region: us-east-1, endpoint_url: "{moto.url}"}}
  azure: {{storage: {{connection_string: "env:PHOENIX_TEST_BLOB"}}}}
recovery:
  objects:
    bucket: primary
    container: {container_name}
    continuous: {{every: 10s, margin: 0s}}
"""
    with (
        Emulator() as slack,
        running_bot(slack, tmp_path, config_text=scheduler_config(extra), connect=False) as running,
    ):
        yield running


def _pair(container: str) -> str:
    return PAIR.format(container=container)


def test_only_the_leader_makes_passes(bot: Bot, azurite: Azurite, container_name: str) -> None:
    phoenix = bot.phoenix
    warming = phoenix.warming
    assert warming is not None
    assert phoenix.leadership.keep()
    follower = Leadership(phoenix.store, "replica-b", phoenix.leadership.ttl)
    assert not follower.keep()
    other = build_warming(
        phoenix.config,
        phoenix.clouds,
        phoenix.store,
        plan_book(phoenix.config),
        clock=bot.clock,
        owner="replica-b",
        leadership=follower,
    )
    assert other is not None

    assert other.run() is None
    assert phoenix.store.get_object_sync(_pair(container_name)) is None

    done = warming.run()

    assert done is not None
    assert (done.kind, done.copied) == (SyncPassKind.FULL, len(OBJECTS))
    assert blobs(azurite.connection_string, container_name) == OBJECTS


def test_a_run_syncing_the_pair_holds_passes_off_and_the_state_says_so(
    bot: Bot, azurite: Azurite, container_name: str
) -> None:
    phoenix = bot.phoenix
    warming = phoenix.warming
    assert warming is not None
    assert phoenix.leadership.keep()
    run = Run(
        "dr-1", "dr-azure", "v1", (), RunMode.LIVE, RunState.RUNNING, bot.clock.now(), "UALICE"
    )
    phoenix.store.create_run(run)

    assert warming.run() is None

    state = phoenix.store.get_object_sync(_pair(container_name))
    assert state is not None
    assert state.held.startswith("run dr-1 (dr-azure, running) syncs s3://primary")
    assert blobs(azurite.connection_string, container_name) == {}

    phoenix.store.update_run(replace(run, state=RunState.ABORTED), expect=RunState.RUNNING)
    done = warming.run()
    assert done is not None
    assert done.copied == len(OBJECTS)
    state = phoenix.store.get_object_sync(_pair(container_name))
    assert state is not None
    assert state.held == ""
    assert state.backlog_age(bot.clock.now() + timedelta(minutes=5)) == timedelta(minutes=5)
    assert (state.pending.objects, state.pending.bytes) == (0, 0)


def test_the_scheduler_runs_a_pass_on_the_leader_every_interval(
    bot: Bot, container_name: str
) -> None:
    phoenix = bot.phoenix
    assert phoenix.leadership.keep()
    phoenix.scheduler.start()
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if phoenix.store.list_object_sync_passes(_pair(container_name)):
                break
            time.sleep(0.2)
    finally:
        phoenix.scheduler.stop()

    passes = phoenix.store.list_object_sync_passes(_pair(container_name))
    assert [p.copied for p in passes] == [len(OBJECTS)]
