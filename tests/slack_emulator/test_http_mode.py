"""The same Bolt app in HTTP mode: signed requests to its /slack/events on loopback."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from sandbox.slack import Emulator
from tests.slack_emulator.bolt_http import BoltHttpServer
from tests.slack_emulator.phoenix_app import PhoenixApp

pytestmark = pytest.mark.integration


@pytest.fixture
def http_rig(emulator: Emulator) -> Iterator[PhoenixApp]:
    phoenix = PhoenixApp(emulator)
    with BoltHttpServer(phoenix.app) as server:
        emulator.use_http_mode(server.url)
        yield phoenix


def test_signed_slash_command_and_click_work_over_http(
    emulator: Emulator, http_rig: PhoenixApp
) -> None:
    delivery = emulator.run_slash_command("/phoenix", "status", user="UALICE")

    assert delivery.transport == "http"
    assert delivery.http_status == 200
    assert delivery.on_time
    [proposal] = emulator.wait_for_messages("#incidents", 1)
    click = emulator.click("approve", user="UBOB", message_ts=proposal.ts)
    assert click.on_time
    emulator.wait_for_messages("#incidents", 1, thread_ts=proposal.ts)
    assert emulator.message(proposal.ts).text == "Approved by <@UBOB>"
    assert http_rig.seen == ["command:status", "action:approve"]


def test_http_ack_body_is_applied(emulator: Emulator, http_rig: PhoenixApp) -> None:
    emulator.run_slash_command("/phoenix", "help", user="UCAROL")

    [notice] = emulator.ephemeral("UCAROL")
    assert notice.text.startswith("Usage:")


def test_view_submission_errors_over_http(emulator: Emulator, http_rig: PhoenixApp) -> None:
    emulator.run_slash_command("/phoenix", "approve", user="UALICE")
    emulator.wait_for(lambda: emulator.open_views("UALICE"), what="the modal")

    emulator.submit_view(user="UALICE", values={"env_name": "prod"})

    [modal] = emulator.open_views("UALICE")
    assert modal.errors == {"env": "Type production to confirm"}


@pytest.mark.parametrize("tamper", ["forged", "stale", "future"])
def test_forged_and_stale_signatures_get_401_and_change_nothing(
    emulator: Emulator, http_rig: PhoenixApp, tamper: str
) -> None:
    delivery = emulator.run_slash_command("/phoenix", "status", user="UALICE", tamper=tamper)  # type: ignore[arg-type]

    assert delivery.http_status == 401
    assert delivery.failed
    assert http_rig.seen == []
    assert emulator.messages("#incidents") == []
    assert [c.method for c in emulator.calls()] == ["auth.test"]
    [notice] = emulator.ephemeral("UALICE")
    assert notice.source == "slack"
    assert "dispatch_failed" in notice.text


def test_events_can_be_retried_with_slacks_retry_headers(
    emulator: Emulator, http_rig: PhoenixApp
) -> None:
    first = emulator.open_app_home("UBOB")
    retry = emulator.redeliver(first.envelope_id, retry_num=1, retry_reason="http_timeout")

    assert first.on_time
    assert retry.on_time
    assert retry.retry_num == 1
    assert retry.payload["event_id"] == first.payload["event_id"]
    # Bolt acks an event before its listener runs: wait for the listener, never race it.
    emulator.wait_for(
        lambda: http_rig.seen.count("event:app_home_opened") == 2, what="both deliveries seen"
    )


def test_a_late_http_answer_is_a_failure(emulator: Emulator, http_rig: PhoenixApp) -> None:
    emulator.ack_deadline = 0.2

    delivery = emulator.run_slash_command("/phoenix", "slow 0.4", user="UALICE")

    assert delivery.http_status == 200
    assert delivery.ack_latency is not None
    assert delivery.ack_latency > 0.2
    assert delivery.error == "operation_timeout"
    assert emulator.ack_failures() == [delivery]
