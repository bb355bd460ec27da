"""Slack's posting and editing budgets, enforced: 429 + Retry-After, every breach counted."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler

from sandbox.slack import Emulator, ManualClock, RateBudget
from sandbox.slack.ratelimit import DEFAULT_BUDGETS, RateLimiter

pytestmark = pytest.mark.integration


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def tight(clock: ManualClock) -> Iterator[Emulator]:
    budgets = {
        "chat.postMessage": RateBudget(per_second=1.0, burst=2, scope="channel"),
        "chat.update": RateBudget.per_minute(6, burst=3),
    }
    with Emulator(budgets=budgets, clock=clock) as emu:
        yield emu


def test_defaults_are_slacks_numbers() -> None:
    post, update = DEFAULT_BUDGETS["chat.postMessage"], DEFAULT_BUDGETS["chat.update"]
    assert (post.per_second, post.scope) == (1.0, "channel")
    assert (round(update.per_second * 60), update.scope) == (50, "workspace")


def test_posting_over_budget_is_answered_429_with_retry_after(
    tight: Emulator, clock: ManualClock
) -> None:
    client = tight.web_client()
    client.chat_postMessage(channel="#incidents", text="1")
    client.chat_postMessage(channel="#incidents", text="2")

    with pytest.raises(SlackApiError) as caught:
        client.chat_postMessage(channel="#incidents", text="3")

    assert caught.value.response.status_code == 429
    assert caught.value.response["error"] == "ratelimited"
    assert caught.value.response.headers["Retry-After"] == "1"
    [breach] = tight.rate_limit_breaches("chat.postMessage")
    assert (breach.key, breach.retry_after) == ("CINCIDENTS", 1)
    assert [m.text for m in tight.messages("#incidents")] == ["1", "2"]
    client.chat_postMessage(channel="#general", text="another channel has its own budget")
    clock.advance(1.0)
    client.chat_postMessage(channel="#incidents", text="3")
    assert len(tight.rate_limit_breaches()) == 1


def test_chat_update_shares_one_budget_across_messages(tight: Emulator, clock: ManualClock) -> None:
    client = tight.web_client()
    clock.advance(10)
    stamps = []
    for n in range(4):
        stamps.append(client.chat_postMessage(channel="#incidents", text=f"stage {n}")["ts"])
        clock.advance(1)

    for ts in stamps[:3]:
        client.chat_update(channel="#incidents", ts=ts, text="running")
    with pytest.raises(SlackApiError) as caught:
        client.chat_update(channel="#incidents", ts=stamps[3], text="running")

    assert caught.value.response.status_code == 429
    assert caught.value.response.headers["Retry-After"] == "10"
    assert len(tight.rate_limit_breaches("chat.update")) == 1
    assert tight.message(stamps[3]).edit_count == 0


def test_a_client_with_slack_sdks_retry_handler_waits_and_lands(emulator: Emulator) -> None:
    emulator.set_rate_budget(
        "chat.postMessage", RateBudget(per_second=2.0, burst=1, scope="channel")
    )
    client = emulator.web_client(retry_handlers=[RateLimitErrorRetryHandler(max_retry_count=2)])
    client.chat_postMessage(channel="#incidents", text="first")
    started = time.monotonic()

    client.chat_postMessage(channel="#incidents", text="second")

    assert time.monotonic() - started >= 1.0
    assert [m.text for m in emulator.messages("#incidents")] == ["first", "second"]
    assert len(emulator.rate_limit_breaches("chat.postMessage")) == 1
    assert [c.status for c in emulator.calls("chat.postMessage")] == [200, 429, 200]


def test_bucket_refills_at_its_rate_up_to_its_burst(clock: ManualClock) -> None:
    limiter = RateLimiter({"m": RateBudget(per_second=0.5, burst=2)}, clock)

    assert [limiter.spend("m", None) for _ in range(3)] == [None, None, 2]
    clock.advance(1.0)
    assert limiter.spend("m", None) == 1
    clock.advance(1.0)
    assert limiter.spend("m", None) is None
    clock.advance(100)
    assert [limiter.spend("m", None) for _ in range(3)] == [None, None, 2]
    assert limiter.spend("unbudgeted", None) is None
    assert len(limiter.breaches("m")) == 3
