"""The process's settings: the only reader of environment variables.

    SLACK_BOT_TOKEN        xoxb-… (required)
    SLACK_APP_TOKEN        xapp-… (Socket Mode)
    SLACK_SIGNING_SECRET   (HTTP mode)
    PHOENIX_SLACK_MODE     socket (the default when an app token is set) | http
    PHOENIX_SLACK_API_URL  the Web API base URL (default Slack's own)
    PHOENIX_CONFIG         phoenix.yaml (default ./phoenix.yaml)
    PHOENIX_STORE_URL      sqlite:///./phoenix.db (default) | redis://…
    PHOENIX_HTTP_HOST      127.0.0.1 (default): health, metrics, /slack/events in HTTP mode
    PHOENIX_HTTP_PORT      8080 (default)
    PHOENIX_HTTP_THREADS   requests the HTTP server answers at once (16)
    PHOENIX_HTTP_SHUTDOWN_GRACE  seconds a stopping server gives requests in flight (10)
    PHOENIX_SLACK_CHECK_INTERVAL seconds between looks at Slack's Web API for /ready (15)
    PHOENIX_LEADER_TTL     seconds the leader lease lasts (default: 30% of the interval)
    PHOENIX_RUN_LEASE_TTL  seconds a run's lease lasts before another replica resumes it (30)
    PHOENIX_SWEEP_INTERVAL seconds between sweeps for orphaned runs (10)
    PHOENIX_DRILL_CHECK    seconds between looks at drill duties (30)
    PHOENIX_LOG_FORMAT     json (default) | text
    PHOENIX_BUILD_COMMIT   the commit the image was built from (the image sets it), for
                           phoenix_build_info

Secret references in phoenix.yaml of the form ``env:VAR`` resolve here too (``EnvSecrets``);
``bot.wiring.secrets`` adds the cloud secret stores beside it.

Tokens are ``SecretStr``: their repr and str never show the value, so they cannot reach a log.
``load_settings`` turns every fault into a ``SettingsError`` whose message is one line naming
the setting.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, ValidationError, model_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from engine.errors import PhoenixError, SecretError

SLACK_API_URL = "https://slack.com/api/"
DEFAULT_STORE_URL = "sqlite:///./phoenix.db"


class SettingsError(PhoenixError):
    """A missing or invalid setting; the message is one line naming it."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        case_sensitive=True, extra="ignore", frozen=True, populate_by_name=False
    )

    slack_bot_token: SecretStr = Field(alias="SLACK_BOT_TOKEN")
    slack_app_token: SecretStr | None = Field(default=None, alias="SLACK_APP_TOKEN")
    slack_signing_secret: SecretStr | None = Field(default=None, alias="SLACK_SIGNING_SECRET")
    slack_mode: Literal["socket", "http"] | None = Field(default=None, alias="PHOENIX_SLACK_MODE")
    slack_api_url: str = Field(default=SLACK_API_URL, alias="PHOENIX_SLACK_API_URL")
    config_path: Path = Field(default=Path("phoenix.yaml"), alias="PHOENIX_CONFIG")
    store_url: str = Field(default=DEFAULT_STORE_URL, alias="PHOENIX_STORE_URL")
    http_host: str = Field(default="127.0.0.1", alias="PHOENIX_HTTP_HOST")
    http_port: int = Field(default=8080, ge=0, le=65535, alias="PHOENIX_HTTP_PORT")
    http_threads: int = Field(default=16, ge=1, le=1024, alias="PHOENIX_HTTP_THREADS")
    http_shutdown_grace: float = Field(default=10.0, gt=0, alias="PHOENIX_HTTP_SHUTDOWN_GRACE")
    slack_check_interval: float = Field(default=15.0, gt=0, alias="PHOENIX_SLACK_CHECK_INTERVAL")
    leader_ttl: float | None = Field(default=None, gt=0, alias="PHOENIX_LEADER_TTL")
    run_lease_ttl: float = Field(default=30.0, gt=0, alias="PHOENIX_RUN_LEASE_TTL")
    sweep_interval: float = Field(default=10.0, gt=0, alias="PHOENIX_SWEEP_INTERVAL")
    drill_check: float = Field(default=30.0, gt=0, alias="PHOENIX_DRILL_CHECK")
    log_format: Literal["json", "text"] = Field(default="json", alias="PHOENIX_LOG_FORMAT")
    build_commit: str = Field(default="", alias="PHOENIX_BUILD_COMMIT")

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

    @property
    def api_url(self) -> str:
        """With the trailing slash slack_sdk needs."""
        return self.slack_api_url if self.slack_api_url.endswith("/") else self.slack_api_url + "/"


class _GivenOnly(Settings):
    """Settings read from a given mapping only (tests, and callers with their own source)."""

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


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Read the settings from the process's environment (or only from ``environ``)."""
    try:
        if environ is None:
            return Settings()  # type: ignore[call-arg]  # fields come from the environment
        return _GivenOnly(**{k: v for k, v in environ.items() if k in _NAMES})
    except ValidationError as exc:
        raise SettingsError(_one_line(exc)) from None


_NAMES = frozenset(str(f.alias) for f in Settings.model_fields.values() if f.alias is not None)


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
