"""Settings: one line naming the setting on any fault, and never a token in it."""

from __future__ import annotations

import pytest

from bot.cli.main import main
from bot.settings import (
    Settings,
    SettingsError,
    documented_variables,
    load_command_settings,
    load_settings,
)

BOT = "xoxb-secret-bot-token"
APP = "xapp-secret-app-token"


def test_socket_mode_is_the_default_with_an_app_token() -> None:
    settings = load_settings({"SLACK_BOT_TOKEN": BOT, "SLACK_APP_TOKEN": APP})
    assert settings.mode == "socket"
    assert settings.http_host == "127.0.0.1"
    assert BOT not in repr(settings)
    assert APP not in str(settings)


@pytest.mark.parametrize(
    ("environ", "named"),
    [
        ({}, "SLACK_BOT_TOKEN: is required"),
        ({"SLACK_BOT_TOKEN": "xoxp-user"}, "SLACK_BOT_TOKEN: must be a bot token"),
        ({"SLACK_BOT_TOKEN": BOT}, "SLACK_SIGNING_SECRET"),
        ({"SLACK_BOT_TOKEN": BOT, "PHOENIX_SLACK_MODE": "socket"}, "SLACK_APP_TOKEN"),
        ({"SLACK_BOT_TOKEN": BOT, "SLACK_APP_TOKEN": "nope"}, "SLACK_APP_TOKEN"),
        (
            {"SLACK_BOT_TOKEN": BOT, "SLACK_APP_TOKEN": APP, "PHOENIX_SLACK_MODE": "ws"},
            "PHOENIX_SLACK_MODE",
        ),
        (
            {"SLACK_BOT_TOKEN": BOT, "SLACK_APP_TOKEN": APP, "PHOENIX_HTTP_PORT": "99999"},
            "PHOENIX_HTTP_PORT",
        ),
        (
            {"SLACK_BOT_TOKEN": BOT, "SLACK_APP_TOKEN": APP, "PHOENIX_SLACK_API_URL": "ftp://x"},
            "PHOENIX_SLACK_API_URL",
        ),
    ],
)
def test_a_bad_setting_is_one_line_naming_it(environ: dict[str, str], named: str) -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings(environ)
    message = str(caught.value)
    assert message.startswith(named.split(":")[0])
    assert named in message
    assert "\n" not in message
    assert BOT not in message


def test_phoenix_run_stops_at_start_with_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in (
        "SLACK_BOT_TOKEN",
        "SLACK_APP_TOKEN",
        "SLACK_SIGNING_SECRET",
        "PHOENIX_SLACK_MODE",
    ):
        monkeypatch.delenv(name, raising=False)
    assert main(["run"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["phoenix run: SLACK_BOT_TOKEN: is required but not set"]


def test_phoenix_run_names_a_bad_config(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: object
) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", BOT)
    monkeypatch.setenv("SLACK_APP_TOKEN", APP)
    monkeypatch.setenv("PHOENIX_CONFIG", "/nonexistent/phoenix.yaml")
    assert main(["run"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert err[0].startswith("phoenix run: PHOENIX_CONFIG:")
    assert BOT not in err[0]


def test_commands_read_the_config_and_store_without_the_slack_settings() -> None:
    shared = load_command_settings(
        {"PHOENIX_CONFIG": "/etc/phoenix/phoenix.yaml", "PHOENIX_STORE_URL": "redis://r:6379/0"}
    )
    assert str(shared.config_path) == "/etc/phoenix/phoenix.yaml"
    assert shared.store_url == "redis://r:6379/0"
    assert shared.model_fields_set == {"config_path", "store_url"}
    assert shared.colour
    defaulted = load_command_settings({"NO_COLOR": "1"})
    assert (str(defaulted.config_path), defaulted.store_url) == (
        "phoenix.yaml",
        "sqlite:///./phoenix.db",
    )
    assert defaulted.model_fields_set == {"no_color"}
    assert not defaulted.colour
    # The bot reads the same variables the same way.
    bot = load_settings({"SLACK_BOT_TOKEN": BOT, "SLACK_APP_TOKEN": APP, "NO_COLOR": "1"})
    assert (bot.config_path, bot.store_url, bot.colour) == (
        defaulted.config_path,
        defaulted.store_url,
        False,
    )


def test_every_variable_is_documented_once_by_who_reads_it() -> None:
    documented = documented_variables()
    assert list(documented) == ["every command", "phoenix run"]
    names = [name for variables in documented.values() for name, _ in variables]
    assert sorted(names) == sorted(str(f.alias) for f in Settings.model_fields.values())
    assert all(meaning for variables in documented.values() for _, meaning in variables)
    assert [name for name, _ in documented["every command"]] == [
        "PHOENIX_CONFIG",
        "PHOENIX_STORE_URL",
        "NO_COLOR",
    ]
