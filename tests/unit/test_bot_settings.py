"""Settings: one line naming the setting on any fault, and never a token in it."""

from __future__ import annotations

import pytest

from bot.cli.main import main
from bot.settings import SettingsError, load_settings

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
