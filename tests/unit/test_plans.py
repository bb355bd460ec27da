"""Plans: the stage registry's checks, the plan model and its version hash, built-in plans,
configuration errors with field paths, and the dry run."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
import yaml
from pydantic import BaseModel, ConfigDict

from engine.config import BUILTIN_PLANS, PhoenixConfig, parse_config
from engine.errors import ConfigError, StageFatal, StageRetryable, StageTimeout
from engine.plans.builtin import builtin_plan_data
from engine.plans.model import builtin_plans, dry_run, plan_book
from engine.retry import RetryPolicy
from engine.runs import RunMode, StageRole
from engine.stages import REGISTRY, Stage, StageContext, StageRegistry

from .runner_support import plan_of


def problems(text: str) -> list[str]:
    with pytest.raises(ConfigError) as info:
        parse_config(text)
    return [str(p) for p in info.value.problems]


# ----------------------------------------------------------------------------- registry


class Params(BaseModel):
    model_config = ConfigDict(extra="forbid")
    n: int = 1


class Loose(BaseModel):
    n: int = 1


def declare(registry: StageRegistry, name: str = "thing", **kwargs: object) -> None:
    options: dict[str, object] = {"params": Params, "timeout": timedelta(seconds=5), **kwargs}

    @registry.register(name, **options)  # type: ignore[arg-type]
    class Thing(Stage[Params]):
        def run(self, ctx: StageContext, params: Params) -> str:
            return "ok"


def test_a_well_declared_kind_registers_with_its_defaults() -> None:
    registry = StageRegistry()
    declare(registry, retry=RetryPolicy(maximum_attempts=7), drill=True)
    kind = registry.get("thing")
    assert kind is not None
    assert (kind.params, kind.timeout, kind.retry.maximum_attempts, kind.drill) == (
        Params,
        timedelta(seconds=5),
        7,
        True,
    )
    assert registry.names() == ["thing"]
    assert REGISTRY.get("thing") is None


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"params": Loose}, TypeError, "must forbid extra fields"),
        ({"params": dict}, TypeError, "params must be a pydantic model"),
        ({"timeout": timedelta(0)}, ValueError, "timeout must be greater than zero"),
        ({"name": "Bad-Kind"}, ValueError, "lower-case letters"),
    ],
)
def test_a_bad_declaration_fails_at_registration(
    kwargs: dict[str, object], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        declare(StageRegistry(), **kwargs)  # type: ignore[arg-type]


def test_a_kind_is_registered_once_and_must_match_its_params_model() -> None:
    registry = StageRegistry()
    declare(registry)
    with pytest.raises(ValueError, match="registered twice"):
        declare(registry)

    class Other(BaseModel):
        model_config = ConfigDict(extra="forbid")

    with pytest.raises(TypeError, match="takes"):

        @registry.register("other", params=Other, timeout=timedelta(seconds=1))
        class Mismatch(Stage[Params]):
            def run(self, ctx: StageContext, params: Params) -> str:
                return "ok"


def test_the_built_in_kinds_are_registered() -> None:
    assert {"noop", "record", "sleep", "fail_n_times", "manual"} <= set(REGISTRY.names())


def test_each_kind_declares_its_role_in_a_recovery() -> None:
    roles = {name: kind.role for name in REGISTRY.names() if (kind := REGISTRY.get(name))}
    assert {name: role for name, role in roles.items() if role is not None} == {
        "replication_check": StageRole.CATCH_UP,
        "object_sync": StageRole.CATCH_UP,
        "traffic_switch": StageRole.CUT_OVER,
        "region_failover": StageRole.CUT_OVER,
        "verify": StageRole.VERIFICATION,
        "notify_webhook": StageRole.NOTIFICATION,
    }
    assert roles["manual"] is roles["jenkins_job"] is None, "generic: the plan says"
    registry = StageRegistry()
    declare(registry, role=StageRole.CUT_OVER)
    kind = registry.get("thing")
    assert kind is not None
    assert kind.role is StageRole.CUT_OVER


# ----------------------------------------------------------------------------- retry policy


def test_backoff_grows_by_the_coefficient_up_to_the_maximum() -> None:
    policy = RetryPolicy(
        initial_interval=timedelta(seconds=1),
        backoff_coefficient=3,
        maximum_interval=timedelta(seconds=20),
    )
    assert [policy.delay(n).total_seconds() for n in range(1, 5)] == [1, 3, 9, 20]


def test_which_failures_are_retried() -> None:
    policy = RetryPolicy(maximum_attempts=3, non_retryable=["Throttled", "KeyError"])
    assert policy.retries(StageRetryable("x"), 2)
    assert not policy.retries(StageRetryable("x"), 3)
    assert not policy.retries(StageFatal("x"), 1)
    assert not policy.retries(StageRetryable("x", error_type="Throttled"), 1)
    assert not policy.retries(KeyError("k"), 1)
    assert policy.retries(StageTimeout("t"), 1)
    assert RetryPolicy(maximum_attempts=0).retries(StageRetryable("x"), 1000)


# ----------------------------------------------------------------------------- plans


def test_the_built_in_plans_are_the_ones_the_configuration_names() -> None:
    plans = builtin_plans()
    assert tuple(plans) == BUILTIN_PLANS
    dr = plans["dr-azure"]
    steps = [[s.name for s in step] for step in dr.steps()]
    assert steps == [
        ["check-replication-lag", "sync-objects"],
        ["scale-azure-sql", "deploy-services"],
        ["switch-traffic"],
        ["verify-services"],
        ["notify"],
    ]
    assert not dr.stage("switch-traffic").drill
    assert dr.stage("verify-services").drill


def test_the_kubernetes_stages_take_the_grace_for_pods_waiting_for_a_node() -> None:
    recovery = """
clouds:
  clusters: {aks-dr: {in_cluster: true}, eks: {in_cluster: true}}
recovery:
  aks: {cluster: aks-dr, namespace: shop, deployments: {api: 2}%s}
  self_heal: {cluster: eks, namespace: prod%s}
"""
    plain = plan_book(parse_config(recovery % ("", "")))
    graced = plan_book(
        parse_config(recovery % (", unschedulable_grace: 4m", ", unschedulable_grace: 90s"))
    )
    deploy = graced["dr-azure"].stage("deploy-services").params
    restart = graced["self-heal"].stage("restart-unhealthy").params
    assert deploy.unschedulable_grace == timedelta(minutes=4)  # type: ignore[attr-defined]
    assert restart.unschedulable_grace == timedelta(seconds=90)  # type: ignore[attr-defined]
    # Without it, a plan is as before: a run started earlier still resumes.
    assert (
        "unschedulable_grace"
        not in plain["dr-azure"].stage("deploy-services").params.model_fields_set
    )
    assert plain["self-heal"].version != graced["self-heal"].version


def test_a_stage_takes_its_kinds_defaults_unless_the_plan_overrides_them() -> None:
    plan = plan_of(
        "p",
        """
stages:
  - {name: default, kind: fail_n_times, params: {failures: 1}}
  - name: tuned
    kind: fail_n_times
    params: {failures: 1}
    timeout: 2m
    drill: false
    retry: {initial_interval: 5s}
""",
    )
    kind = REGISTRY.get("fail_n_times")
    assert kind is not None
    default, tuned = plan.stages
    assert (default.timeout, default.retry, default.drill) == (kind.timeout, kind.retry, True)
    assert tuned.timeout == timedelta(minutes=2)
    assert not tuned.drill
    assert tuned.retry.initial_interval == timedelta(seconds=5)
    assert tuned.retry.maximum_attempts == kind.retry.maximum_attempts == 5


def test_a_plan_says_the_role_of_a_generic_stage_or_another_than_its_kinds() -> None:
    plan = plan_of(
        "p",
        """
stages:
  - {name: smoke-check, kind: jenkins_job, role: verification, params: {job: dr/smoke}}
  - {name: page, kind: jenkins_job, params: {job: dr/page}}
  - name: n8n-flips-dns
    kind: notify_webhook
    role: cut-over
    params: {url: "https://n8n.example/flip", secret: "env:N8N_KEY"}
""",
    )
    assert [s.role for s in plan.stages] == [StageRole.VERIFICATION, None, StageRole.CUT_OVER]
    assert plan.roles() == {"smoke-check": "verification", "n8n-flips-dns": "cut-over"}
    assert problems(
        "plans:\n  mine:\n    stages:\n      - {name: a, kind: noop, role: verify}\n"
    ) == [
        "plans.mine.stages[0].role: must be one of 'catch-up', 'cut-over', 'verification' or "
        "'notification'"
    ]


def test_a_changed_role_keeps_the_version_so_a_started_run_resumes() -> None:
    """A role changes what a drill measures, not what the stage does."""
    base = "stages: [{name: a, kind: noop}]"
    declared = base.replace("}]", ", role: verification}]")
    assert plan_of("p", declared).version == plan_of("p", base).version
    assert plan_of("p", declared).roles() != plan_of("p", base).roles()


def test_the_built_in_plans_are_spelled_as_phoenix_yaml_spells_them() -> None:
    """The sandbox writes them into the phoenix.yaml it runs with."""
    text = yaml.safe_dump({"plans": builtin_plan_data()})
    assert plan_book(parse_config(text)) == builtin_plans()


@pytest.mark.parametrize("plan", BUILTIN_PLANS)
def test_a_manual_step_of_a_built_in_plan_has_the_role_of_the_kind_it_stands_for(
    plan: str,
) -> None:
    example = parse_config((Path(__file__).parents[2] / "examples" / "phoenix.yaml").read_text())
    manual, configured = plan_book(PhoenixConfig())[plan], plan_book(example)[plan]
    assert all(s.kind.name == "manual" for s in manual.stages)
    shared = {s.name for s in manual.stages} & {s.name for s in configured.stages}
    assert shared
    for name in shared:
        assert manual.stage(name).role == configured.stage(name).role, name


def test_the_version_hash_follows_what_the_stages_do() -> None:
    base = "stages: [{name: a, kind: sleep, params: {seconds: 1}}]"
    version = plan_of("p", base).version
    assert plan_of("p", base).version == version
    assert plan_of("p", "description: reworded\n" + base).version == version
    for changed in (
        base.replace("seconds: 1", "seconds: 2"),
        base.replace("}]", ", timeout: 1m}]"),
        base.replace("}]", ", retry: {maximum_attempts: 9}}]"),
        base.replace("}]", ", drill: false}]"),
        base.replace("}]", ", gate: true}]"),
        base.replace("name: a", "name: b"),
    ):
        assert plan_of("p", changed).version != version, changed


def test_a_plan_in_phoenix_yaml_overrides_the_built_in_of_that_name() -> None:
    config = parse_config("plans:\n  dr-azure:\n    stages: [{name: only, kind: noop}]\n")
    book = plan_book(config)
    assert [s.name for s in book["dr-azure"].stages] == ["only"]
    assert set(book) == set(BUILTIN_PLANS)
    assert book["failback"] == builtin_plans()["failback"]
    assert plan_book(PhoenixConfig()) == builtin_plans()


def test_plan_faults_are_config_errors_with_field_paths() -> None:
    text = """
plans:
  mine:
    stages:
      - {name: a, kind: slep}
      - {name: b, kind: sleep, params: {seconds: soon}, timeout: 0s}
      - {name: c, kind: record, group: g, params: {ledgr: x}}
      - {name: a, kind: noop}
      - {name: d, kind: noop, group: g}
"""
    assert problems(text) == [
        "plans.mine.stages[0].kind: unknown stage kind 'slep' (did you mean 'sleep'? known: "
        + ", ".join(REGISTRY.names())
        + ")",
        "plans.mine.stages[1].params.seconds: must be a number",
        "plans.mine.stages[1].timeout: must be greater than zero",
        "plans.mine.stages[2].params.ledger: is required",
        "plans.mine.stages[2].params.ledgr: unknown field (did you mean 'ledger'?)",
    ]
    text = """
plans:
  mine:
    stages:
      - {name: a, kind: noop, group: g}
      - {name: b, kind: noop}
      - {name: a, kind: noop, group: g, retry: {maximum_attempts: -1}}
"""
    assert problems(text) == ["plans.mine.stages[2].retry.maximum_attempts: must be at least 0"]
    text = text.replace("maximum_attempts: -1", "maximum_attempts: 1")
    assert problems(text) == [
        "plans.mine.stages[2].name: 'a' is used twice",
        "plans.mine.stages[2].group: the stages of group 'g' must be next to each other",
    ]


def test_dry_run_describes_every_action_and_touches_nothing(tmp_path: Path) -> None:
    ledger = tmp_path / "ledger"
    plan = plan_of(
        "p",
        f"""
stages:
  - {{name: lag, kind: fail_n_times, params: {{failures: 2}}}}
  - {{name: a, kind: record, group: g, params: {{ledger: "{ledger}"}}}}
  - {{name: b, kind: sleep, group: g, drill: false, params: {{seconds: 3}}}}
  - {{name: hand, kind: manual, params: {{instruction: "call the DBA"}}}}
""",
    )
    live = dry_run(plan)
    assert [[(d.stage.name, d.actions, d.skipped) for d in step] for step in live] == [
        [("lag", ("fail retryably on the first 2 attempt(s), then succeed",), "")],
        [
            ("a", (f"append '<run_id>:a' to {ledger}, unless it is there already",), ""),
            ("b", ("wait 3s",), ""),
        ],
        [("hand", ("pause for a person to: call the DBA",), "")],
    ]
    rehearsal = dry_run(plan, RunMode.REHEARSAL)
    assert rehearsal[1][1].skipped == "skipped: not part of a drill rehearsal"
    assert not ledger.exists()
