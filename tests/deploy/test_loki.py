"""deploy/loki/config.alloy and the bot's log lines: the Alloy pipeline reads fields the bot
really writes, makes labels only of the few-valued ones and structured metadata of the ids, and
its components wire up; the dashboard's logs panel filters on those names."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from bot import logs
from bot.run_log import RunLog
from bot.wiring.store import open_store
from engine.runs import EventKind, ProgressEvent, Run, RunMode, RunState
from tests.deploy.alloy import Block, Reference, parse

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / "deploy" / "loki" / "config.alloy"
DASHBOARD = ROOT / "deploy" / "grafana" / "cloudphoenix.json"
LABELS = {"app", "environment", "level", "replica"}
NOW = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)


def components() -> dict[str, Block]:
    return {f"{b.name}.{b.label}": b for b in parse(CONFIG.read_text())}


def pipeline() -> Block:
    return components()["loki.process.cloudphoenix"]


def references(value: Any) -> Iterator[str]:
    if isinstance(value, Reference):
        yield value.path
    elif isinstance(value, list):
        for item in value:
            yield from references(item)
    elif isinstance(value, dict):
        for item in value.values():
            yield from references(item)


def all_references(block: Block) -> Iterator[str]:
    yield from references(block.attributes)
    for child in block.blocks:
        yield from all_references(child)


@pytest.fixture
def json_lines(tmp_path: Path) -> Iterator[list[dict[str, Any]]]:
    """The lines the bot writes, as JSON, while a run's events pass the run log."""
    stream = io.StringIO()
    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    fields = logs.configure("json", stream=stream)
    fields.bind(environment="production")
    store = open_store(f"sqlite:///{tmp_path / 'p.db'}")
    try:
        run = Run("r-1", "dr-azure", "v1", ("check-lag", "switch"), RunMode.LIVE,
                  RunState.RUNNING, NOW, "UALICE", incident_id="inc-7")  # fmt: skip
        store.create_run(run)
        run_log = RunLog(store)
        for kind, stage in ((EventKind.RUN_STARTED, None), (EventKind.STAGE_STARTED, "switch"),
                            (EventKind.STAGE_FAILED, "switch")):  # fmt: skip
            run_log.on_event(ProgressEvent("r-1", kind, NOW, stage=stage, message="lag 3s"))
        logging.getLogger("bot.scheduler").info("evaluated: score 0")
        yield [json.loads(line) for line in stream.getvalue().splitlines()]
    finally:
        store.close()
        for handler in list(root.handlers):
            root.removeHandler(handler)
        for handler in saved[0]:
            root.addHandler(handler)
        root.setLevel(saved[1])


def test_the_config_is_alloy_syntax_and_its_components_wire_up() -> None:
    found = components()
    assert set(found) == {
        "discovery.kubernetes.cloudphoenix",
        "discovery.relabel.cloudphoenix",
        "loki.source.kubernetes.cloudphoenix",
        "loki.process.cloudphoenix",
        "loki.write.default",
    }
    for name, block in found.items():
        for path in all_references(block):
            assert any(path.startswith(f"{other}.") for other in found if other != name), path
    source = found["loki.source.kubernetes.cloudphoenix"]
    assert source.attributes["forward_to"] == [Reference("loki.process.cloudphoenix.receiver")]


def test_labels_are_few_valued_and_the_ids_are_structured_metadata() -> None:
    process = pipeline()
    extracted = set(process.child("stage.json").attributes["expressions"])
    labels = set(process.child("stage.labels").attributes["values"])
    metadata = set(process.child("stage.structured_metadata").attributes["values"])
    assert labels == LABELS
    assert metadata == set(logs.IDS)
    assert labels | metadata <= extracted
    assert process.child("stage.timestamp").attributes["source"] in extracted


def test_every_line_the_bot_writes_carries_the_labels_and_a_runs_lines_its_ids(
    json_lines: list[dict[str, Any]],
) -> None:
    assert len(json_lines) == 4
    for line in json_lines:
        assert {k: line[k] for k in LABELS} == {
            "app": "cloudphoenix",
            "environment": "production",
            "level": line["level"],
            "replica": line["replica"],
        }
        assert line["replica"]
        datetime.fromisoformat(line["ts"])  # what stage.timestamp parses as RFC 3339
    run_lines = [line for line in json_lines if line.get("run_id") == "r-1"]
    assert [line["event"] for line in run_lines] == [
        "run started: lag 3s", "stage started: lag 3s", "stage failed: lag 3s",
    ]  # fmt: skip
    assert {line["incident_id"] for line in run_lines} == {"inc-7"}
    assert run_lines[-1]["stage"] == "switch"
    assert run_lines[-1]["level"] == "warning"
    assert "run_id" not in json_lines[-1], "a line of no run has no run id"


def test_the_logs_panel_filters_by_run_on_those_names() -> None:
    dashboard = json.loads(DASHBOARD.read_text())
    [panel] = [p for p in dashboard["panels"] if p["type"] == "logs"]
    [target] = panel["targets"]
    assert panel["datasource"]["type"] == "loki"
    query = target["expr"]
    selector = query[query.index("{") + 1 : query.index("}")]
    named = {part.split("=")[0].strip().rstrip("!~") for part in selector.split(",")}
    assert named <= LABELS, "the stream selector names only labels Alloy sets"
    assert '| run_id=~"$run_id"' in query
    variables = {v["name"]: v for v in dashboard["templating"]["list"]}
    assert variables["run_id"]["type"] == "textbox"
