"""The emulator as one object: configuration, composition, and lifecycle.

``Emulator`` is the test API (``Control``) plus ``start()``/``stop()``: an HTTP listener
(Web API under ``/api/``, response URLs, the test API under ``/_emulator/``) and a Socket
Mode websockets server, both on free loopback ports, each in one background thread.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from types import TracebackType
from typing import Any

from slack_sdk import WebClient

from sandbox.slack import control_http
from sandbox.slack.blockkit import ActionIdScope
from sandbox.slack.clock import Clock, SystemClock
from sandbox.slack.control import Control
from sandbox.slack.directory import Identity, seed
from sandbox.slack.files_api import MAX_FILE_BYTES, receive_upload
from sandbox.slack.methods import METHODS
from sandbox.slack.ratelimit import DEFAULT_BUDGETS, RateBudget, RateLimiter
from sandbox.slack.responses import Responder
from sandbox.slack.retries import SLACK_RETRY_DELAYS
from sandbox.slack.server import HttpAnswer, HttpListener, HttpRequest
from sandbox.slack.socket_mode import SocketModeServer
from sandbox.slack.state import Workspace
from sandbox.slack.webapi import ApiSettings, CallContext, WebApi, bearer


@dataclass(frozen=True)
class EmulatorConfig:
    """Everything that can be tuned; the defaults are Slack's numbers."""

    host: str = "127.0.0.1"
    http_port: int = 0
    socket_port: int = 0
    bot_token: str = "xoxb-sandbox-bot-token"  # noqa: S105 (the sandbox's own fake credential)
    app_token: str = "xapp-1-ASANDBOX1-sandbox-app-token"  # noqa: S105 (the sandbox's own fake credential)
    signing_secret: str = "sandbox-signing-secret"  # noqa: S105 (the sandbox's own fake credential)
    verification_token: str = "sandbox-verification-token"  # noqa: S105 (the sandbox's own fake credential)
    ack_deadline: float = 3.0
    late_ack_grace: float = 2.0
    event_retry_delays: tuple[float, ...] = SLACK_RETRY_DELAYS
    """Seconds before each retry of a failed event delivery in HTTP mode (Slack: at once,
    1 minute, 5 minutes)."""
    budgets: Mapping[str, RateBudget] = field(default_factory=lambda: dict(DEFAULT_BUDGETS))
    trigger_ttl: float = 3.0
    response_url_ttl: float = 1800.0
    response_url_max_uses: int = 5
    action_id_scope: ActionIdScope = "message"
    max_file_bytes: int = MAX_FILE_BYTES
    """The largest file files.getUploadURLExternal accepts; larger is
    ``file_upload_size_restricted`` (a workspace that restricts large uploads)."""
    seed: bool = True
    identity: Identity = field(default_factory=Identity)

    def __post_init__(self) -> None:
        if not ipaddress.ip_address(self.host).is_loopback:
            raise ValueError(f"the emulator binds loopback addresses only, not {self.host}")


class Emulator(Control):
    """A local Slack: ``with Emulator() as slack: ...`` or ``start()`` / ``stop()``."""

    def __init__(
        self, config: EmulatorConfig | None = None, *, clock: Clock | None = None, **overrides: Any
    ) -> None:
        self.config = replace(config or EmulatorConfig(), **overrides)
        cfg = self.config
        self.clock = clock or SystemClock()
        ws = Workspace(cfg.identity, self.clock)
        if cfg.seed:
            seed(ws.directory)
        limiter = RateLimiter(cfg.budgets, self.clock)
        self._socket = SocketModeServer(cfg.host, cfg.socket_port, cfg.identity.app_id)
        self._listener: HttpListener | None = None
        responder = Responder(
            ws,
            base_url=lambda: self.base_url,
            ttl=cfg.response_url_ttl,
            max_uses=cfg.response_url_max_uses,
            action_id_scope=cfg.action_id_scope,
        )
        settings = ApiSettings(
            cfg.bot_token,
            cfg.app_token,
            cfg.action_id_scope,
            cfg.trigger_ttl,
            cfg.max_file_bytes,
        )
        self._calls = CallContext(
            ws, limiter, settings, self._socket.issue_url, lambda: self.base_url
        )
        self._web_api = WebApi(self._calls, METHODS)
        self._responder = responder
        super().__init__(
            ws,
            limiter,
            responder,
            self._socket,
            ack_deadline=cfg.ack_deadline,
            late_ack_grace=cfg.late_ack_grace,
            signing_secret=cfg.signing_secret,
            verification_token=cfg.verification_token,
            action_id_scope=cfg.action_id_scope,
            event_retry_delays=cfg.event_retry_delays,
        )

    # -- lifecycle -----------------------------------------------------------------------------

    def start(self) -> Emulator:
        if self._listener is not None:
            raise RuntimeError("the emulator is already running")
        listener = HttpListener(self.config.host, self.config.http_port, self._route)
        self._ws.reopen()
        try:
            self._socket.start()
        except BaseException:
            listener.stop()
            raise
        listener.start()
        self._listener = listener
        return self

    def stop(self) -> None:
        """Stop both servers and join their threads; safe to call twice."""
        listener, self._listener = self._listener, None
        self._dispatch.retries.cancel()
        self._ws.close()
        if listener is not None:
            listener.stop()
        self._socket.stop()

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- addresses and credentials --------------------------------------------------------------

    @property
    def http_port(self) -> int:
        if self._listener is None:
            raise RuntimeError("the emulator is not running")
        return self._listener.port

    @property
    def base_url(self) -> str:
        return f"http://{self.config.host}:{self.http_port}"

    @property
    def api_url(self) -> str:
        """The Web API base URL for ``WebClient(base_url=...)`` (trailing slash included)."""
        return f"{self.base_url}/api/"

    @property
    def control_url(self) -> str:
        return f"{self.base_url}/_emulator/"

    @property
    def socket_port(self) -> int:
        return self._socket.port

    @property
    def bot_token(self) -> str:
        return self.config.bot_token

    @property
    def app_token(self) -> str:
        return self.config.app_token

    @property
    def signing_secret(self) -> str:
        return self.config.signing_secret

    def revoke_bot_token(self) -> None:
        """The bot token stops working, as a rotated or revoked one does on Slack: every call
        with it is answered ``invalid_auth`` until ``restore_bot_token()``."""
        self._calls.settings = replace(
            self._calls.settings, bot_token=f"{self.config.bot_token}-rotated"
        )

    def restore_bot_token(self) -> None:
        self._calls.settings = replace(self._calls.settings, bot_token=self.config.bot_token)

    def web_client(self, **kwargs: Any) -> WebClient:
        """A real slack_sdk WebClient pointed at this emulator with the bot token."""
        kwargs.setdefault("token", self.bot_token)
        return WebClient(base_url=self.api_url, **kwargs)

    # -- Socket Mode ---------------------------------------------------------------------------

    def socket_connections(self) -> int:
        return self._socket.connection_count()

    def wait_for_socket_connection(self, count: int = 1, timeout: float = 5.0) -> int:
        return self.wait_for(
            lambda: self._socket.connection_count() >= count and self._socket.connection_count(),
            timeout,
            f"{count} Socket Mode connection(s)",
        )

    def request_socket_reconnect(
        self, reason: str = "refresh_requested", grace: float = 10.0
    ) -> int:
        """Send Slack's ``disconnect`` message to every connection (returns how many); they
        get no more envelopes and are closed after ``grace`` seconds."""
        return self._socket.request_reconnect(reason, grace)

    def unmatched_socket_messages(self) -> list[dict[str, Any]]:
        return self._socket.unmatched_messages()

    # -- routing -------------------------------------------------------------------------------

    def _route(self, request: HttpRequest) -> HttpAnswer:
        path = request.path
        if path.startswith("/api/"):
            answer = self._web_api.handle(
                path.removeprefix("/api/"), request.headers, request.body, request.query
            )
            return HttpAnswer(answer.status, answer.body, answer.headers)
        if path.startswith("/_slack/upload/") and request.method == "POST":
            ticket = path.removeprefix("/_slack/upload/")
            status = receive_upload(self._calls, ticket, request.headers, request.body)
            self._ws.record_call(
                "upload_url", {"length": len(request.body)}, status, {"ok": status == 200}
            )
            body = f"OK - {len(request.body)}" if status == 200 else "upload failed"
            return HttpAnswer(status, body.encode(), {"Content-Type": "text/plain"})
        if path.startswith("/_slack/files/") and request.method == "GET":
            return self._private_file(path.removeprefix("/_slack/files/"), request.headers)
        if path.startswith("/_slack/response/") and request.method == "POST":
            status, body = self._responder.handle_post(
                path.removeprefix("/_slack/response/"), request.body
            )
            return HttpAnswer(status, body)
        if path.startswith("/_emulator"):
            return control_http.handle(self, request)
        return HttpAnswer(404, {"ok": False, "error": "not_found"})

    def _private_file(self, rest: str, headers: dict[str, str]) -> HttpAnswer:
        """A file's ``url_private``: like Slack's, it needs the bot token as a bearer."""
        if bearer(headers) != self.config.bot_token:
            return HttpAnswer(403, b"", {"Content-Type": "text/plain"})
        found = self._ws.stored_file(rest.partition("/")[0])
        if found is None or found.content is None or not found.completed:
            return HttpAnswer(404, b"", {"Content-Type": "text/plain"})
        return HttpAnswer(200, found.content, {"Content-Type": found.mimetype})
