"""The test API over HTTP, under ``/_emulator/``, for other processes (a browser page, a bot
in a subprocess). JSON in, JSON out; each route maps onto one ``Control`` method."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl

from sandbox.slack.control import Control
from sandbox.slack.ratelimit import RateBudget
from sandbox.slack.server import HttpAnswer, HttpRequest

Json = dict[str, Any]
Route = Callable[[Control, Json], Any]


def _messages(c: Control, q: Json) -> Any:
    if q.get("thread_ts"):
        found = c.thread(q["channel"], q["thread_ts"])
    else:
        found = c.messages(q["channel"], include_deleted=_flag(q.get("include_deleted")))
    return [m.to_dict() for m in found]


def _views(c: Control, q: Json) -> Any:
    home = c.home_view(q["user"])
    return {
        "modals": [v.to_dict() for v in c.open_views(q["user"])],
        "home": home.to_dict() if home else None,
    }


def _changes(c: Control, q: Json) -> Any:
    since = int(q.get("since", 0))
    timeout = min(float(q.get("timeout", 25)), 60.0)
    with contextlib.suppress(TimeoutError):
        c.wait_for(lambda: c.version > since, timeout, "a change")
    return {"version": c.version}


def _wait(c: Control, q: Json) -> Any:
    timeout = float(q.get("timeout", 5.0))
    if "user" in q:
        found_e = c.wait_for_ephemeral(
            q["user"], int(q["count"]), channel=q.get("channel"), timeout=timeout
        )
        return [e.to_dict() for e in found_e]
    found = c.wait_for_messages(
        q["channel"], int(q["count"]), thread_ts=q.get("thread_ts"), timeout=timeout
    )
    return [m.to_dict() for m in found]


def _file(c: Control, q: Json) -> Any:
    """A file's bytes, for the page to show (an image in a thread)."""
    found = c.file(q["id"])
    if found.content is None:
        raise LookupError(f"file {found.id} was never uploaded")
    return HttpAnswer(200, found.content, {"Content-Type": found.mimetype})


def _budget(c: Control, q: Json) -> Any:
    if q.get("per_second") is None:
        c.set_rate_budget(q["method"], None)
    else:
        c.set_rate_budget(
            q["method"],
            RateBudget(float(q["per_second"]), int(q["burst"]), q.get("scope", "workspace")),
        )
    return {"budgets": {m: vars(b) for m, b in c.rate_budgets().items()}}


def _mode(c: Control, q: Json) -> Any:
    if q.get("request_url"):
        c.use_http_mode(q["request_url"])
    else:
        c.use_socket_mode()
    return {"mode": c.mode}


def _flag(value: Any) -> bool:
    return value in (True, "1", "true", "yes")


def _reset(c: Control, q: Json) -> Any:
    c.reset()
    return {"ok": True}


GETS: dict[str, Route] = {
    "state": lambda c, q: {
        "version": c.version,
        "mode": c.mode,
        "users": c.users(),
        "channels": c.channels(),
        "usergroups": c.usergroups(),
    },
    "messages": _messages,
    "ephemeral": lambda c, q: [e.to_dict() for e in c.ephemeral(q["user"], q.get("channel"))],
    "views": _views,
    "calls": lambda c, q: [x.to_dict() for x in c.calls(q.get("method"))],
    "files": lambda c, q: [f.to_dict() for f in c.files()],
    "file": _file,
    "deliveries": lambda c, q: [d.to_dict() for d in c.deliveries()],
    "rate_limits": lambda c, q: {
        "budgets": {m: vars(b) for m, b in c.rate_budgets().items()},
        "breaches": [vars(b) for b in c.rate_limit_breaches(q.get("method"))],
    },
    "changes": _changes,
}

POSTS: dict[str, Route] = {
    "slash_command": lambda c, q: c.run_slash_command(
        q["command"],
        q.get("text", ""),
        user=q["user"],
        channel=q.get("channel", "#incidents"),
        tamper=q.get("tamper"),
    ).to_dict(),
    "click": lambda c, q: c.click(
        q["action_id"],
        user=q["user"],
        message_ts=q.get("message_ts"),
        view_id=q.get("view_id"),
        value=q.get("value"),
        block_id=q.get("block_id"),
        tamper=q.get("tamper"),
    ).to_dict(),
    "submit_view": lambda c, q: c.submit_view(
        user=q["user"],
        values=q.get("values"),
        view_id=q.get("view_id"),
        tamper=q.get("tamper"),
    ).to_dict(),
    "app_home": lambda c, q: c.open_app_home(q["user"], tamper=q.get("tamper")).to_dict(),
    "event": lambda c, q: c.send_event(
        q["event"],
        retry_num=q.get("retry_num"),
        retry_reason=q.get("retry_reason"),
        event_id=q.get("event_id"),
        tamper=q.get("tamper"),
    ).to_dict(),
    "wait": _wait,
    "users": lambda c, q: {
        "id": c.add_user(
            q["name"],
            id=q.get("id"),
            real_name=q.get("real_name"),
            approver=_flag(q.get("approver")),
        )
    },
    "channels": lambda c, q: {
        "id": c.add_channel(q["name"], id=q.get("id"), private=_flag(q.get("private")))
    },
    "usergroups": lambda c, q: {
        "id": c.add_usergroup(q["handle"], list(q["members"]), id=q.get("id"), name=q.get("name"))
    },
    "rate_budget": _budget,
    "mode": _mode,
    "reset": _reset,
}


def handle(control: Control, request: HttpRequest) -> HttpAnswer:
    """Answer ``/_emulator/<name>``: GET reads take query parameters, POSTs a JSON body."""
    name = request.path.removeprefix("/_emulator").strip("/")
    routes = GETS if request.method == "GET" else POSTS
    route = routes.get(name)
    if route is None:
        known = sorted(f"GET {n}" for n in GETS) + sorted(f"POST {n}" for n in POSTS)
        return HttpAnswer(404, {"ok": False, "error": "no such route", "routes": known})
    try:
        args: Json = dict(parse_qsl(request.query))
        if request.method == "POST" and request.body:
            parsed = json.loads(request.body)
            if not isinstance(parsed, dict):
                raise ValueError("the body must be a JSON object")
            args.update(parsed)
        answer = route(control, args)
        return answer if isinstance(answer, HttpAnswer) else HttpAnswer(200, answer)
    except TimeoutError as exc:
        return HttpAnswer(408, {"ok": False, "error": str(exc)})
    except KeyError as exc:
        return HttpAnswer(400, {"ok": False, "error": f"missing field {exc}"})
    except LookupError as exc:
        return HttpAnswer(404, {"ok": False, "error": str(exc)})
    except (ValueError, TypeError) as exc:
        return HttpAnswer(400, {"ok": False, "error": str(exc)})
