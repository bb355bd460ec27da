"""When continuous object sync must hold off a pair, judged from the runs in the Store.

Two reasons, each said in a sentence an operator can act on:

- A run that syncs the pair is under way (running, or paused on a failed stage): the run's own
  sync owns the pair until it ends. A plan "syncs the pair" when one of its ``object_sync``
  stages names the bucket or the container, at either end.
- The DR side may be serving. Once a live run that syncs S3 -> Blob has begun to cut over (a
  stage of role cut-over started; in a plan without one, any stage after that sync), the DR
  side may take writes, and a pass from S3 would overwrite them with older copies (or, under
  ``mirror``, delete them). Continuous sync waits until a later live run that syncs
  Blob -> S3 (the failback) has succeeded.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from engine.plans.model import Plan
from engine.runs import Run, RunMode, RunState, StageRole, StageState
from engine.stages.objects import ObjectSyncParams, location
from engine.store import RunStore

_UNDER_WAY = frozenset({RunState.RUNNING, RunState.PAUSED})
_RECENT = 50


@dataclass(frozen=True)
class WarmedPair:
    bucket: str
    container: str

    def hold(self, runs: RunStore, plans: Mapping[str, Plan]) -> str:
        """Why continuous sync of this pair must not run now; empty when it may."""
        recent = runs.list_runs(limit=_RECENT)
        for run in recent:
            if run.state in _UNDER_WAY and self._syncs(run, plans):
                return (
                    f"run {run.run_id} ({run.plan}, {run.state.value}) syncs "
                    f"s3://{self.bucket} or blob://{self.container}"
                )
        for run in recent:
            if run.mode is not RunMode.LIVE:
                continue
            plan = plans.get(run.plan)
            if plan is None:
                continue
            if run.state is RunState.SUCCEEDED and self._stages(plan, back=True):
                return ""
            if self._cut_over(run, plan, runs):
                return (
                    f"the DR side may be serving since run {run.run_id} ({run.plan}) began to "
                    "cut over; continuous sync resumes once a failback succeeds"
                )
        return ""

    def _syncs(self, run: Run, plans: Mapping[str, Plan]) -> bool:
        plan = plans.get(run.plan)
        # A run of a plan no longer in the book cannot be judged: assume it syncs the pair.
        if plan is None:
            return True
        ours = {("s3", self.bucket), ("blob", self.container)}
        return any(ours & set(ends) for _, ends in _object_syncs(plan))

    def _cut_over(self, run: Run, plan: Plan, runs: RunStore) -> bool:
        forward = self._stages(plan, back=False)
        if not forward:
            return False
        names = [stage.name for stage in plan.stages]
        cut_over = {s.name for s in plan.stages if s.role is StageRole.CUT_OVER}
        later = cut_over or set(names[max(names.index(name) for name in forward) + 1 :])
        return any(
            record.stage in later and record.state is not StageState.PENDING
            for record in runs.get_stages(run.run_id)
        )

    def _stages(self, plan: Plan, back: bool) -> list[str]:
        """The plan's object_sync stages from this pair's bucket to its container (or, with
        ``back``, from the container to the bucket)."""
        s3, blob = ("s3", self.bucket), ("blob", self.container)
        wanted = (blob, s3) if back else (s3, blob)
        return [name for name, ends in _object_syncs(plan) if ends == wanted]


Place = tuple[str, str]


def _object_syncs(plan: Plan) -> list[tuple[str, tuple[Place, Place]]]:
    """Each object_sync stage of the plan: its name, and (kind, name) of its two ends."""
    found: list[tuple[str, tuple[Place, Place]]] = []
    for stage in plan.stages:
        if isinstance(stage.params, ObjectSyncParams):
            source, target = location(stage.params.source), location(stage.params.destination)
            found.append((stage.name, ((source[0], source[1]), (target[0], target[1]))))
    return found
