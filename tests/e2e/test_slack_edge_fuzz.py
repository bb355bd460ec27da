"""Every endpoint of the bot's HTTP server, fuzzed against the real server, edge and app:
signed and unsigned requests, random bodies, content types, methods and paths, and payloads
of random shapes — mostly near Slack's own (its keys, its ids), since that is where a reader
goes wrong. Whatever comes, the answer is never a 5xx, no log line carries a traceback, and a
refused request (4xx) changes nothing: the store is as it was and Slack was not called."""

from __future__ import annotations

import json
import logging
import string
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from handlers.ids import ActionId, CallbackId
from tests.e2e.http_rig import FORM, JSON, HttpRig, http_rig

pytestmark = pytest.mark.integration

USERS = st.sampled_from(["UALICE", "UCAROL", "UDAVE"])
CHANNELS = st.sampled_from(["CINCIDENTS", "CGENERAL"])
TEAMS = st.sampled_from(["TSANDBOX1", "TOTHER"])
APPS = st.sampled_from(["ASANDBOX1", "AOTHER"])
ACTIONS = st.sampled_from([a.value for a in ActionId] + ["approve", "nope"])
CALLBACKS = st.sampled_from([c.value for c in CallbackId] + ["nope"])
KEYS = st.sampled_from(
    [
        "type", "user", "id", "team", "team_id", "api_app_id", "actions", "action_id",
        "value", "view", "callback_id", "state", "values", "private_metadata", "event",
        "event_id", "channel", "container", "message_ts", "enterprise", "authorizations",
        "response_urls", "response_url", "trigger_id", "tab", "challenge", "command", "text",
        "user_id", "channel_id", "app_installed_team_id", "is_enterprise_install",
        "is_ext_shared_channel", "message", "workflow_step", "bot_id", "subtype",
    ]
) | st.text(max_size=6)  # fmt: skip
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(-(2**40), 2**40)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12)
    | USERS
    | TEAMS
)
JUNK = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(KEYS, inner, max_size=4),
    max_leaves=10,
)


def near(shape: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Slack's shape for a field mostly, or anything at all."""
    return st.one_of(shape, shape, shape, JUNK)


def payloads() -> st.SearchStrategy[dict[str, Any]]:
    view = st.fixed_dictionaries(
        {"type": near(st.sampled_from(["modal", "home"])), "callback_id": near(CALLBACKS)},
        optional={
            "private_metadata": near(st.text(max_size=10)),
            "state": near(st.fixed_dictionaries({"values": JUNK})),
            "app_installed_team_id": near(TEAMS),
        },
    )
    event = st.fixed_dictionaries(
        {"type": near(st.sampled_from(["app_home_opened", "message"]))},
        optional={"user": near(USERS), "tab": near(st.just("home")), "channel": JUNK},
    )
    action = st.fixed_dictionaries(
        {"action_id": near(ACTIONS)}, optional={"value": near(st.text(max_size=10))}
    )
    kinds = [
        "block_actions", "view_submission", "view_closed", "event_callback",
        "url_verification", "shortcut", "block_suggestion",
    ]  # fmt: skip
    return st.fixed_dictionaries(
        {"type": near(st.sampled_from(kinds))},
        optional={
            "user": near(st.fixed_dictionaries({"id": near(USERS)})),
            "team": near(st.fixed_dictionaries({"id": near(TEAMS)})),
            "team_id": near(TEAMS),
            "api_app_id": near(APPS),
            "channel": near(st.fixed_dictionaries({"id": near(CHANNELS)})),
            "actions": near(st.lists(action, max_size=2)),
            "view": near(view),
            "event": near(event),
            "event_id": near(st.text(min_size=1, max_size=8)),
            "authorizations": JUNK,
            "enterprise": JUNK,
            "response_urls": JUNK,
            "challenge": JUNK,
            "message": JUNK,
            "is_ext_shared_channel": JUNK,
        },
    )


def commands() -> st.SearchStrategy[dict[str, str]]:
    text = st.sampled_from(["status", "help", "history 2", "stauts", ""]) | st.text(max_size=10)
    return st.fixed_dictionaries(
        {},
        optional={
            "command": st.sampled_from(["/phoenix", "/other"]) | st.text(max_size=8),
            "text": text,
            "user_id": USERS | st.text(max_size=8),
            "channel_id": CHANNELS | st.text(max_size=8),
            "team_id": TEAMS | st.text(max_size=8),
            "api_app_id": APPS,
            "ssl_check": st.just("1"),
        },
    )


FORMS = st.one_of(
    payloads().map(lambda p: urlencode({"payload": json.dumps(p)}).encode()),
    st.text(max_size=40).map(lambda t: urlencode({"payload": t}).encode()),
    commands().map(lambda c: urlencode(c).encode()),
)
JSONS = (payloads() | JUNK).map(lambda p: json.dumps(p).encode())
HEADER_TEXT = st.text(
    alphabet=string.ascii_letters + string.digits + " /;=-+.,*", max_size=30
)  # what http.client lets a header carry
ODD_TYPES = st.sampled_from(["text/plain", f"{FORM}; charset=utf-8", None]) | HEADER_TEXT
# A body with the content type Slack would give it, mostly; anything with anything, at times.
REQUESTS = st.one_of(
    FORMS.map(lambda body: (body, FORM)),
    FORMS.map(lambda body: (body, FORM)),
    JSONS.map(lambda body: (body, JSON)),
    JSONS.map(lambda body: (body, JSON)),
    st.tuples(st.binary(max_size=300) | FORMS | JSONS, ODD_TYPES),
)
SIGNING = st.sampled_from(["fresh"] * 6 + ["stale", "future", "none", "forged"])
SLACK = st.just(("POST", "/slack/events"))
TARGETS = st.one_of(
    SLACK,
    SLACK,
    SLACK,
    SLACK,
    st.tuples(
        st.sampled_from(["GET", "POST", "HEAD", "PUT", "DELETE"]),
        st.sampled_from(["/health", "/live", "/ready", "/metrics", "/", "/slack/events"])
        | st.text(alphabet=string.ascii_lowercase + "/", max_size=12).map(lambda p: "/" + p),
    ),
)


@pytest.fixture(scope="module")
def http(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HttpRig]:
    with http_rig(tmp_path_factory.mktemp("fuzz")) as rig:
        yield rig


class Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def records() -> Iterator[Records]:
    handler = Records()
    root = logging.getLogger()
    root.addHandler(handler)
    level = root.level
    root.setLevel(logging.INFO)
    try:
        yield handler
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


@settings(
    max_examples=600,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(request=REQUESTS, signing=SIGNING, target=TARGETS)
def test_no_request_gets_a_5xx_a_traceback_or_a_change_it_was_refused(
    http: HttpRig,
    records: Records,
    request: tuple[bytes, str | None],
    signing: str,
    target: tuple[str, str],
) -> None:
    (body, content_type), (method, path) = request, target
    headers = {}
    if signing == "forged":
        headers = {"X-Slack-Request-Timestamp": str(int(time.time())), "X-Slack-Signature": "v0=0"}
    before, calls = http.store_dump(), len(http.slack.calls())
    records.records.clear()
    answer = http.post(
        body,
        content_type,
        signed=signing in ("fresh", "stale", "future"),
        skew={"stale": -400, "future": 400}.get(signing, 0),
        headers=headers,
        method=method,
        path=path,
    )
    http.settle()
    event(f"HTTP {answer.status}")
    assert answer.status < 500, answer
    traced = [r.getMessage() for r in records.records if r.exc_info or r.stack_info]
    assert not traced, traced
    if 400 <= answer.status < 500:
        assert http.store_dump() == before, f"a refused request ({answer.status}) wrote"
        assert len(http.slack.calls()) == calls, f"a refused request ({answer.status}) called Slack"
