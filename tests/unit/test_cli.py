"""The command line as a whole, in process: help for every argument, the environment and exit
statuses in `phoenix --help`, `--version`, `-v`, `--json`, entry-point command groups, tables."""

from __future__ import annotations

import argparse
import json
import re
from collections.abc import Iterator
from importlib.metadata import EntryPoint, version
from io import StringIO
from pathlib import Path
from typing import Any

import pytest

from bot.cli import exits
from bot.cli.main import build_parser, main
from bot.cli.output import Cell, Output, Style
from bot.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "phoenix.yaml"
ESCAPE = re.compile(r"\x1b\[[0-9;]*m")


@pytest.fixture
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    for name in ("PHOENIX_CONFIG", "PHOENIX_STORE_URL", "NO_COLOR"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


def parsers(parser: argparse.ArgumentParser, path: str = "phoenix") -> Iterator[tuple[str, Any]]:
    """Every (command path, parser) of the tree, the top included."""
    yield path, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from parsers(sub, f"{path} {name}")


def test_every_argument_of_every_command_has_help() -> None:
    missing = [
        f"{path}: {action.dest}"
        for path, parser in parsers(build_parser())
        for action in parser._actions
        if not isinstance(action, argparse._SubParsersAction) and not action.help
    ]
    assert missing == []
    commands = [
        f"{path}: {choice.dest}"
        for path, parser in parsers(build_parser())
        for action in parser._actions
        if isinstance(action, argparse._SubParsersAction)
        for choice in action._choices_actions
        if not choice.help
    ]
    assert commands == []


def test_help_lists_every_environment_variable_and_exit_status(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as done:
        main(["--help"])
    assert done.value.code == 0
    out = capsys.readouterr().out
    for field in Settings.model_fields.values():
        assert re.search(rf"^    {field.alias}\s+\S", out, re.MULTILINE), field.alias
    for status, meaning in exits.MEANINGS:
        assert f"  {status:<3}  {meaning}" in out
    commands = out[out.index("COMMAND\n") : out.index("options:")]
    for name in ("check-config", "score", "backtest", "plan", "runs", "run", "sandbox"):
        assert re.search(rf"^    {name}\s+\w", commands, re.MULTILINE), name


def test_version_is_the_installed_distributions(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert done.value.code == 0
    assert capsys.readouterr().out == f"phoenix {version('cloudphoenix')}\n"


def test_a_usage_error_is_bad_input(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main(["plan", "show"])
    assert done.value.code == exits.BAD_INPUT
    assert "the following arguments are required: NAME" in capsys.readouterr().err
    assert main([]) == exits.BAD_INPUT
    assert "usage: phoenix" in capsys.readouterr().out
    for limit in ("0", "-3", "ten"):
        with pytest.raises(SystemExit) as done:
            main(["runs", "list", "--limit", limit])
        assert done.value.code == exits.BAD_INPUT
        assert f"argument --limit: must be a whole number above zero, not '{limit}'" in (
            capsys.readouterr().err
        )


@pytest.mark.parametrize("where", ["before", "after"])
def test_verbose_says_which_config_and_why_before_or_after_the_command(
    where: str, in_tmp: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["plan", "show", "failback", "--config", str(EXAMPLE)]
    assert main(["-v", *argv] if where == "before" else [*argv, "-v"]) == 0
    err = capsys.readouterr().err
    assert err == f"phoenix: config: {EXAMPLE} (given on the command line)\n"


def test_without_verbose_nothing_is_said_about_locations(
    in_tmp: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["plan", "show", "failback"]) == 0
    assert capsys.readouterr().err == ""
    assert main(["-v", "plan", "show", "failback"]) == 0
    assert capsys.readouterr().err == (
        "phoenix: config: none, phoenix.yaml does not exist: the built-in defaults\n"
    )


def test_check_config_json_gives_the_verdict_and_every_problem(
    in_tmp: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["check-config", str(EXAMPLE), "--json"]) == 0
    verdict = json.loads(capsys.readouterr().out)
    assert verdict["valid"] is True
    assert verdict["config"] == str(EXAMPLE)
    assert "service-a" in verdict["signals"]
    assert {"dr-azure", "failback", "region-failover", "self-heal"} <= set(verdict["plans"])
    (drill,) = verdict["drills"]
    assert (drill["name"], drill["warning"]) == ("monthly-dr", None)
    assert len(drill["next_firings"]) == 3
    assert all(at.endswith("+00:00") for at in drill["next_firings"])
    assert drill["meaning"].startswith("At ")

    quarterly = in_tmp / "quarterly.yaml"
    quarterly.write_text(
        "drills:\n  - {name: q, schedule: '0 10 1-7 1,4,7,10 2', timezone: Europe/Berlin}\n"
    )
    assert main(["check-config", str(quarterly), "--json"]) == 0, "a warning is not an error"
    (drill,) = json.loads(capsys.readouterr().out)["drills"]
    assert drill["warning"].startswith("drills[0].schedule: day-of-month '1-7' and day-of-week")

    bad = in_tmp / "bad.yaml"
    bad.write_text("signals:\n  - {name: a, kind: http, targets: [ftp://a], timout: 1}\n")
    assert main(["check-config", str(bad), "--json"]) == exits.BAD_INPUT
    verdict = json.loads(capsys.readouterr().out)
    assert verdict["valid"] is False
    assert verdict["problems"] == [
        {"path": "signals[0].targets[0]", "message": "must be an http:// or https:// URL"},
        {"path": "signals[0].timout", "message": "unknown field (did you mean 'timeout'?)"},
    ]


def test_without_the_entry_point_there_is_no_sandbox_command(
    capsys: pytest.CaptureFixture[str],
) -> None:
    parser = build_parser(installed_extensions=[])
    with pytest.raises(SystemExit) as done:
        parser.parse_args(["sandbox", "--list-scenarios"])
    assert done.value.code == exits.BAD_INPUT
    assert "invalid choice: 'sandbox'" in capsys.readouterr().err
    assert build_parser().parse_args(["sandbox", "--list-scenarios"]).list_scenarios


def test_an_extension_that_fails_or_clashes_is_left_out_and_the_rest_work(
    capsys: pytest.CaptureFixture[str],
) -> None:
    group = "cloudphoenix.commands"
    extensions = [
        EntryPoint("missing", "no_such_module_here:register", group),
        EntryPoint("clash", "bot.cli.plans:register", group),
        EntryPoint("sandbox", "sandbox.cli:register", group),
    ]
    parser = build_parser(installed_extensions=extensions)
    err = capsys.readouterr().err.splitlines()
    assert err[0].startswith("phoenix: the 'missing' commands (no_such_module_here:register) ")
    assert "ModuleNotFoundError" in err[0]
    assert err[1].startswith("phoenix: the 'clash' commands (bot.cli.plans:register) are left out")
    assert "conflicting subparser: plan" in err[1]
    assert len(err) == 2
    assert parser.parse_args(["plan", "show", "x"]).name == "x"
    assert parser.parse_args(["sandbox", "--headless"]).headless


def test_a_table_is_aligned_and_colour_never_changes_its_text() -> None:
    header = ("run", "state", "reason")
    rows = [("a-long-run-id", Cell("succeeded", Style.GREEN), "ok"), ("b", "failed", "")]

    def printed(colour: bool) -> str:
        stream = StringIO()
        stream.isatty = lambda: colour  # type: ignore[method-assign]
        Output(stream, lambda: True).table(header, rows)
        return stream.getvalue()

    plain, coloured = printed(False), printed(True)
    assert plain == (
        "run            state      reason\na-long-run-id  succeeded  ok\nb              failed\n"
    )
    assert "\x1b[32msucceeded\x1b[0m" in coloured
    assert "\x1b[1mrun\x1b[0m" in coloured
    assert ESCAPE.sub("", coloured) == plain


def test_colour_is_only_asked_about_on_a_terminal() -> None:
    asked: list[bool] = []

    def allowed() -> bool:
        asked.append(True)
        return False

    stream = StringIO()
    out = Output(stream, allowed)
    assert out.paint("x", Style.RED) == "x"
    assert asked == []
    stream.isatty = lambda: True  # type: ignore[method-assign]
    tty = Output(stream, allowed)
    assert tty.paint("x", Style.RED) == "x"
    assert tty.paint("y", Style.RED) == "y"
    assert asked == [True]


def test_the_readme_documents_every_exit_status_and_setting() -> None:
    readme = (ROOT / "README.md").read_text()
    for status, meaning in exits.MEANINGS:
        assert f"| {status} | {meaning} |" in readme
    for field in Settings.model_fields.values():
        assert f"| `{field.alias}` |" in readme
