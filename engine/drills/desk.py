"""The drill desk: what the scheduler and the Slack surfaces do with drills, on the Store.

What happened to each occurrence is kept as ``DrillNote``s in the audit log (subject
``drill:<name>``), beside the audit events of who did it; ``engine.drills.schedule`` folds them
into the current occurrence, ``engine.drills.duties`` says what is due about it. Every effect
is claimed once in the Store (a start, a postpone of one announced time), so a leader change,
a Slack retry or a double click never starts or postpones twice.

An announcement is claimed the way an evaluation slot is: under the leader lease's token, then
checked against the notes. Within one leadership term the claim makes it once (however many
duty checks overlap); across terms the note is the record, so a new leader neither repeats an
announcement its predecessor noted nor loses one its predecessor claimed and died before
noting. Because the notes are in the Store, a postponed drill's announcements at its new time
are made by whichever replica leads then.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Literal

from pydantic import ValidationError

from engine.config import Drill, PhoenixConfig
from engine.drills.duties import Announce, Duty, duties
from engine.drills.history import HISTORY, drill_reports, subject
from engine.drills.history import drill_of as recorded_drill_of
from engine.drills.report import DrillReport, measure
from engine.drills.schedule import (
    POSTPONES,
    DrillNote,
    NoteKind,
    Occurrence,
    current_occurrence,
)
from engine.errors import RunError
from engine.incidents.authority import Act, Authority, refused_action
from engine.ports import Clock
from engine.records import BOT, AuditAction, AuditEvent, Surface
from engine.runner.runner import Runner
from engine.runs import Run, RunMode

log = logging.getLogger(__name__)

_CLAIM_TTL = timedelta(days=8)
Verb = Literal["run", "postpone", "skip"]
_ACTS: dict[Verb, Act] = {
    "run": Act.DRILL_RUN,
    "postpone": Act.DRILL_POSTPONE,
    "skip": Act.DRILL_SKIP,
}


@dataclass(frozen=True)
class DrillOutcome:
    """What a drill click or command did: allowed or not, and the drill and occurrence after it."""

    allowed: bool
    explanation: str
    """Why it was refused; empty when allowed (the surfaces say what was done, and who did it,
    in their own words)."""
    drill: Drill | None = None
    occurrence: Occurrence | None = None
    run: Run | None = None
    by: str | None = None
    """The person a refusal's explanation names, who did it first (a user id): the surfaces
    end the sentence with them, their way."""


@dataclass(frozen=True)
class AgendaItem:
    drill: Drill
    occurrence: Occurrence
    last: DrillReport | None


def announcement_claim(
    environment: str, occurrence: Occurrence, offsets: tuple[float, ...], term: int
) -> str:
    """The Store claim of one announcement of ``occurrence`` (at its current due time) by the
    leader of lease token ``term``."""
    spelled = ",".join(f"{o:g}" for o in offsets)
    return (
        f"drill:{environment}:{occurrence.key}:announce:"
        f"{occurrence.due:%Y%m%dT%H%MZ}:{spelled}:{term}"
    )


class DrillDesk:
    def __init__(
        self,
        runner: Runner,
        config: PhoenixConfig,
        *,
        clock: Clock,
        authority: Authority,
    ) -> None:
        self.runner = runner
        self.store = runner.store
        self.config = config
        self.clock = clock
        self._authority = authority
        self.drills = {d.name: d for d in config.drills}
        self.on_start: Callable[[str, Run], None] | None = None
        """Called with the drill's name and its run just before the run starts (the bot
        opens the drill's thread there)."""

    # ------------------------------------------------------------------ reading

    def notes(self, name: str) -> list[DrillNote]:
        found = []
        for event in self.store.list_audit(subject=subject(name), limit=HISTORY):
            if event.action in NoteKind.__members__.values():
                try:
                    note = DrillNote.model_validate_json(event.detail)
                except ValidationError:
                    log.warning("unreadable drill note", extra={"drill": name, "seq": event.seq})
                    continue
                found.append(note.model_copy(update={"at": event.at}))
        return found

    def occurrence(self, name: str, now: datetime | None = None) -> Occurrence:
        drill = self.drills[name]
        return current_occurrence(drill, self.notes(name), now or self.clock.now())

    def due(self, now: datetime | None = None) -> list[tuple[Drill, Duty]]:
        now = now or self.clock.now()
        found: list[tuple[Drill, Duty]] = []
        for drill in self.drills.values():
            occurrence = current_occurrence(drill, self.notes(drill.name), now)
            found += [(drill, duty) for duty in duties(drill, occurrence, now)]
        return found

    def agenda(self) -> list[AgendaItem]:
        now = self.clock.now()
        return [
            AgendaItem(
                drill,
                current_occurrence(drill, self.notes(drill.name), now),
                next(iter(self.reports(drill.name, limit=1)), None),
            )
            for drill in self.drills.values()
        ]

    def reports(self, name: str, limit: int = 20) -> list[DrillReport]:
        """The drill's reports, newest first."""
        return drill_reports(self.store, name, limit)

    def last_success(self, name: str, *, searched: int = 100) -> DrillReport | None:
        """The newest report of the drill that passed, among its latest ``searched``."""
        return next((r for r in self.reports(name, limit=searched) if r.passed), None)

    def last_report(self) -> DrillReport | None:
        reports = [r for name in self.drills for r in self.reports(name, limit=1)]
        return max(
            reports, key=lambda r: r.finished_at or r.started_at or self.clock.now(), default=None
        )

    def drill_of(self, run_id: str) -> str | None:
        return recorded_drill_of(self.store, run_id)

    # ------------------------------------------------------------------ the scheduler's duties

    def announce(
        self, drill: Drill, occurrence: Occurrence, offsets: tuple[float, ...], term: int
    ) -> Occurrence | None:
        """Claim and note the announcement of ``offsets`` before ``occurrence``'s due time;
        the occurrence as announced for the one caller that must post it, else None.

        ``term`` is the leader lease's token: the claim belongs to one leadership term, and the
        notes (read again after claiming) say whether an earlier term announced it already."""
        key = announcement_claim(self.config.environment, occurrence, offsets, term)
        if not self.store.claim(key, _CLAIM_TTL):
            return None
        now = self.clock.now()
        fresh = current_occurrence(drill, self.notes(drill.name), now)
        still = [d for d in duties(drill, fresh, now) if isinstance(d, Announce)]
        if (
            fresh.key != occurrence.key
            or fresh.due != occurrence.due
            or not still
            or still[0].offsets != offsets
        ):
            return None
        note = DrillNote(
            kind=NoteKind.ANNOUNCED,
            occurrence=occurrence.scheduled,
            due=occurrence.due,
            by=BOT,
            offsets=offsets,
            at=now,
        )
        self._note(drill.name, note, Surface.SCHEDULER)
        return replace(
            fresh,
            announced=fresh.announced | set(offsets),
            announcements=(*fresh.announcements, note),
        )

    def miss(self, drill: Drill, occurrence: Occurrence) -> bool:
        if not self.store.claim(f"drill:{occurrence.key}:start", _CLAIM_TTL):
            return False
        self._note(
            drill.name,
            DrillNote(
                kind=NoteKind.MISSED,
                occurrence=occurrence.scheduled,
                due=occurrence.due,
                by=BOT,
            ),
            Surface.SCHEDULER,
        )
        log.warning("drill missed: no replica ran it in time", extra={"drill": drill.name})
        return True

    def start_scheduled(self, drill: Drill, occurrence: Occurrence) -> Run | None:
        """Create the drill's run for ``occurrence`` once; None if another replica did."""
        if not self.store.claim(f"drill:{occurrence.key}:start", _CLAIM_TTL):
            return None
        run = self._propose(drill, BOT, Surface.SCHEDULER)
        self._note(
            drill.name,
            DrillNote(
                kind=NoteKind.STARTED,
                occurrence=occurrence.scheduled,
                due=occurrence.due,
                by=BOT,
                run_id=run.run_id,
            ),
            Surface.SCHEDULER,
        )
        return run

    def launch(
        self, name: str, run: Run, *, actor: str = BOT, surface: Surface = Surface.SCHEDULER
    ) -> None:
        """Open the drill's thread and start its run on the runner's threads."""
        if self.on_start is not None:
            self.on_start(name, run)
        try:
            self.runner.start(run.run_id, actor=actor, surface=surface)
        except RunError as exc:
            log.warning("drill run did not start: %s", exc, extra={"run_id": run.run_id})

    def _propose(self, drill: Drill, actor: str, surface: Surface) -> Run:
        mode = RunMode.DRY_RUN if drill.mode == "dry-run" else RunMode.REHEARSAL
        run = self.runner.propose(drill.plan, actor=actor, surface=surface, mode=mode)
        self._audit(actor, surface, AuditAction.DRILL_RUN, run.run_id, drill.name)
        return run

    # ------------------------------------------------------------------ people

    def run_now(self, name: str, user: str, surface: Surface = Surface.SLACK) -> DrillOutcome:
        """``/phoenix drill run <name>``: an extra run of the drill now (approvers only); the
        schedule is left as it is."""
        drill = self.drills.get(name)
        refused = self._refuse_unless_allowed(user, surface, "run", name, drill)
        if refused is not None:
            return refused
        assert drill is not None
        if not self.store.claim(f"drill-run:{name}:{self.clock.now():%Y%m%dT%H%M}", _CLAIM_TTL):
            return self._refused(user, surface, "run", name, "This drill was started a moment ago.")
        run = self._propose(drill, user, surface)
        self.launch(name, run, actor=user, surface=surface)
        return DrillOutcome(True, "", drill, None, run)

    def postpone(
        self,
        name: str,
        scheduled: datetime,
        seen_due: datetime,
        by: str,
        user: str,
        surface: Surface = Surface.SLACK,
    ) -> DrillOutcome:
        """Postpone the occurrence shown with due time ``seen_due`` by ``by`` (``1h``/``1d``).
        The first click on that announcement counts; a second one changes nothing."""
        drill = self.drills.get(name)
        refused = self._refuse_unless_allowed(user, surface, "postpone", name, drill)
        if refused is not None:
            return refused
        assert drill is not None
        delta = POSTPONES.get(by)
        if delta is None:
            return self._refused(user, surface, "postpone", name, f"Cannot postpone by {by!r}.")
        occurrence = self.occurrence(name)
        stale = self._stale(user, surface, "postpone", drill, occurrence, scheduled)
        if stale is not None:
            return stale
        if occurrence.due != seen_due or not self.store.claim(
            f"drill-postpone:{occurrence.key}:{seen_due.isoformat()}", _CLAIM_TTL
        ):
            return self._refused(
                user,
                surface,
                "postpone",
                name,
                f"This drill was postponed already; it is now due {occurrence.due:%Y-%m-%d %H:%M} "
                "UTC.",
                drill,
                occurrence,
            )
        new_due = occurrence.due + delta
        self._note(
            name,
            DrillNote(
                kind=NoteKind.POSTPONED, occurrence=occurrence.scheduled, due=new_due, by=user
            ),
            surface,
        )
        return DrillOutcome(True, "", drill, self.occurrence(name))

    def skip(
        self, name: str, scheduled: datetime | None, user: str, surface: Surface = Surface.SLACK
    ) -> DrillOutcome:
        """Skip the current occurrence (``scheduled`` None: whichever is current)."""
        drill = self.drills.get(name)
        refused = self._refuse_unless_allowed(user, surface, "skip", name, drill)
        if refused is not None:
            return refused
        assert drill is not None
        occurrence = self.occurrence(name)
        stale = self._stale(
            user, surface, "skip", drill, occurrence, scheduled or occurrence.scheduled
        )
        if stale is not None:
            return stale
        if not self.store.claim(f"drill:{occurrence.key}:start", _CLAIM_TTL):
            return self._refused(
                user, surface, "skip", name, "This drill has started already.", drill, occurrence
            )
        self._note(
            name,
            DrillNote(
                kind=NoteKind.SKIPPED, occurrence=occurrence.scheduled, due=occurrence.due, by=user
            ),
            surface,
        )
        return DrillOutcome(True, "", drill, replace(occurrence, skipped_by=user))

    def _stale(
        self,
        user: str,
        surface: Surface,
        verb: Verb,
        drill: Drill,
        occurrence: Occurrence,
        scheduled: datetime,
    ) -> DrillOutcome | None:
        """The refusal of a click on an occurrence that is over, started or skipped."""
        by = None
        if occurrence.scheduled != scheduled:
            problem = "That drill announcement is out of date: the drill it announced is over."
        elif occurrence.run_id is not None:
            problem = "This drill has started already."
        elif occurrence.skipped_by is not None:
            problem, by = "This drill was skipped already", occurrence.skipped_by
        else:
            return None
        return self._refused(user, surface, verb, drill.name, problem, drill, occurrence, by)

    def _refuse_unless_allowed(
        self, user: str, surface: Surface, verb: Verb, name: str, drill: Drill | None
    ) -> DrillOutcome | None:
        if drill is None:
            known = ", ".join(sorted(self.drills)) or "none configured"
            return self._refused(
                user, surface, verb, name, f"No drill named {name!r} (drills: {known})."
            )
        permission = self._authority.may(_ACTS[verb], user)
        if not permission.allowed:
            return self._refused(user, surface, verb, name, permission.reason, drill)
        return None

    def _refused(
        self,
        user: str,
        surface: Surface,
        verb: Verb,
        name: str,
        explanation: str,
        drill: Drill | None = None,
        occurrence: Occurrence | None = None,
        by: str | None = None,
    ) -> DrillOutcome:
        said = f"{explanation} by {by}" if by else explanation
        self._audit(user, surface, refused_action(_ACTS[verb]), subject(name), said)
        return DrillOutcome(False, explanation, drill, occurrence, by=by)

    # ------------------------------------------------------------------ reports

    def report(self, run_id: str) -> DrillReport | None:
        """The report of a finished drill run; stored once, the first time it is asked for."""
        name = self.drill_of(run_id)
        run = self.store.get_run(run_id)
        if name is None or run is None or not run.state.terminal:
            return None
        earlier = list(reversed(self.reports(name)))
        for report in earlier:
            if report.run_id == run_id:
                return report
        report = measure(name, run, self.store.get_stages(run_id), self.config.objectives, earlier)
        if self.store.claim(f"drill-report:{run_id}", _CLAIM_TTL):
            self._audit(
                BOT,
                Surface.SYSTEM,
                AuditAction.DRILL_REPORT,
                subject(name),
                report.model_dump_json(),
            )
        return report

    # ------------------------------------------------------------------ audit

    def _note(self, name: str, note: DrillNote, surface: Surface) -> None:
        self._audit(note.by or BOT, surface, note.kind, subject(name), note.model_dump_json())

    def _audit(
        self,
        actor: str,
        surface: Surface,
        action: AuditAction | NoteKind,
        subject_: str,
        detail: str = "",
    ) -> None:
        self.store.append_audit(
            AuditEvent(self.clock.now(), actor, surface, action, subject_, detail)
        )
