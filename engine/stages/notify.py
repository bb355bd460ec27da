"""``notify_webhook``: a signed JSON summary of the run to a webhook (an n8n workflow).

The HMAC key is a secret reference in the params, resolved at run time through the context's
secret resolver and never written anywhere. The delivery id is derived from the stage's
idempotency key (``run_id:stage``), so every attempt and every resume of the stage sends the
same id and the receiver keeps exactly one notification.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import timedelta

from pydantic import Field

from engine.errors import SecretError, SecretUnavailable, StageFatal, StageRetryable
from engine.fields import SecretRef, Url
from engine.retry import RetryPolicy
from engine.runs import StageRole
from engine.stages.common import Params
from engine.stages.context import StageContext, StageInfo
from engine.stages.ports import SECRETS, WEBHOOKS
from engine.stages.registry import Stage, StageResult, stage_kind
from engine.text import shown_url

_DELIVERY_NAMESPACE = uuid.UUID("5a0b1c62-9a1e-4f0e-8d6c-7f3e2a9b4c11")


def delivery_id(idempotency_key: str) -> str:
    """The same UUID for every attempt of one stage of one run."""
    return str(uuid.uuid5(_DELIVERY_NAMESPACE, idempotency_key))


class NotifyParams(Params):
    url: Url
    secret: SecretRef
    """The HMAC-SHA256 key, by reference (env:VAR, a Secrets Manager ARN, a Key Vault URI)."""
    event: str = Field(default="phoenix.run", min_length=1)
    message: str = ""
    """A line for the people reading the notification."""


@stage_kind(
    "notify_webhook",
    params=NotifyParams,
    timeout=timedelta(seconds=30),
    retry=RetryPolicy(initial_interval=timedelta(seconds=2), maximum_attempts=5),
    drill=True,
    role=StageRole.NOTIFICATION,
)
class NotifyWebhook(Stage[NotifyParams]):
    """POSTs a signed JSON summary to the webhook, once per run and stage."""

    def run(self, ctx: StageContext, params: NotifyParams) -> StageResult:
        secret = _secret(ctx, params)
        sender = ctx.ports.get(WEBHOOKS).webhook(params.url, secret)
        delivery = delivery_id(ctx.idempotency_key)
        payload: dict[str, object] = {
            "run_id": ctx.run_id,
            "stage": ctx.stage,
            "mode": ctx.mode.value,
            "message": params.message,
        }
        ctx.check()
        sent = sender.send(params.event, payload, delivery_id=delivery)
        return StageResult(
            f"notified the webhook ({params.event}, delivery {sent.delivery_id}, "
            f"HTTP {sent.status})",
            {"delivery_id": sent.delivery_id},
        )

    def preflight(self, ctx: StageContext, params: NotifyParams) -> str:
        _secret(ctx, params)
        ctx.ports.get(WEBHOOKS)
        return "the webhook's signing secret resolves (nothing sent)"

    def describe(self, params: NotifyParams, info: StageInfo) -> Sequence[str]:
        return [
            f"resolve the signing secret {params.secret}",
            f"POST a {params.event} JSON summary to {shown_url(params.url)}, signed with "
            f"HMAC-SHA256, delivery id {delivery_id(info.idempotency_key)} "
            f"(from {info.idempotency_key}: the same on every retry)",
        ]


def _secret(ctx: StageContext, params: NotifyParams) -> str:
    try:
        return ctx.ports.get(SECRETS).resolve(params.secret)
    except SecretUnavailable as exc:
        raise StageRetryable(f"the webhook's signing secret: {exc}") from exc
    except SecretError as exc:
        raise StageFatal(f"the webhook's signing secret: {exc}") from exc
