"""The bot's Slack identity (the ``Identity`` port) through ``auth.test``: any valid token may
call it, so it proves the token works and nothing more (https://api.slack.com/methods/auth.test).
Its errors become ours: a token Slack refuses is ``CloudAccessDenied``, Slack out of reach or
rate-limiting is ``CloudUnavailable``; no message carries the token."""

from __future__ import annotations

from typing import Final

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from engine.errors import CloudAccessDenied, CloudRejected, CloudUnavailable

_REFUSED_TOKEN: Final = frozenset(
    {"invalid_auth", "not_authed", "account_inactive", "token_revoked", "token_expired"}
)
_WHO = "the bot's Slack token"


class SlackIdentity:
    def __init__(self, client: WebClient) -> None:
        self._client = client

    @property
    def service(self) -> str:
        return "Slack"

    def whoami(self) -> str:
        try:
            answer = self._client.auth_test()
        except SlackApiError as exc:
            error = str(exc.response.get("error") or "unknown_error")
            if error in _REFUSED_TOKEN:
                raise CloudAccessDenied(
                    f"Slack refuses {_WHO}: {error}", resource=_WHO, action="auth.test"
                ) from exc
            if error == "ratelimited" or exc.response.status_code >= 500:
                raise CloudUnavailable(f"Slack answered auth.test with {error}") from exc
            raise CloudRejected(f"Slack refused auth.test: {error}") from exc
        except (SlackClientError, OSError) as exc:
            raise CloudUnavailable(f"Slack could not be reached: {type(exc).__name__}") from exc
        return f"{answer.get('user')} in the workspace {answer.get('team')}"
