import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.cli.main import main

from .levels_support import CONFIG_YAML, SIGNALS

T0 = datetime(2026, 3, 1, 10, 0, tzinfo=UTC)


def line(i: int, **statuses: str) -> str:
    readings = {name: {"status": "ok", "value": 0} for name in SIGNALS}
    for name, status in statuses.items():
        readings[name.replace("_", "-")] = {"status": status, "value": None}
    t = (T0 + timedelta(seconds=30 * i)).isoformat()
    return json.dumps({"t": t, "readings": readings})


OUTAGE = dict.fromkeys(("service_a", "service_b", "external", "cross_cloud", "nodes"), "down")


@pytest.fixture
def config_file(tmp_path: Path) -> Path:
    path = tmp_path / "phoenix.yaml"
    path.write_text(CONFIG_YAML)
    return path


def replay(
    tmp_path: Path, config_file: Path, lines: list[str], capsys: pytest.CaptureFixture[str]
) -> tuple[list[dict[str, object]], dict[str, object], str]:
    trace = tmp_path / "trace.jsonl"
    trace.write_text("\n".join(lines) + "\n")
    assert main(["backtest", str(trace), "--config", str(config_file), "--json"]) == 0
    captured = capsys.readouterr()
    objects = [json.loads(text) for text in captured.out.splitlines()]
    return objects[:-1], objects[-1]["summary"], captured.err


def test_an_outage_opens_escalates_and_resolves(
    tmp_path: Path, config_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lines = [line(0), line(1, service_a="down"), line(2, service_a="down")]
    lines += [line(3 + i, **OUTAGE) for i in range(3)]
    lines += [line(6 + i) for i in range(5)]
    steps, summary, err = replay(tmp_path, config_file, lines, capsys)
    assert [s["action"] for s in steps] == [
        "none", "none", "open", "none", "escalate", "none",
        "none", "none", "none", "resolve", "none",
    ]  # fmt: skip
    assert [s["level"] for s in steps][:6] == [0, 0, 1, 1, 3, 3]
    assert steps[4]["raw_level"] == 3
    assert steps[4]["score"] == 17  # services 4 + 4, external 3, cross-cloud 3, nodes 3
    assert set(steps[0]) >= {"t", "score", "raw_level", "level", "flapping", "action", "reason"}
    assert summary["proposals"] == 2
    assert summary["first_proposed"] == {
        "1": (T0 + timedelta(seconds=60)).isoformat(),
        "3": (T0 + timedelta(seconds=120)).isoformat(),
    }
    assert err == ""


def test_a_missing_signal_counts_as_unknown(
    tmp_path: Path, config_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bare = json.dumps({"t": T0.isoformat(), "readings": {}})
    steps, _, _ = replay(tmp_path, config_file, [bare], capsys)
    assert steps[0]["score"] == len(SIGNALS)  # one point each for unknown
    assert "unknown" in str(steps[0]["reason"])


def test_malformed_lines_are_reported_and_skipped(
    tmp_path: Path, config_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lines = [
        line(0, service_a="down"),
        "{not json",
        json.dumps({"t": "yesterday", "readings": {}}),
        json.dumps({"t": T0.isoformat(), "readings": {"service-a": {"status": "sideways"}}}),
        line(1, service_a="down"),
    ]
    steps, summary, err = replay(tmp_path, config_file, lines, capsys)
    assert len(steps) == 2
    assert steps[1]["action"] == "open"  # the replay went on past the bad lines
    assert summary["malformed_lines"] == 3
    reported = err.splitlines()
    assert [r.split(": ")[1] for r in reported] == ["line 2", "line 3", "line 4"]
    assert all(r.endswith("(skipped)") for r in reported)
    assert "status" in reported[2]


def test_flaps_are_counted_in_the_summary(
    tmp_path: Path, config_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cycle = [{"service_a": "down"}] * 2 + [{}] * 4
    lines = [line(i, **statuses) for i, statuses in enumerate(cycle * 7)]
    steps, summary, _ = replay(tmp_path, config_file, lines, capsys)
    assert summary["flaps_suppressed"] >= 1
    assert any(s["flapping"] == ["service-a"] for s in steps)
    assert summary["proposals"] == sum(1 for s in steps if s["action"] in ("open", "escalate"))


def test_a_failover_event_starts_the_cool_down(
    tmp_path: Path, config_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first = json.loads(line(0))
    first["event"] = "failover"
    lines = [json.dumps(first)] + [line(1 + i, service_a="down") for i in range(3)]
    steps, summary, _ = replay(tmp_path, config_file, lines, capsys)
    assert [s["action"] for s in steps[1:]] == ["none", "suppressed", "suppressed"]
    assert "cool-down" in str(steps[2]["reason"])
    assert summary["proposals"] == 0


def test_text_output_has_a_table_and_a_summary(
    tmp_path: Path, config_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    trace = tmp_path / "trace.jsonl"
    trace.write_text("\n".join(line(i, **OUTAGE) for i in range(3)) + "\n")
    assert main(["backtest", str(trace), "--config", str(config_file)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].split()[:6] == ["T", "SCORE", "RAW", "LEVEL", "FLAPPING", "ACTION"]
    assert out[2].split()[1:6] == ["17", "3", "3", "-", "open"]
    assert "level 3 (DR failover to Azure) first proposed at" in out[-1]


def test_an_unreadable_trace_is_a_clear_error(
    tmp_path: Path, config_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["backtest", str(tmp_path / "nope.jsonl"), "--config", str(config_file)]) == 2
    assert "cannot read the trace" in capsys.readouterr().err
