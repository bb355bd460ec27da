"""The stage registry: every stage kind declares its params model, timeout, retry policy,
whether it acts in a drill rehearsal and its role in a recovery where it is defined, and is
checked when it registers.

    @stage_kind("record", params=RecordParams, timeout=timedelta(seconds=30))
    class Record(Stage[RecordParams]):
        def holds(self, ctx, params): ...   # is the end state already there?
        def run(self, ctx, params): ...     # act; raise StageRetryable / StageFatal;
                                            # a summary, or a StageResult with facts
        def describe(self, params, info): ...  # the actions, for a dry run

The runner calls ``holds`` before ``run`` on every attempt, so a resumed or retried stage
never acts twice; stages never sleep-and-retry themselves.

A kind's role (``StageRole``: catch-up, cut-over, verification, notification) is what a drill
report and a run summary read to measure RTO and RPO. A kind that none of them fits (making
the DR side ready, scaling it down) declares none, and so does a generic kind (``manual``,
``jenkins_job``): a plan's stage says its role where the kind cannot know it.
"""

from __future__ import annotations

import difflib
import re
import typing
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ValidationError

from engine.errors import Problem
from engine.problems import problems_from_validation
from engine.retry import RetryPolicy
from engine.runs import StageRole
from engine.stages.context import StageContext, StageInfo

P = TypeVar("P", bound=BaseModel)

Fact = float | int | str | bool
"""A measured value a stage records (e.g. ``replication_lag_seconds``)."""


@dataclass(frozen=True)
class StageResult:
    """What a stage reached: a one-line summary, and facts it measured on the way, kept on
    the stage record as structured evidence (a drill report reads its RPO from them)."""

    summary: str
    facts: Mapping[str, Fact] = field(default_factory=dict)


S = TypeVar("S", bound="Stage[Any]")

_KIND = re.compile(r"^[a-z][a-z0-9_]{0,62}$")


class Stage(ABC, Generic[P]):
    """The behaviour of one stage kind. One instance serves every stage of that kind."""

    @abstractmethod
    def run(self, ctx: StageContext, params: P) -> str | StageResult:
        """Reach the end state; return a one-line summary of what was done, or a
        ``StageResult`` that also carries the facts measured."""

    def holds(self, ctx: StageContext, params: P) -> bool:
        """Whether the end state already holds, so that ``run`` has nothing to do."""
        return False

    def preflight(self, ctx: StageContext, params: P) -> str:
        """Check, touching nothing, that ``run`` could act now: its preconditions and the
        permissions it needs. Raise ``StageFatal`` naming what is missing; return a one-line
        summary of what was checked. A dry-run drill calls this instead of ``run``."""
        return "no preconditions to check"

    def describe(self, params: P, info: StageInfo) -> Sequence[str]:
        """Every action ``run`` would take, in words, without taking any."""
        return [f"run {type(self).__name__}"]


@dataclass(frozen=True)
class StageKind:
    name: str
    params: type[BaseModel]
    timeout: timedelta
    """Per attempt, unless the plan sets another."""
    retry: RetryPolicy
    drill: bool
    """Whether stages of this kind act in a drill rehearsal, unless the plan says otherwise."""
    summary: str
    implementation: Stage[Any]
    role: StageRole | None = None
    """What stages of this kind do for the recovery, unless the plan says otherwise; None
    for a generic kind, whose role depends on the plan."""

    def parse(self, data: Mapping[str, Any]) -> BaseModel:
        """Validate params; raises pydantic's ValidationError."""
        return self.params.model_validate(dict(data))


class StageRegistry:
    def __init__(self) -> None:
        self._kinds: dict[str, StageKind] = {}

    def register(
        self,
        name: str,
        *,
        params: type[BaseModel],
        timeout: timedelta,
        retry: RetryPolicy | None = None,
        drill: bool = False,
        role: StageRole | None = None,
    ) -> Callable[[type[S]], type[S]]:
        """Class decorator declaring a stage kind; a bad declaration fails at import."""

        def declare(cls: type[S]) -> type[S]:
            _check_declaration(name, cls, params, timeout)
            if name in self._kinds:
                raise ValueError(f"stage kind {name!r} is registered twice")
            doc = (cls.__doc__ or name).strip().splitlines()[0]
            self._kinds[name] = StageKind(
                name, params, timeout, retry or RetryPolicy(), drill, doc, cls(), role
            )
            return cls

        return declare

    def copy(self) -> StageRegistry:
        """A new registry holding the same kinds, to register more without touching this one."""
        other = StageRegistry()
        other._kinds = dict(self._kinds)
        return other

    def get(self, name: str) -> StageKind | None:
        return self._kinds.get(name)

    def names(self) -> list[str]:
        return sorted(self._kinds)

    def check(self, kind: str, params: Mapping[str, Any]) -> list[Problem]:
        """Problems of one stage's kind and params, with paths ``kind`` and ``params.…``."""
        stage_kind = self._kinds.get(kind)
        if stage_kind is None:
            close = difflib.get_close_matches(kind, self._kinds, n=1, cutoff=0.6)
            hint = f"did you mean {close[0]!r}? " if close else ""
            return [
                Problem(
                    "kind", f"unknown stage kind {kind!r} ({hint}known: {', '.join(self.names())})"
                )
            ]
        try:
            stage_kind.parse(params)
        except ValidationError as exc:
            return [
                Problem(f"params.{p.path}" if p.path else "params", p.message)
                for p in problems_from_validation(exc, dict(params), stage_kind.params)
            ]
        return []


def _check_declaration(
    name: str, cls: type[Any], params: type[BaseModel], timeout: timedelta
) -> None:
    where = f"stage kind {name!r}"
    if not _KIND.match(name):
        raise ValueError(f"{where}: a kind is lower-case letters, digits and '_'")
    if not (isinstance(cls, type) and issubclass(cls, Stage)):
        raise TypeError(f"{where}: {cls!r} is not a Stage subclass")
    if not (isinstance(params, type) and issubclass(params, BaseModel)):
        raise TypeError(f"{where}: params must be a pydantic model")
    if params.model_config.get("extra") != "forbid":
        raise TypeError(f"{where}: {params.__name__} must forbid extra fields, so typos fail")
    if timeout <= timedelta(0):
        raise ValueError(f"{where}: the timeout must be greater than zero")
    declared = [
        typing.get_args(base)[0]
        for base in getattr(cls, "__orig_bases__", ())
        if typing.get_origin(base) is Stage and typing.get_args(base)
    ]
    if declared and declared[0] is not params:
        raise TypeError(f"{where}: {cls.__name__} takes {declared[0]!r}, not {params.__name__}")


REGISTRY = StageRegistry()
"""The stage kinds phoenix.yaml can name. ``engine.stages`` imports every built-in kind."""

stage_kind = REGISTRY.register
