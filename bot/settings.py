"""The process's settings: the only reader of environment variables.

Three views of one environment. ``CommandSettings`` is what every ``phoenix`` command shares
with the bot: where phoenix.yaml and the store are (and whether the terminal wants colour).
``DirectorySettings`` adds where Slack is and the bot's token, which the break-glass commands
use, when they can, to ask Slack's directory who is in a user group. ``Settings`` adds what
``phoenix run`` needs to serve Slack. Each field names its variable and
says what it means; ``phoenix --help`` lists them (``documented_variables``).

Secret references in phoenix.yaml of the form ``env:VAR`` resolve here too (``EnvSecrets``);
``bot.wiring.secrets`` adds the cloud secret stores beside it.

Tokens are ``SecretStr``: their repr and str never show the value, so they cannot reach a log.
``load_settings`` and ``load_command_settings`` turn every fault into a ``SettingsError`` whose
message is one line naming the setting.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Literal, TypeVar

from pydantic import Field, SecretStr, ValidationError, model_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from engine.errors import PhoenixError, SecretError

SLACK_API_URL = "https://slack.com/api/"
DEFAULT_STORE_URL = "sqlite:///./phoenix.db"
DEFAULT_CONFIG = Path("phoenix.yaml")


class SettingsError(PhoenixError):
    """A missing or invalid setting; the message is one line naming it."""


class CommandSettings(BaseSettings):
    """What every ``phoenix`` command reads, the bot included. A field in ``model_fields_set``
    was set in the environment; the others hold their defaults."""

    model_config = SettingsConfigDict(
        case_sensitive=True, extra="ignore", frozen=True, populate_by_name=False
    )

    config_path: Path = Field(
        default=DEFAULT_CONFIG,
        alias="PHOENIX_CONFIG",
        description="phoenix.yaml (default ./phoenix.yaml)",
    )
    store_url: str = Field(
        default=DEFAULT_STORE_URL,
        alias="PHOENIX_STORE_URL",
        description="sqlite:///./phoenix.db (default) | redis://… | rediss://…",
    )
    no_color: str = Field(
        default="",
        alias="NO_COLOR",
        description="any value: no colour in the command line's output (no-color.org)",
    )

    @property
    def colour(self) -> bool:
        """Whether colour is allowed at all (a terminal is still needed for it)."""
        return not self.no_color


class DirectorySettings(CommandSettings):
    """What the break-glass commands read besides: the bot's token and Slack's address, both
    optional (without them, or without Slack, only approvers listed by user id count)."""

    slack_bot_token: SecretStr | None = Field(default=None, alias="SLACK_BOT_TOKEN")
    slack_api_url: str = Field(
        default=SLACK_API_URL,
        alias="PHOENIX_SLACK_API_URL",
        description="the Web API base URL (default Slack's own)",
    )

    @property
    def api_url(self) -> str:
        """With the trailing slash slack_sdk needs."""
        return self.slack_api_url if self.slack_api_url.endswith("/") else self.slack_api_url + "/"


class Settings(DirectorySettings):
    """Everything ``phoenix run`` reads: the shared settings, Slack, serving, timing, logs."""

    slack_bot_token: SecretStr = Field(
        alias="SLACK_BOT_TOKEN",
        description="xoxb-… (required; the break-glass commands ask Slack's directory with it)",
    )
    slack_app_token: SecretStr | None = Field(
        default=None, alias="SLACK_APP_TOKEN", description="xapp-… (Socket Mode)"
    )
    slack_signing_secret: SecretStr | None = Field(
        default=None,
        alias="SLACK_SIGNING_SECRET",
        description="the app's signing secret (HTTP mode)",
    )
    slack_mode: Literal["socket", "http"] | None = Field(
        default=None,
        alias="PHOENIX_SLACK_MODE",
        description="socket (the default when an app token is set) | http",
    )
    http_host: str = Field(
        default="127.0.0.1",
        alias="PHOENIX_HTTP_HOST",
        description="127.0.0.1 (default): health, metrics, /slack/events in HTTP mode",
    )
    http_port: int = Field(
        default=8080, ge=0, le=65535, alias="PHOENIX_HTTP_PORT", description="8080 (default)"
    )
    http_threads: int = Field(
        default=16,
        ge=1,
        le=1024,
        alias="PHOENIX_HTTP_THREADS",
        description="requests the HTTP server answers at once (16)",
    )
    http_shutdown_grace: float = Field(
        default=10.0,
        gt=0,
        alias="PHOENIX_HTTP_SHUTDOWN_GRACE",
        description="seconds a stopping server gives requests in flight (10)",
    )
    slack_check_interval: float = Field(
        default=15.0,
        gt=0,
        alias="PHOENIX_SLACK_CHECK_INTERVAL",
        description="seconds between looks at Slack's Web API for /ready (15)",
    )
    leader_ttl: float | None = Field(
        default=None,
        gt=0,
        alias="PHOENIX_LEADER_TTL",
        description="seconds the leader lease lasts (default: 30% of the interval)",
    )
    run_lease_ttl: float = Field(
        default=30.0,
        gt=0,
        alias="PHOENIX_RUN_LEASE_TTL",
        description="seconds a run's lease lasts before another replica resumes it (30)",
    )
    sweep_interval: float = Field(
        default=10.0,
        gt=0,
        alias="PHOENIX_SWEEP_INTERVAL",
        description="seconds between sweeps for orphaned runs (10)",
    )
    drill_check: float = Field(
        default=30.0,
        gt=0,
        alias="PHOENIX_DRILL_CHECK",
        description="seconds between looks at drill duties (30)",
    )
    log_format: Literal["json", "text"] = Field(
        default="json", alias="PHOENIX_LOG_FORMAT", description="json (default) | text"
    )
    build_commit: str = Field(
        default="",
        alias="PHOENIX_BUILD_COMMIT",
        description="the commit the image was built from (the image sets it), for "
        "phoenix_build_info",
    )

    @model_validator(mode="after")
    def _consistent(self) -> Settings:
        if not self.slack_bot_token.get_secret_value().startswith("xoxb-"):
            raise ValueError("SLACK_BOT_TOKEN: must be a bot token (xoxb-…)")
        app = self.slack_app_token
        if app is not None and not app.get_secret_value().startswith("xapp-"):
            raise ValueError("SLACK_APP_TOKEN: must be an app-level token (xapp-…)")
        if not self.slack_api_url.startswith(("http://", "https://")):
            raise ValueError("PHOENIX_SLACK_API_URL: must be an http:// or https:// URL")
        mode = self.mode
        if mode == "socket" and app is None:
            raise ValueError("SLACK_APP_TOKEN: Socket Mode needs an app-level token (xapp-…)")
        if mode == "http" and not self.slack_signing_secret:
            raise ValueError("SLACK_SIGNING_SECRET: HTTP mode needs the app's signing secret")
        return self

    @property
    def mode(self) -> Literal["socket", "http"]:
        if self.slack_mode is not None:
            return self.slack_mode
        return "socket" if self.slack_app_token is not None else "http"


class _GivenOnly(BaseSettings):
    """Read from a given mapping only (tests, and callers with their own source)."""

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings,)


class _GivenCommandSettings(_GivenOnly, CommandSettings):
    pass


class _GivenDirectorySettings(_GivenOnly, DirectorySettings):
    pass


class _GivenSettings(_GivenOnly, Settings):
    pass


_Read = TypeVar("_Read", bound=CommandSettings)


def _read(kind: type[_Read], given_only: type[_Read], environ: Mapping[str, str] | None) -> _Read:
    try:
        if environ is None:
            return kind()
        names = {str(f.alias) for f in kind.model_fields.values() if f.alias is not None}
        return given_only(**{k: v for k, v in environ.items() if k in names})
    except ValidationError as exc:
        raise SettingsError(_one_line(exc)) from None


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Read the bot's settings from the process's environment (or only from ``environ``)."""
    return _read(Settings, _GivenSettings, environ)


def load_command_settings(environ: Mapping[str, str] | None = None) -> CommandSettings:
    """Read what every command shares with the bot; the Slack settings are not needed here."""
    return _read(CommandSettings, _GivenCommandSettings, environ)


def load_directory_settings(environ: Mapping[str, str] | None = None) -> DirectorySettings:
    """Read what the break-glass commands need besides: Slack's address and the bot's token,
    if set."""
    return _read(DirectorySettings, _GivenDirectorySettings, environ)


def documented_variables() -> dict[str, list[tuple[str, str]]]:
    """Each variable with what it means, grouped by who reads it."""
    shared = CommandSettings.model_fields
    return {
        "every command": [(str(f.alias), f.description or "") for f in shared.values()],
        "phoenix run": [
            (str(f.alias), f.description or "")
            for name, f in Settings.model_fields.items()
            if name not in shared
        ],
    }


def _one_line(exc: ValidationError) -> str:
    error = exc.errors()[0]
    loc = error.get("loc") or ()
    message = str(error.get("msg", "is invalid")).removeprefix("Value error, ")
    if loc:
        name = str(loc[0])
        if error.get("type") == "missing":
            return f"{name}: is required but not set"
        # Never echo the value: it may be a token.
        return f"{name}: {message}"
    return message


class EnvSecrets:
    """Resolves ``env:VAR`` secret references from the process environment (or ``environ``).
    Cloud references are for ``bot.wiring.secrets.build_secrets``, which puts this resolver
    beside the Secrets Manager and Key Vault ones; given one alone, it refuses it by name.
    Errors name the reference, never a value."""

    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        self._environ = os.environ if environ is None else environ

    def resolve(self, reference: str) -> str:
        if not reference.startswith("env:"):
            raise SecretError(f"cannot resolve {reference}: not an env:VAR reference")
        value = self._environ.get(reference[4:])
        if not value:
            raise SecretError(f"secret {reference} is not set")
        return value
