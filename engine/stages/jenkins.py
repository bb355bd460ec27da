"""``jenkins_job``: a parameterised Jenkins job, followed to its result.

Every trigger carries the stage's idempotency key as the ``PHOENIX_RUN`` parameter; before
triggering, the stage looks for a build, or a request still in Jenkins's queue, that already
carries it, so a retried or resumed stage follows the earlier build instead of starting a
second one.

That holds only if the job declares ``PHOENIX_RUN``: Jenkins drops every parameter a job
does not declare, so an undeclared key would never be seen again. The stage therefore reads
the job's declared parameters first and fails at once, naming the job and the parameters,
when ``PHOENIX_RUN`` or any parameter it was given is not among them (a given one would be
dropped too, and the job would run with its default). ``deploy/jenkins/Jenkinsfile`` is a
pipeline that declares them.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Final

from pydantic import Field

from engine.cloud_ports import BuildServer, JenkinsBuild
from engine.duration import Duration, format_duration
from engine.errors import StageFatal, StageRetryable
from engine.retry import RetryPolicy
from engine.stages.common import NOT_CONVERGED, Params
from engine.stages.context import StageContext, StageInfo
from engine.stages.ports import BUILD_SERVERS
from engine.stages.registry import Stage, StageResult, stage_kind

RUN_PARAMETER: Final = "PHOENIX_RUN"


class JenkinsJobParams(Params):
    job: str = Field(min_length=1)
    """``folder/name`` for a job in a folder."""
    parameters: dict[str, str] = Field(default_factory=dict)
    wait: Duration = timedelta(minutes=20)
    poll_interval: Duration = timedelta(seconds=10)


@stage_kind(
    "jenkins_job",
    params=JenkinsJobParams,
    timeout=timedelta(minutes=30),
    retry=RetryPolicy(initial_interval=timedelta(seconds=10), maximum_attempts=3),
    drill=True,
)
class JenkinsJob(Stage[JenkinsJobParams]):
    """Triggers a parameterised Jenkins job once and follows it to its result."""

    def run(self, ctx: StageContext, params: JenkinsJobParams) -> StageResult:
        jenkins = ctx.ports.get(BUILD_SERVERS).build_server()
        key = {RUN_PARAMETER: ctx.idempotency_key}
        parameters = {**params.parameters, **key}
        _require_declared(jenkins, params.job, list(parameters))
        build = jenkins.find_build(params.job, key)
        deadline = params.wait.total_seconds()
        waited = 0.0
        step = params.poll_interval.total_seconds()
        if build is None:
            queued = jenkins.find_queued(params.job, key)
            if queued is None:
                ctx.check()
                queued = jenkins.trigger(params.job, parameters)
                ctx.progress(f"triggered {params.job}; waiting in the queue")
            else:
                ctx.progress(f"{params.job} was triggered before; waiting in the queue")
            while build is None:
                build = jenkins.build_of(queued)
                if build is None:
                    waited = _tick(ctx, waited, deadline, step, f"{params.job} still queued")
        while build.building:
            ctx.progress(f"{params.job} #{build.number} building")
            waited = _tick(ctx, waited, deadline, step, f"{params.job} #{build.number} building")
            build = jenkins.build(params.job, build.number)
        return _result(params.job, build)

    def preflight(self, ctx: StageContext, params: JenkinsJobParams) -> str:
        jenkins: BuildServer = ctx.ports.get(BUILD_SERVERS).build_server()
        names = [*params.parameters, RUN_PARAMETER]
        _require_declared(jenkins, params.job, names)
        return f"Jenkins job {params.job} declares {', '.join(names)}"

    def describe(self, params: JenkinsJobParams, info: StageInfo) -> Sequence[str]:
        given = ", ".join(f"{k}={v}" for k, v in params.parameters.items())
        return [
            f"check that {params.job} declares {', '.join([*params.parameters, RUN_PARAMETER])}",
            f"look for a build of {params.job}, or a request in its queue, with "
            f"{RUN_PARAMETER}={info.idempotency_key}",
            f"if there is none, trigger {params.job} with {given + ', ' if given else ''}"
            f"{RUN_PARAMETER}={info.idempotency_key}",
            f"follow the build to its result (up to {format_duration(params.wait)})",
        ]


def _require_declared(jenkins: BuildServer, job: str, names: Sequence[str]) -> None:
    missing = jenkins.undeclared_parameters(job, names)
    if not missing:
        return
    why = (
        f"without {RUN_PARAMETER} a retried or resumed stage cannot find its build and "
        "would start a second one"
        if RUN_PARAMETER in missing
        else "the job would run with its defaults instead"
    )
    raise StageFatal(
        f"Jenkins job {job} does not declare the parameter(s) {', '.join(missing)}: Jenkins "
        f"drops a parameter its job does not declare, and {why}. Declare them as string "
        f"parameters (a pipeline's parameters {{}} block takes effect after its first build)",
        error_type="UndeclaredParameter",
    )


def _tick(ctx: StageContext, waited: float, deadline: float, step: float, what: str) -> float:
    if waited >= deadline:
        raise StageRetryable(f"{what} after {waited:g}s", error_type=NOT_CONVERGED)
    ctx.wait(step)
    return waited + step


def _result(job: str, build: JenkinsBuild) -> StageResult:
    if not build.succeeded:
        raise StageFatal(
            f"Jenkins job {job} build #{build.number} ended {build.result}: {build.url}",
            error_type="BuildFailed",
        )
    return StageResult(
        f"Jenkins job {job} build #{build.number} succeeded", {"jenkins_build": build.number}
    )
