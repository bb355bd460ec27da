"""The Web API front door: parse the request as slack_sdk sends it, check the token, route
the method, answer in Slack's JSON shape, and journal the call.

Method bodies live in ``chat``, ``views_api`` and ``directory_api``; each is a function
``(ctx, args) -> dict`` that raises ``ApiError`` or ``RateLimited``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import parse_qsl

from sandbox.slack.blockkit import ActionIdScope
from sandbox.slack.ratelimit import RateLimiter
from sandbox.slack.state import Workspace

Json = dict[str, Any]
TokenKind = Literal["bot", "app"]


class ApiError(Exception):
    """An ``ok: false`` answer."""

    def __init__(self, error: str, **extra: Any) -> None:
        super().__init__(error)
        self.error = error
        self.extra = extra


class RateLimited(Exception):
    def __init__(self, retry_after: int) -> None:
        super().__init__(f"ratelimited, retry after {retry_after}s")
        self.retry_after = retry_after


def invalid_blocks(problems: list[str]) -> ApiError:
    return ApiError(
        "invalid_blocks",
        errors=problems,
        response_metadata={"messages": [f"[ERROR] {p}" for p in problems]},
    )


def invalid_arguments(problems: list[str]) -> ApiError:
    return ApiError(
        "invalid_arguments", response_metadata={"messages": [f"[ERROR] {p}" for p in problems]}
    )


@dataclass(frozen=True)
class ApiSettings:
    bot_token: str
    app_token: str
    action_id_scope: ActionIdScope = "message"
    trigger_ttl: float = 3.0
    max_file_bytes: int = 1024**3
    """The largest file files.getUploadURLExternal accepts (Slack: 1 GB)."""


@dataclass
class CallContext:
    ws: Workspace
    limiter: RateLimiter
    settings: ApiSettings
    issue_socket_url: Callable[[], str]
    base_url: Callable[[], str] = lambda: ""
    """Where the emulator listens (upload URLs and file URLs point there)."""


@dataclass(frozen=True)
class ApiResponse:
    status: int
    body: Json
    headers: dict[str, str] = field(default_factory=dict)


Method = Callable[[CallContext, Json], Json]


def parse_body(content_type: str, raw: bytes, query: str) -> Json:
    """Arguments from the query string and a form-encoded or JSON body (ValueError if bad)."""
    args: Json = dict(parse_qsl(query, keep_blank_values=True))
    kind = content_type.split(";")[0].strip().lower()
    if not raw:
        return args
    if kind == "application/json":
        parsed = json.loads(raw.decode("utf-8"))
        if not isinstance(parsed, dict):
            raise ValueError("a JSON body must be an object")
        args.update(parsed)
    elif kind in ("application/x-www-form-urlencoded", ""):
        args.update(parse_qsl(raw.decode("utf-8"), keep_blank_values=True))
    else:
        raise ValueError(f"unsupported content type {kind}")
    return args


def bearer(headers: Mapping[str, str]) -> str | None:
    for name, value in headers.items():
        if name.lower() == "authorization" and value.startswith("Bearer "):
            return value.removeprefix("Bearer ").strip()
    return None


class WebApi:
    """Answers ``/api/<method>`` requests."""

    def __init__(self, ctx: CallContext, methods: Mapping[str, tuple[TokenKind, Method]]) -> None:
        self._ctx = ctx
        self._methods = dict(methods)

    def handle(
        self, method: str, headers: Mapping[str, str], raw: bytes, query: str
    ) -> ApiResponse:
        content_type = next((v for k, v in headers.items() if k.lower() == "content-type"), "")
        args: Json = {}
        try:
            args = parse_body(content_type, raw, query)
            response = self._call(
                method, headers, args, is_json=content_type.startswith("application/json")
            )
        except json.JSONDecodeError:
            response = ApiResponse(200, {"ok": False, "error": "invalid_json"})
        except ValueError:
            response = ApiResponse(200, {"ok": False, "error": "invalid_form_data"})
        logged = {k: v for k, v in args.items() if k != "token"}
        self._ctx.ws.record_call(method, logged, response.status, response.body)
        return response

    def _call(
        self, method: str, headers: Mapping[str, str], args: Json, *, is_json: bool
    ) -> ApiResponse:
        entry = self._methods.get(method)
        if entry is None:
            return ApiResponse(404, {"ok": False, "error": "unknown_method"})
        kind, handler = entry
        token = bearer(headers)
        if token is None and not is_json:
            token = args.get("token") if isinstance(args.get("token"), str) else None
        settings = self._ctx.settings
        if not token:
            return ApiResponse(200, {"ok": False, "error": "not_authed"})
        if token not in (settings.bot_token, settings.app_token):
            return ApiResponse(200, {"ok": False, "error": "invalid_auth"})
        if (token == settings.app_token) != (kind == "app"):
            return ApiResponse(200, {"ok": False, "error": "not_allowed_token_type"})
        try:
            with self._ctx.ws.lock:
                body = handler(self._ctx, args)
        except ApiError as exc:
            return ApiResponse(200, {"ok": False, "error": exc.error, **exc.extra})
        except RateLimited as exc:
            return ApiResponse(
                429, {"ok": False, "error": "ratelimited"}, {"Retry-After": str(exc.retry_after)}
            )
        return ApiResponse(200, {"ok": True, **body})


# -- argument helpers shared by the method modules -------------------------------------------


def text_arg(args: Json, key: str) -> str | None:
    value = args.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise ApiError(
            "invalid_arguments",
            response_metadata={"messages": [f"[ERROR] '{key}' must be a string"]},
        )
    return value


def json_arg(args: Json, key: str, error: str) -> Any:
    """An argument that form bodies carry as a JSON string and JSON bodies carry as is."""
    value = args.get(key)
    if isinstance(value, str):
        try:
            return json.loads(value)
        except json.JSONDecodeError as exc:
            raise ApiError(error) from exc
    return value


def bool_arg(args: Json, key: str) -> bool:
    value = args.get(key)
    if isinstance(value, str):
        return value.lower() in ("1", "true")
    return bool(value)
