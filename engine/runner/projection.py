"""A run's progress events projected into what its thread shows: one view per stage, and the
summary once the run ends (how it ended, the RTO and RPO measured by ``engine.recovery`` as the
drill report measures them, the run's total time).

Pure: events in, values out. The same events in the same order give the same views on every
replica, so a replica that takes a run over folds the events it missed and shows what the
replica before it would have shown.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime

from engine.config import Objectives
from engine.recovery import rpo_evidence, rto_clock
from engine.runs import EventKind, ProgressEvent, Run, RunState, StageRecord, StageRole


@dataclass(frozen=True)
class StageView:
    """One stage of a running plan, as its thread message shows it."""

    run_id: str
    stage: str
    number: int
    of: int
    state: str
    """pending, running, succeeded, failed, skipped, retrying, aborted."""
    message: str = ""
    fraction: float | None = None
    seconds: float | None = None
    attempt: int | None = None
    controls: bool = False
    """Offer Retry / Skip / Abort (the run paused on this stage)."""
    by: str = ""
    """Who skipped the stage by hand (a user id), if someone did."""


@dataclass(frozen=True)
class RunSummary:
    """The thread's last word on a run: how it ended, the measured RTO, the RPO evidence."""

    run_id: str
    plan: str
    state: RunState
    seconds: float | None
    """The run's total time, from its start to its end: not its RTO."""
    rto_objective: float
    rpo_objective: float
    stages: tuple[tuple[str, str, float | None], ...]
    """(stage, state, seconds) in plan order."""
    rpo_evidence: tuple[str, ...]
    """What each catch-up stage said it reached."""
    reason: str = ""
    rto_seconds: float | None = None
    """The RTO as ``engine.recovery`` measures it; None when the clock never stopped."""
    rto_basis: str = ""
    rpo_seconds: float | None = None
    """The replication lag evidenced before the cut-over, as ``engine.recovery`` reads it."""


class RunProjection:
    """The stage views of one run, folded from its events in the order they were recorded.

    Only a stage that an event touched has a view; the others have not been shown yet."""

    def __init__(self, run: Run) -> None:
        self.run_id = run.run_id
        self.stages = run.stages
        self._views: dict[str, StageView] = {}
        self._started: dict[str, datetime] = {}
        self._summaries: dict[str, str] = {}
        """What each stage that succeeded said it reached."""

    @property
    def views(self) -> dict[str, StageView]:
        return dict(self._views)

    def apply(self, event: ProgressEvent) -> list[StageView]:
        """Fold ``event`` in; the views it changed, each once (as it is now), in the order of
        their first change."""
        changed: dict[str, None] = {}
        stage = event.stage
        if stage is not None and stage in self.stages:
            view = self._views.get(stage) or StageView(
                self.run_id, stage, self.stages.index(stage) + 1, len(self.stages), "pending"
            )
            self._views[stage] = self._stage_change(view, event)
            changed[stage] = None
        if event.kind is EventKind.RUN_PAUSED and stage in self._views:
            self._views[stage] = replace(self._views[stage], controls=True)
            changed[stage] = None
        if event.kind is EventKind.RUN_FINISHED:
            for name, view in list(self._views.items()):
                if view.controls or view.state in ("running", "retrying"):
                    ended = "aborted" if event.run_state is RunState.ABORTED else view.state
                    self._views[name] = replace(view, controls=False, state=ended)
                    changed[name] = None
        return [self._views[name] for name in changed]

    def _stage_change(self, view: StageView, event: ProgressEvent) -> StageView:
        stage, kind = view.stage, event.kind
        if kind is EventKind.STAGE_STARTED:
            self._started.setdefault(stage, event.at)
            return replace(
                view,
                state="running",
                message="",
                attempt=event.attempt,
                controls=False,
                fraction=None,
                seconds=None,
            )
        started = self._started.get(stage)
        seconds = (event.at - started).total_seconds() if started is not None else None
        if kind is EventKind.STAGE_PROGRESS:
            return replace(view, message=event.message, fraction=event.fraction, seconds=seconds)
        if kind is EventKind.STAGE_SUCCEEDED:
            self._summaries[stage] = event.message
            return replace(
                view,
                state="succeeded",
                message=event.message,
                fraction=1.0,
                seconds=seconds,
                controls=False,
            )
        if kind is EventKind.STAGE_FAILED:
            if event.retry_in is not None:
                text = f"attempt {event.attempt} failed: {event.message}; retrying in "
                return replace(
                    view, state="retrying", message=text + f"{event.retry_in:g}s", seconds=seconds
                )
            return replace(view, state="failed", message=event.message, seconds=seconds)
        if kind is EventKind.STAGE_SKIPPED:
            return replace(
                view, state="skipped", message=event.message, controls=False, by=event.by
            )
        return view

    def summary(
        self,
        run: Run,
        finished: ProgressEvent,
        objectives: Objectives,
        records: Mapping[str, StageRecord] | None = None,
    ) -> RunSummary:
        """The run's summary from its ``run_finished`` event and its stage ``records``: the RTO
        and the lag evidenced measured by the stages' roles (``engine.recovery``), what its
        catch-up stages reported, and the run's total time."""
        records = records or {}
        clock = rto_clock(run, records)
        evidence = tuple(
            f"{name}: {text}"
            for name, text in self._summaries.items()
            if text and run.roles.get(name) is StageRole.CATCH_UP
        )
        return RunSummary(
            run_id=run.run_id,
            plan=run.plan,
            state=finished.run_state or run.state,
            seconds=finished.durations.get("total"),
            rto_objective=objectives.rto.total_seconds(),
            rpo_objective=objectives.rpo.total_seconds(),
            stages=tuple(
                (
                    name,
                    self._views[name].state if name in self._views else "not run",
                    finished.durations.get(name),
                )
                for name in self.stages
            ),
            rpo_evidence=evidence,
            reason=finished.message,
            rto_seconds=clock.seconds,
            rto_basis=clock.basis,
            rpo_seconds=rpo_evidence(run, records).seconds,
        )
