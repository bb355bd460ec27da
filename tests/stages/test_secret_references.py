"""The ``notify_webhook`` stage signing with a key held in Secrets Manager (moto), through the
durable runner: the receiver checks the HMAC, so a delivery it accepts proves the resolved
value was the right one; and the value shows up in no log line, stage record or event."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pytest

from bot.wiring.cloud import CloudPorts, build_cloud_ports
from bot.wiring.secrets import build_secrets
from engine.adapters.aws.clients import AwsTarget
from engine.errors import StageFatal, StageRetryable
from engine.records import Surface
from engine.runner.runner import Runner
from engine.runs import RunState, StageState
from tests.cloud.aws_faults import json_error
from tests.stages.world import REGION, WEBHOOK_SECRET, Context, World, attempt, aws
from tests.support.fault_proxy import FaultProxy
from tests.unit.runner_support import Kit, plan_of

pytestmark = pytest.mark.integration

KEY = WEBHOOK_SECRET.decode()


def notify_plan(receiver: str, secret: str) -> Any:
    return plan_of(
        "notify",
        f"""
stages:
  - name: notify
    kind: notify_webhook
    params: {{url: "{receiver}/webhook/phoenix", secret: "{secret}", message: failover done}}
    retry: {{maximum_attempts: 1}}
""",
    )


def store_key(world: World, name: str = "phoenix/webhook-hmac") -> str:
    arn: str = aws("secretsmanager", world.moto, REGION).create_secret(Name=name, SecretString=KEY)[
        "ARN"
    ]
    return arn


def texts_of_run(runner: Runner, run_id: str) -> list[str]:
    """Every text the run left behind: stage summaries, errors, facts and events."""
    texts: list[str] = []
    for record in runner.store.get_stages(run_id):
        texts += [record.summary, record.error, repr(dict(record.facts))]
        texts += [a.error for a in record.attempts]
    texts += [e.message for e in runner.store.list_events(run_id)]
    run = runner.store.get_run(run_id)
    assert run is not None
    texts.append(run.reason)
    return texts


def test_notify_signs_with_a_key_from_secrets_manager_through_the_runner(
    world: World, kit: Kit, caplog: pytest.LogCaptureFixture
) -> None:
    arn = store_key(world)
    plan = notify_plan(world.receiver.url, arn)
    runner = kit.runner(plan, owner="phoenix-1", ports=world.ports.ports())
    caplog.set_level(logging.DEBUG)

    run = kit.propose(runner, "notify")
    done = runner.run_now(run.run_id, actor="U0SRE", surface=Surface.SLACK)

    assert done.state is RunState.SUCCEEDED, done.reason
    [accepted] = world.receiver.accepted  # the receiver verified the HMAC with the key
    assert accepted["payload"]["run_id"] == run.run_id
    assert world.receiver.rejected == 0
    [record] = runner.store.get_stages(run.run_id)
    assert record.state is StageState.SUCCEEDED
    texts = texts_of_run(runner, run.run_id)
    assert caplog.records
    assert KEY not in caplog.text
    assert all(KEY not in t for t in texts)


def test_a_missing_key_pauses_the_run_naming_the_arn(
    world: World, kit: Kit, caplog: pytest.LogCaptureFixture
) -> None:
    store_key(world)  # another secret exists; this one does not
    arn = f"arn:aws:secretsmanager:{REGION}:123456789012:secret:phoenix/absent-AbCdEf"
    plan = notify_plan(world.receiver.url, arn)
    runner = kit.runner(plan, owner="phoenix-1", ports=world.ports.ports())
    caplog.set_level(logging.DEBUG)

    run = kit.propose(runner, "notify")
    done = runner.run_now(run.run_id, actor="U0SRE", surface=Surface.SLACK)

    assert done.state is RunState.PAUSED
    [record] = runner.store.get_stages(run.run_id)
    assert record.error == (
        f"the webhook's signing secret: cannot read secret {arn}: ResourceNotFound: "
        f"no such secret in {REGION}"
    )
    assert world.receiver.accepted == []
    assert KEY not in caplog.text
    assert all(KEY not in t for t in texts_of_run(runner, run.run_id))


@pytest.fixture
def proxied_secrets(world: World, aws_proxy: FaultProxy) -> Iterator[CloudPorts]:
    """The world's stage ports, with Secrets Manager reached through ``aws_proxy``."""
    aws_cloud = world.config.clouds.aws.model_copy(update={"endpoint_url": aws_proxy.url})
    clouds = world.config.clouds.model_copy(update={"aws": aws_cloud})
    secrets = build_secrets(clouds, environ={}, aws_target=AwsTarget(max_attempts=1))
    ports = build_cloud_ports(world.config, secrets)
    yield ports
    ports.close()


def test_secrets_manager_throttling_is_retryable_and_a_denial_fatal(
    world: World, aws_proxy: FaultProxy, proxied_secrets: CloudPorts
) -> None:
    arn = store_key(world)
    data = {"url": f"{world.receiver.url}/webhook/phoenix", "secret": arn}
    aws_proxy.faults.add(json_error(400, "ThrottlingException", path="SecretId"))
    with pytest.raises(StageRetryable, match=f"cannot read secret {arn}: .* Throttling"):
        attempt("notify_webhook", data, Context(proxied_secrets.ports()))

    aws_proxy.faults.add(json_error(400, "AccessDeniedException", path="SecretId"))
    with pytest.raises(StageFatal, match="AccessDenied: the bot's role may not read it"):
        attempt("notify_webhook", data, Context(proxied_secrets.ports()))

    attempt("notify_webhook", data, Context(proxied_secrets.ports()))
    assert len(world.receiver.accepted) == 1
