"""``verify``: the services answer through the new path (the public name, now served by the
side the plan moved traffic to). Each URL gets a few tries a short while apart, since a new
path takes a moment to settle; a failure names every endpoint that did not answer."""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import timedelta

from pydantic import Field

from engine.duration import Duration, format_duration
from engine.errors import StageRetryable
from engine.fields import Url
from engine.retry import RetryPolicy
from engine.runs import StageRole
from engine.stages.common import Params
from engine.stages.context import StageContext, StageInfo
from engine.stages.ports import HTTP, HttpAnswer
from engine.stages.registry import Stage, StageResult, stage_kind
from engine.text import shown_url


class VerifyParams(Params):
    urls: list[Url] = Field(min_length=1)
    expect_status: list[int] | None = None
    """Statuses that count as answering; any 2xx or 3xx when not given."""

    def answers(self, status: int | None) -> bool:
        if status is None:
            return False
        if self.expect_status is None:
            return 200 <= status < 400
        return status in self.expect_status

    timeout: Duration = timedelta(seconds=5)
    """Per request."""
    tries: int = Field(default=3, ge=1, le=20)
    """Tries per URL within one attempt before it counts as failing."""
    interval: Duration = timedelta(seconds=2)


@stage_kind(
    "verify",
    params=VerifyParams,
    timeout=timedelta(minutes=3),
    retry=RetryPolicy(initial_interval=timedelta(seconds=10), maximum_attempts=3),
    drill=True,
    role=StageRole.VERIFICATION,
)
class Verify(Stage[VerifyParams]):
    """HTTP checks through the new path; a failure names the failing endpoints."""

    def run(self, ctx: StageContext, params: VerifyParams) -> StageResult:
        http = ctx.ports.get(HTTP)
        pending = list(params.urls)
        last: dict[str, HttpAnswer] = {}
        slowest = 0.0
        for attempt in range(params.tries):
            if attempt:
                ctx.progress(
                    f"{len(params.urls) - len(pending)}/{len(params.urls)} answering; "
                    f"trying {len(pending)} again",
                    (len(params.urls) - len(pending)) / len(params.urls),
                )
                ctx.wait(params.interval.total_seconds())
            still = []
            for url in pending:
                ctx.check()
                answer = http.get(url, params.timeout.total_seconds())
                last[url] = answer
                if params.answers(answer.status):
                    slowest = max(slowest, answer.seconds)
                else:
                    still.append(url)
            pending = still
            if not pending:
                break
        if pending:
            raise StageRetryable(
                f"{len(pending)} of {len(params.urls)} endpoint(s) failing after "
                f"{params.tries} tries: " + "; ".join(_said(last[url]) for url in pending),
                error_type="EndpointsFailing",
            )
        return StageResult(
            f"all {len(params.urls)} endpoint(s) answer (slowest {slowest:.2f}s)",
            {"endpoints_verified": len(params.urls), "slowest_seconds": round(slowest, 3)},
        )

    def preflight(self, ctx: StageContext, params: VerifyParams) -> str:
        http = ctx.ports.get(HTTP)
        started = time.monotonic()
        answers = [http.get(url, params.timeout.total_seconds()) for url in params.urls]
        good = sum(1 for a in answers if params.answers(a.status))
        return (
            f"{good}/{len(answers)} endpoint(s) answer now "
            f"({time.monotonic() - started:.1f}s); they are checked again after the switch"
        )

    def describe(self, params: VerifyParams, info: StageInfo) -> Sequence[str]:
        return [
            f"GET {shown_url(url)}, expecting {_statuses(params.expect_status)} within "
            f"{format_duration(params.timeout)} ({params.tries} tries, "
            f"{format_duration(params.interval)} apart)"
            for url in params.urls
        ]


def _said(answer: HttpAnswer) -> str:
    if answer.status is None:
        return f"{answer.url}: no answer ({answer.error or 'failed'})"
    return f"{answer.url}: HTTP {answer.status}"


def _statuses(codes: list[int] | None) -> str:
    if codes is None:
        return "2xx/3xx"
    return ", ".join(str(c) for c in codes)
