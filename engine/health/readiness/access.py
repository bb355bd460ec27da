"""What a failover needs besides the clouds' resources: the bot's identities work, every secret
reference resolves, and the services it talks to answer — the webhook, Slack, the smoke-test
job in Jenkins. None of these sends anything anyone would act on.

The webhook is asked with a CORS preflight (``OPTIONS`` with an ``Origin``): n8n answers it
204 while the workflow's webhook is registered and 404 once it is not (n8n-io/n8n,
packages/cli/src/webhooks/WebhookRequestHandler.ts and live-webhooks.ts
``getWebhookMethods``), which is exactly "will the notification land". A receiver that does
not serve ``OPTIONS`` (405, 501) is asked with ``HEAD``; a 405 then still proves the route is
there.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Final, Protocol

from engine.cloud_ports import Identity
from engine.errors import SecretError, SecretUnavailable
from engine.health.readiness.check import Finding, Look, not_ready, ready, unknown
from engine.stages import PortKey, Ports
from engine.stages.jenkins import RUN_PARAMETER, JenkinsJobParams
from engine.stages.ports import BUILD_SERVERS, HTTP, SECRETS, HttpAnswer


class Identities(Protocol):
    def aws_identity(self) -> Identity: ...

    def azure_identity(self) -> Identity: ...


IDENTITIES: PortKey[Identities] = PortKey("the bot's cloud identities")
CHAT: PortKey[Identity] = PortKey("the bot's Slack identity")

PREFLIGHT_HEADERS: Final = {"Origin": "null", "Access-Control-Request-Method": "POST"}
"""A CORS preflight for the POST the webhook stage sends (``null``: an origin of no site)."""
_NOT_SERVED: Final = frozenset({405, 501})


def identity(which: Callable[[Ports], Identity]) -> Look:
    def look(ports: Ports) -> Finding:
        found = which(ports)
        return ready(f"{found.service} knows the bot as {found.whoami()}")

    return look


def aws_identity(ports: Ports) -> Identity:
    return ports.get(IDENTITIES).aws_identity()


def azure_identity(ports: Ports) -> Identity:
    return ports.get(IDENTITIES).azure_identity()


def chat_identity(ports: Ports) -> Identity:
    return ports.get(CHAT)


def secrets(references: Sequence[str]) -> Look:
    """Every reference resolves."""

    def look(ports: Ports) -> Finding:
        resolver = ports.get(SECRETS)
        refused: list[str] = []
        unanswered: list[str] = []
        for reference in references:
            try:
                resolver.resolve(reference)
            # The errors name the reference and why, never a value.
            except SecretUnavailable as exc:
                unanswered.append(str(exc))
            except SecretError as exc:
                refused.append(str(exc))
        if refused:
            return not_ready(
                f"{len(refused)} of {len(references)} do not resolve: " + "; ".join(refused)
            )
        if unanswered:
            return unknown(
                f"{len(unanswered)} of {len(references)} could not be read now: "
                + "; ".join(unanswered)
            )
        return ready(f"all {len(references)} secret reference(s) resolve")

    return look


def webhook(url: str, timeout: float) -> Look:
    def look(ports: Ports) -> Finding:
        http = ports.get(HTTP)
        answer = http.request("OPTIONS", url, timeout, PREFLIGHT_HEADERS)
        asked = "OPTIONS"
        if answer.status in _NOT_SERVED:
            answer, asked = http.request("HEAD", url, timeout), "HEAD"
        return _webhook_finding(answer, asked)

    return look


def _webhook_finding(answer: HttpAnswer, asked: str) -> Finding:
    where = answer.url
    if answer.status is None:
        return not_ready(f"{where} did not answer {asked} ({answer.error or 'no answer'})")
    status = answer.status
    if status < 300 or (asked == "HEAD" and status in _NOT_SERVED):
        return ready(f"{where} answers {asked} with {status}")
    if status in (404, 410):
        return not_ready(
            f"{where} answers {asked} with {status}: the webhook is not registered (is its "
            "workflow active?)"
        )
    if status in (401, 403):
        return not_ready(f"{where} refuses the bot ({status})")
    return not_ready(f"{where} answers {asked} with {status}")


def smoke_test(params: JenkinsJobParams) -> Look:
    def look(ports: Ports) -> Finding:
        wanted = [RUN_PARAMETER, *params.parameters]
        missing = ports.get(BUILD_SERVERS).build_server().undeclared_parameters(params.job, wanted)
        if missing:
            return not_ready(
                f"job {params.job} does not declare {', '.join(missing)}: Jenkins would drop "
                "them and the stage refuses to trigger it"
            )
        return ready(f"job {params.job} declares {', '.join(wanted)}")

    return look
