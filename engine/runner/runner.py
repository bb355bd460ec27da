"""The durable runner: the engine calls that start, resume, retry, skip, abort and confirm runs.

A run is executed under its lease (``run:<id>``) with a fencing token; every write is fenced
by it (see ``engine.store``), so a runner that lost its lease can never record over the new
owner. Any replica may resume a run whose owner died, once the lease has expired: see
``resume_orphans``. A run whose plan changed since it started is paused, never continued.

Calls return quickly (Slack wants its ack); the work runs on the runner's own threads and the
returned future ends with the run at rest (succeeded, paused, failed, waiting for a person).
A runner whose settings say it does not execute (``RunnerSettings.executes``) records the
move to running and hands the run over: its future is done at once, with the run running and
no lease held, for a replica's sweep to take.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
import threading
from collections.abc import Callable, Collection, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import replace
from typing import NoReturn

from engine.errors import (
    Conflict,
    LeaseLost,
    PlanChanged,
    RunBusy,
    RunError,
    RunNotFound,
    StoreUnavailable,
    UnknownPlan,
    WrongRunState,
)
from engine.plans.model import Plan
from engine.ports import Clock
from engine.records import Approval, AuditAction, AuditEvent, Decision, Surface
from engine.runner.attempt import StageThreads
from engine.runner.execution import Execution, RunnerSettings, Services, Sleeper, Stopping
from engine.runner.lease import LeaseKeeper
from engine.runner.progress import ProgressHub
from engine.runs import (
    EventKind,
    ProgressEvent,
    Run,
    RunMode,
    RunState,
    StageRecord,
    StageState,
    idempotency_key,
    run_lease_name,
)
from engine.stages import Ports
from engine.store import Store

log = logging.getLogger(__name__)

StageChange = Callable[[Execution], tuple[list[StageRecord], str]]
"""What a retry or skip does to the stage records as the run resumes, and its audit detail."""

_STARTABLE = frozenset({RunState.PROPOSED, RunState.AWAITING_APPROVAL, RunState.RUNNING})
_OUTAGE_FIRST_WAIT = 0.1
_OUTAGE_LONGEST_WAIT = 5.0
"""Seconds between attempts to take a run back after a store outage (doubling)."""
_ABORTABLE = frozenset({RunState.PROPOSED, RunState.AWAITING_APPROVAL, RunState.PAUSED})


class Runner:
    def __init__(
        self,
        store: Store,
        plans: Mapping[str, Plan],
        *,
        clock: Clock,
        sleeper: Sleeper | None = None,
        hub: ProgressHub | None = None,
        ports: Ports | None = None,
        owner: str | None = None,
        settings: RunnerSettings | None = None,
    ) -> None:
        self.owner = owner or f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"
        self.plans = dict(plans)
        self.hub = hub or ProgressHub()
        self._owns_hub = hub is None
        self._stopping = threading.Event()
        settings = settings or RunnerSettings()
        self._services = Services(
            store=store,
            clock=clock,
            sleeper=sleeper or self._sleep,
            hub=self.hub,
            ports=ports or Ports(),
            settings=settings,
            threads=StageThreads(),
            stopping=self._stopping,
        )
        self._pool = ThreadPoolExecutor(settings.max_workers, thread_name_prefix="phoenix-run")
        self._active: set[str] = set()
        self._active_lock = threading.Lock()

    @property
    def store(self) -> Store:
        return self._services.store

    def executing(self) -> frozenset[str]:
        """The runs this runner is executing now (an execution ends after its last event is
        published)."""
        with self._active_lock:
            return frozenset(self._active)

    def _sleep(self, seconds: float) -> None:
        self._stopping.wait(seconds)

    # ------------------------------------------------------------------ creating runs

    def propose(
        self,
        plan_name: str,
        *,
        actor: str,
        surface: Surface,
        mode: RunMode = RunMode.LIVE,
        incident_id: str | None = None,
    ) -> Run:
        plan = self.plans.get(plan_name)
        if plan is None:
            raise UnknownPlan(
                f"no plan named {plan_name!r} (known: {', '.join(sorted(self.plans))})"
            )
        now = self._services.clock.now()
        run = Run(
            run_id=f"{now:%Y%m%d-%H%M%S}-{secrets.token_hex(3)}",
            plan=plan.name,
            plan_version=plan.version,
            stages=tuple(s.name for s in plan.stages),
            roles=plan.roles(),
            mode=mode,
            state=RunState.PROPOSED,
            created_at=now,
            created_by=actor,
            incident_id=incident_id,
        )
        detail = f"plan {plan.name} version {plan.version}, {mode.value}"
        self.store.create_run(
            run,
            audit=[AuditEvent(now, actor, surface, AuditAction.RUN_PROPOSE, run.run_id, detail)],
        )
        return run

    def request_approval(self, run_id: str, *, actor: str, surface: Surface) -> Run:
        """proposed -> awaiting_approval (compare-and-set: a second request fails)."""
        run = self._get(run_id)
        waiting = replace(run, state=RunState.AWAITING_APPROVAL)
        now = self._services.clock.now()
        audit = AuditEvent(now, actor, surface, AuditAction.RUN_REQUEST_APPROVAL, run_id)
        try:
            self.store.update_run(waiting, expect=RunState.PROPOSED, audit=[audit])
        except Conflict:
            state = self._get(run_id).state.value
            raise WrongRunState(f"run {run_id} is {state}, not proposed") from None
        return waiting

    # ------------------------------------------------------------------ executing

    def run_now(self, run_id: str, *, actor: str, surface: Surface) -> Run:
        """Start (or resume) the run and execute it on the calling thread until it rests."""
        return self._drive(self._claim(run_id, _STARTABLE, actor, surface, None, None))

    def start(self, run_id: str, *, actor: str, surface: Surface) -> Future[Run]:
        """Start (or resume) the run on the runner's threads. The caller has checked the
        approvals the run's level needs. ``RunBusy`` if another runner executes it,
        ``PlanChanged`` if its plan changed since it was proposed."""
        return self._submit(self._claim(run_id, _STARTABLE, actor, surface, None, None))

    def retry(self, run_id: str, *, actor: str, surface: Surface, reason: str = "") -> Future[Run]:
        """Resume a paused run; its failed stage runs again with a fresh retry budget.
        ``reason``, when given, is kept in the audit log beside the stage."""

        def reopen(execution: Execution) -> tuple[list[StageRecord], str]:
            failed = execution.failed_stage()
            if failed is None:
                return [], ""
            reopened = replace(
                failed, state=StageState.PENDING, round=failed.round + 1, error="", finished_at=None
            )
            return [reopened], _detail(failed.stage, reason)

        execution = self._claim(
            run_id, {RunState.PAUSED}, actor, surface, AuditAction.RUN_RETRY, reopen
        )
        return self._submit(execution)

    def skip(self, run_id: str, *, actor: str, surface: Surface, reason: str = "") -> Future[Run]:
        """Mark a paused run's failed stage skipped and go on with the next."""

        def skip_failed(execution: Execution) -> tuple[list[StageRecord], str]:
            failed = execution.failed_stage()
            if failed is None:
                raise WrongRunState(f"run {run_id} has no failed stage to skip")
            skipped = replace(
                failed,
                state=StageState.SKIPPED,
                summary=f"skipped by {actor}",
                error="",
                finished_at=self._services.clock.now(),
            )
            return [skipped], _detail(failed.stage, reason)

        execution = self._claim(
            run_id, {RunState.PAUSED}, actor, surface, AuditAction.RUN_SKIP, skip_failed
        )
        return self._submit(execution)

    def abort(self, run_id: str, *, actor: str, surface: Surface, reason: str = "") -> Run:
        """End a run that is not executing (proposed, waiting or paused) for good."""
        keeper, run = self._lease(run_id, _ABORTABLE)
        try:
            now = self._services.clock.now()
            why = reason or f"aborted by {actor}"
            aborted = replace(run, state=RunState.ABORTED, finished_at=now, reason=why)
            finished = ProgressEvent(
                run_id, EventKind.RUN_FINISHED, now, message=why, run_state=RunState.ABORTED
            )
            self._record(
                keeper,
                run=aborted,
                event=finished,
                audit=AuditEvent(now, actor, surface, AuditAction.RUN_ABORT, run_id, why),
            )
            return aborted
        finally:
            keeper.release()
            self._done(run_id)

    def approve_gate(self, run_id: str, stage: str, *, actor: str, surface: Surface) -> Future[Run]:
        """A person confirms the gated stage a run waits on; the run goes on."""
        run = self._get(run_id)
        _check_state(run, {RunState.AWAITING_APPROVAL})
        if stage not in run.stages:
            raise WrongRunState(f"run {run_id} has no stage {stage!r}")
        now = self._services.clock.now()
        approval = Approval(idempotency_key(run_id, stage), actor, Decision.APPROVE, now, surface)
        if self.store.add_approval(approval):
            self.store.append_audit(
                AuditEvent(now, actor, surface, AuditAction.STAGE_APPROVE, run_id, f"stage {stage}")
            )
        return self.start(run_id, actor=actor, surface=surface)

    def resume_orphans(self) -> list[Future[Run]]:
        """Resume every running run whose owner is gone (its lease expired)."""
        futures = []
        for run in self.store.list_runs(states={RunState.RUNNING}, limit=1000):
            if self.store.get_lease(run_lease_name(run.run_id)) is not None:
                continue
            try:
                futures.append(self.start(run.run_id, actor=self.owner, surface=Surface.SYSTEM))
            except RunError as exc:
                log.warning("cannot resume run: %s", exc, extra={"run_id": run.run_id})
        return futures

    def close(self, timeout: float = 10.0) -> None:
        """Stop: executions give their leases up at the next stage boundary (another replica
        resumes them), stage threads get ``timeout`` seconds to end."""
        self._stopping.set()
        self._pool.shutdown(wait=True)
        left = self._services.threads.join(timeout)
        if left:
            log.warning("stage threads still running at close: %s", ", ".join(left))
        if self._owns_hub:
            self.hub.close(timeout)

    # ------------------------------------------------------------------ internals

    def _get(self, run_id: str) -> Run:
        run = self.store.get_run(run_id)
        if run is None:
            raise RunNotFound(f"no run {run_id}")
        return run

    def _lease(self, run_id: str, allowed: Collection[RunState]) -> tuple[LeaseKeeper, Run]:
        """Take the run's lease for this runner; the run as it is once the lease is held."""
        with self._active_lock:
            if run_id in self._active:
                raise RunBusy(f"run {run_id} is being executed by this runner already")
            self._active.add(run_id)
        try:
            _check_state(self._get(run_id), allowed)
            ttl = self._services.settings.lease_ttl
            lease = self.store.acquire_lease(run_lease_name(run_id), self.owner, ttl)
            if lease is None:
                holder = self.store.get_lease(run_lease_name(run_id))
                by = f" by {holder.owner}" if holder else ""
                raise RunBusy(f"run {run_id} is being executed{by}")
            keeper = LeaseKeeper(self.store, lease, ttl, self._services.clock)
            try:
                # Read again under the lease: another runner may have moved the run on.
                run = self._get(run_id)
                _check_state(run, allowed)
            except Exception:
                keeper.release()
                raise
            return keeper, run
        except Exception:
            self._done(run_id)
            raise

    def _claim(
        self,
        run_id: str,
        allowed: Collection[RunState],
        actor: str,
        surface: Surface,
        action: AuditAction | None,
        change: StageChange | None,
    ) -> Execution:
        """Take the lease, refuse a changed plan, and record the move to running with who
        asked (``action`` None: a start, or a resume of a running run)."""
        keeper, run = self._lease(run_id, allowed)
        if action is None:
            action = (
                AuditAction.RUN_RESUME if run.state is RunState.RUNNING else AuditAction.RUN_START
            )
        try:
            plan = self.plans.get(run.plan)
            if plan is None or plan.version != run.plan_version:
                self._refuse_changed(keeper, run, plan, actor, surface)
            if not run.roles:
                # Created by a version whose stages declared no roles: the same stages (the
                # version matched) are measured by the roles their plan declares now.
                run = replace(run, roles=plan.roles())
            execution = Execution(self._services, keeper, run, plan)
            stages, detail = change(execution) if change else ([], "")
            events = [
                execution.event(EventKind.STAGE_SKIPPED, stage=r.stage, message=r.summary, by=actor)
                for r in stages
                if r.state is StageState.SKIPPED
            ]
            execution.begin(
                actor=actor,
                surface=surface,
                action=action,
                detail=detail,
                stages=stages,
                events=events,
            )
        except Exception:
            keeper.release()
            self._done(run_id)
            raise
        return execution

    def _record(
        self, keeper: LeaseKeeper, *, run: Run, event: ProgressEvent, audit: AuditEvent
    ) -> None:
        """A fenced write of a run nobody executes, its event delivered to subscribers."""
        for stored in self.store.record(keeper.lease, run=run, events=[event], audit=[audit]):
            self.hub.publish(stored)

    def _refuse_changed(
        self, keeper: LeaseKeeper, run: Run, plan: Plan | None, actor: str, surface: Surface
    ) -> NoReturn:
        now_version = plan.version if plan else "gone"
        reason = (
            f"plan {run.plan!r} changed since run {run.run_id} started (version "
            f"{run.plan_version}, now {now_version}): resuming it is refused. Abort the run "
            "and start a new one, or restore the plan and retry."
        )
        now = self._services.clock.now()
        self._record(
            keeper,
            run=replace(run, state=RunState.PAUSED, reason=reason),
            event=ProgressEvent(
                run.run_id, EventKind.RUN_PAUSED, now, message=reason, run_state=RunState.PAUSED
            ),
            audit=AuditEvent(now, actor, surface, AuditAction.RUN_REFUSED, run.run_id, reason),
        )
        raise PlanChanged(reason)

    def _submit(self, execution: Execution) -> Future[Run]:
        if not self._services.settings.executes:
            return self._hand_over(execution)
        try:
            future = self._pool.submit(self._drive, execution)
        except RuntimeError:
            execution.keeper.release()
            self._done(execution.run.run_id)
            raise RunBusy("the runner is shutting down") from None
        future.add_done_callback(_log_failure(execution.run.run_id))
        return future

    def _hand_over(self, execution: Execution) -> Future[Run]:
        """Give the lease up with the run running: the next sweep of a replica takes it."""
        execution.keeper.release()
        self._done(execution.run.run_id)
        handed: Future[Run] = Future()
        handed.set_result(execution.run)
        log.info("run handed over to the bot's replicas", extra={"run_id": execution.run.run_id})
        return handed

    def _drive(self, execution: Execution) -> Run:
        """Execute until the run rests. A store outage does not end it: the runner waits for
        the store to answer, then takes the run back through the resume path (a new lease and
        token; finished stages skipped, the interrupted one re-run, which is safe because
        stages are idempotent). Retrying the failed write instead would not be safe: a write
        whose answer was lost may have been applied."""
        while True:
            try:
                return self._drive_once(execution)
            except StoreUnavailable as exc:
                log.warning(
                    "store unavailable mid-run: waiting to resume (%s)",
                    exc,
                    extra={"run_id": execution.run.run_id},
                )
                resumed = self._reclaim_after_outage(execution.run.run_id)
                if resumed is None:
                    raise
                execution = resumed

    def _reclaim_after_outage(self, run_id: str) -> Execution | None:
        """The run claimed again once the store answers; None if this runner is stopping or
        the run moved on without it (another replica took it, or it is over)."""
        delay = _OUTAGE_FIRST_WAIT
        while not self._stopping.is_set():
            self._services.sleeper(delay)
            delay = min(delay * 2, _OUTAGE_LONGEST_WAIT)
            try:
                return self._claim(run_id, _STARTABLE, self.owner, Surface.SYSTEM, None, None)
            except StoreUnavailable:
                continue
            except (RunBusy, WrongRunState) as exc:
                log.info("not resuming after the outage: %s", exc, extra={"run_id": run_id})
                return None
        return None

    def _drive_once(self, execution: Execution) -> Run:
        run_id = execution.run.run_id
        try:
            run = execution.drive()
        except LeaseLost:
            log.warning("lease lost: another runner owns the run now", extra={"run_id": run_id})
            raise
        except Stopping:
            execution.keeper.release()
            return execution.run
        except Exception:
            execution.keeper.release()
            raise
        else:
            execution.keeper.release()
            return run
        finally:
            self._done(run_id)

    def _done(self, run_id: str) -> None:
        with self._active_lock:
            self._active.discard(run_id)


def _detail(stage: str, reason: str) -> str:
    return f"stage {stage}: {reason}" if reason else f"stage {stage}"


def _check_state(run: Run, allowed: Collection[RunState]) -> None:
    if run.state in allowed:
        return
    if run.state is RunState.PAUSED:
        hint = ": retry, skip or abort it"
    elif run.state.terminal:
        hint = ": it is over"
    else:
        hint = ""
    raise WrongRunState(f"run {run.run_id} is {run.state.value}{hint}")


def _log_failure(run_id: str) -> Callable[[Future[Run]], None]:
    def log_it(future: Future[Run]) -> None:
        exc = future.exception()
        if exc is not None and not isinstance(exc, LeaseLost):
            log.error("run execution failed", exc_info=exc, extra={"run_id": run_id})

    return log_it
