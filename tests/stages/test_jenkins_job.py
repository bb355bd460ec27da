"""The ``jenkins_job`` stage against the Jenkins fake, through the bot's own port factory: one
build per stage however often it is retried or resumed, and a job that would drop the stage's
parameters refused before anything is triggered."""

from __future__ import annotations

from typing import Any

import pytest

from engine.errors import CloudUnavailable, StageFatal
from engine.runs import RunMode
from engine.stages import REGISTRY
from engine.stages.jenkins import RUN_PARAMETER
from tests.stages.world import Context, Crash, World, attempt
from tests.support.http_fake import Fault

pytestmark = pytest.mark.integration

FAST = {"poll_interval": 0.02}
SMOKE = "dr/smoke"


def ctx(world: World, **kwargs: Any) -> Context:
    return Context(world.ports.ports(), **kwargs)


def preflight(world: World, data: dict[str, Any]) -> str:
    """What a dry-run drill runs in place of the stage."""
    found = REGISTRY.get("jenkins_job")
    assert found is not None
    return found.implementation.preflight(ctx(world, mode=RunMode.DRY_RUN), found.parse(data))


def test_jenkins_job_is_triggered_once_and_followed_to_its_result(world: World) -> None:
    world.jenkins.add_job(SMOKE, [RUN_PARAMETER, "TARGET"])
    data = {"job": SMOKE, "parameters": {"TARGET": "azure"}, **FAST}
    with pytest.raises(Crash):
        attempt("jenkins_job", data, ctx(world, crash_after=1))
    number = world.jenkins.start_next()
    world.jenkins.finish(SMOKE, number, "SUCCESS")
    assert "build #1 succeeded" in str(attempt("jenkins_job", data, ctx(world)))
    assert world.jenkins.triggers == 1
    world.jenkins.add_job("dr/broken")
    broken = {"job": "dr/broken", **FAST}
    with pytest.raises(Crash):
        attempt("jenkins_job", broken, ctx(world, stage="b", crash_after=1))
    world.jenkins.finish("dr/broken", world.jenkins.start_next(), "FAILURE")
    with pytest.raises(StageFatal, match="ended FAILURE"):
        attempt("jenkins_job", broken, ctx(world, stage="b"))


def test_jenkins_job_transient_trigger_fault_then_one_build_followed_once(world: World) -> None:
    world.jenkins.add_job(SMOKE)
    data = {"job": SMOKE, **FAST}
    world.jenkins.faults.add(Fault(503, method="POST", path="buildWithParameters"))
    with pytest.raises(CloudUnavailable):
        attempt("jenkins_job", data, ctx(world))
    assert world.jenkins.triggers == 0
    with pytest.raises(Crash):
        attempt("jenkins_job", data, ctx(world, attempt=2, crash_after=1))
    world.jenkins.finish(SMOKE, world.jenkins.start_next(), "SUCCESS")
    assert "build #1 succeeded" in str(attempt("jenkins_job", data, ctx(world, attempt=3)))
    # Done already: a later attempt of the same stage follows the same build.
    assert "build #1 succeeded" in str(attempt("jenkins_job", data, ctx(world, attempt=4)))
    assert world.jenkins.triggers == 1


def test_a_resumed_stage_whose_request_still_waits_in_the_queue_triggers_nothing(
    world: World,
) -> None:
    world.jenkins.add_job(SMOKE)
    data = {"job": SMOKE, **FAST}
    with pytest.raises(Crash):
        attempt("jenkins_job", data, ctx(world, crash_after=1))
    assert world.jenkins.waiting() == 1

    resumed = ctx(world, crash_after=1)
    with pytest.raises(Crash):
        attempt("jenkins_job", data, resumed)

    assert resumed.reported[0][0] == f"{SMOKE} was triggered before; waiting in the queue"
    assert (world.jenkins.triggers, world.jenkins.waiting()) == (1, 1)
    world.jenkins.finish(SMOKE, world.jenkins.start_next(), "SUCCESS")
    assert "build #1 succeeded" in str(attempt("jenkins_job", data, ctx(world)))
    assert world.jenkins.triggers == 1


def test_a_resumed_stage_whose_build_is_running_follows_it(world: World) -> None:
    world.jenkins.add_job(SMOKE)
    data = {"job": SMOKE, **FAST}
    with pytest.raises(Crash):
        attempt("jenkins_job", data, ctx(world, crash_after=1))
    number = world.jenkins.start_next()

    resumed = ctx(world, crash_after=1)
    with pytest.raises(Crash):
        attempt("jenkins_job", data, resumed)

    assert resumed.reported == [(f"{SMOKE} #{number} building", None)]
    # Jenkins forgets a queue item five minutes after it left the queue: the build is found
    # among the job's builds all the same.
    world.jenkins.forget_left_items()
    world.jenkins.finish(SMOKE, number, "SUCCESS")
    assert "build #1 succeeded" in str(attempt("jenkins_job", data, ctx(world)))
    assert world.jenkins.triggers == 1


def test_a_job_that_does_not_declare_the_run_parameter_is_refused_before_a_trigger(
    world: World,
) -> None:
    world.jenkins.add_job(SMOKE, ["TARGET"])
    data = {"job": SMOKE, "parameters": {"TARGET": "azure"}, **FAST}

    with pytest.raises(StageFatal) as refused:
        attempt("jenkins_job", data, ctx(world))

    message = str(refused.value)
    assert message.startswith(
        f"Jenkins job {SMOKE} does not declare the parameter(s) {RUN_PARAMETER}: "
    )
    assert "would start a second one" in message
    assert refused.value.error_type == "UndeclaredParameter"
    assert world.jenkins.triggers == 0


def test_a_given_parameter_the_job_does_not_declare_is_refused(world: World) -> None:
    world.jenkins.add_job(SMOKE)
    data = {"job": SMOKE, "parameters": {"TARGET": "azure", "REGION": "westeurope"}, **FAST}

    with pytest.raises(StageFatal, match="does not declare the parameter\\(s\\) TARGET, REGION"):
        attempt("jenkins_job", data, ctx(world))
    assert world.jenkins.triggers == 0


def test_a_dry_run_checks_the_declared_parameters(world: World) -> None:
    world.jenkins.add_job(SMOKE, [RUN_PARAMETER, "TARGET"])
    found = preflight(world, {"job": SMOKE, "parameters": {"TARGET": "azure"}})
    assert found == f"Jenkins job {SMOKE} declares TARGET, {RUN_PARAMETER}"

    world.jenkins.add_job("dr/legacy", ["TARGET"])
    with pytest.raises(StageFatal, match=f"does not declare the parameter\\(s\\) {RUN_PARAMETER}"):
        preflight(world, {"job": "dr/legacy", "parameters": {"TARGET": "azure"}})
    assert world.jenkins.triggers == 0
