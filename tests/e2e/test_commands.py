"""``/phoenix`` subcommands answered within the ack, and malformed text fuzzed."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.model import Level
from sandbox.slack.visible import visible_text
from tests.e2e.support import Rig


def test_status_answers_from_the_store_within_the_ack(rig: Rig) -> None:
    slack = rig.slack
    proposal = rig.breach(Level.REGION_FAILOVER)
    delivery = slack.run_slash_command("/phoenix", "status", user="UCAROL")
    assert delivery.on_time
    assert delivery.ack_latency is not None
    assert delivery.ack_latency < 1.0
    [answer] = slack.ephemeral("UCAROL")
    assert answer.source == "ack"
    text = visible_text(answer.blocks)
    assert "score 8, level 2" in answer.text
    assert "service-a" in text
    assert "down" in text
    assert "+4" in text
    assert proposal.run_id in text
    assert "awaiting_approval" in text
    assert "Last evaluation" in text
    assert "Last drill:* none yet" in text
    assert not slack.calls("chat.postMessage") or all(
        "status" not in c.args.get("text", "") for c in slack.calls("chat.postMessage")
    )


def test_status_of_one_service(rig: Rig) -> None:
    rig.breach(Level.REGION_FAILOVER)
    rig.slack.run_slash_command("/phoenix", "status service-b", user="UBOB")
    [answer] = rig.slack.ephemeral("UBOB")
    breakdown = visible_text(answer.blocks[-1:])
    assert "Breakdown for `service-b`" in breakdown
    assert "`service-b` down" in breakdown
    assert "`service-a`" not in breakdown


def test_history_help_and_usage(rig: Rig) -> None:
    slack = rig.slack
    rig.breach(Level.REGION_FAILOVER)
    slack.run_slash_command("/phoenix", "history 3", user="UBOB")
    slack.run_slash_command("/phoenix", "help", user="UBOB")
    slack.run_slash_command("/phoenix", "stauts", user="UBOB")
    slack.run_slash_command("/phoenix", "failover quik", user="UBOB")
    history, help_, typo, plan = slack.wait_for_ephemeral("UBOB", 4)
    assert "The last 3 run(s)" in history.text
    assert "silence <duration>" in visible_text(help_.blocks)
    assert "Did you mean `/phoenix status`" in typo.text
    assert "Did you mean `/phoenix failover quick`" in plan.text


def test_silence_and_unsilence(rig: Rig) -> None:
    slack = rig.slack
    assert slack.run_slash_command(
        "/phoenix", "silence 2h planned maintenance", user="UALICE"
    ).on_time
    [said] = slack.wait_for_messages("#incidents", 1)
    assert "silenced automatic proposals" in said.text
    assert "planned maintenance" in said.text
    held = rig.evaluate(Level.REGION_FAILOVER)
    assert held.incidents.proposed is None
    assert held.judgement.held, "held back by the silence"
    slack.run_slash_command("/phoenix", "unsilence", user="UALICE")
    slack.wait_for_messages("#incidents", 2)
    assert rig.phoenix.store.list_silences(active_at=rig.phoenix.services.clock.now()) == []


def test_failback_is_proposed_with_the_dr_levels_approvals(rig: Rig) -> None:
    slack = rig.slack
    slack.run_slash_command("/phoenix", "failback", user="UCAROL")
    message = slack.wait_for(
        lambda: next(
            (m for m in slack.messages("#incidents") if "`failback`" in visible_text(m.blocks)),
            None,
        ),
        what="the failback proposal",
    )
    assert "0 of 2 approval(s)" in visible_text(message.blocks)
    assert "Requested by <@UCAROL>" in visible_text(message.blocks)


def test_app_home_shows_score_run_and_drills_honestly(rig: Rig) -> None:
    slack = rig.slack
    rig.breach(Level.REGION_FAILOVER)
    assert slack.open_app_home("UCAROL").on_time
    home = slack.wait_for(lambda: slack.home_view("UCAROL"), what="the home tab")
    text = visible_text(home.blocks)
    assert "Score:* 8" in text
    assert "Level:* 2" in text
    assert "no drills scheduled" in text
    assert "none yet" in text
    assert "awaiting_approval" in text


_WORDS = st.sampled_from(
    [
        "status",
        "history",
        "failover",
        "failback",
        "silence",
        "unsilence",
        "help",
        "-1",
        "999",
        "5m",
        "0s",
        "99d",
        "quick",
        "nope",
        "<@U1>",
        "&",
        "*",
        "`",
        "\u00e9t\u00e9",
    ]
)
_TEXTS = st.one_of(
    st.text(max_size=60),
    st.lists(_WORDS, max_size=5).map(" ".join),
    st.lists(st.one_of(_WORDS, st.text(max_size=8)), max_size=4).map(" ".join),
)


@settings(
    max_examples=40,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(text=_TEXTS)
def test_any_text_gets_an_ephemeral_answer_never_an_error(module_rig: Rig, text: str) -> None:
    slack = module_rig.slack
    before = len(slack.ephemeral("UCAROL"))
    delivery = slack.run_slash_command("/phoenix", text, user="UCAROL")
    assert delivery.on_time, delivery
    assert delivery.error is None
    words = text.split()
    if words and words[0].lower() in ("silence", "unsilence", "failover", "failback", "drill"):
        return  # a valid one acts; its answer may follow through the response URL
    answers = slack.ephemeral("UCAROL")[before:]
    # A response-URL answer to an earlier example may land here late; Slack's own error
    # notice (source "slack") may not.
    assert [a for a in answers if a.source == "ack"], f"no answer to {text!r}"
    assert not [a for a in answers if a.source == "slack"], answers
