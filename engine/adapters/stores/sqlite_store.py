"""The embedded ``Store``: one SQLite file in WAL mode.

One connection per store object, serialised by a lock, so the object is safe to share between
threads; every read-modify-write runs in ``BEGIN IMMEDIATE``, so several processes (or store
objects) on one file stay correct too. Times that expire are kept as integer microseconds.
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
from collections.abc import Collection, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from engine.adapters.stores.codec import dump, from_micros, load, micros, ttl_micros
from engine.adapters.stores.object_sync import check_object_sync_write
from engine.errors import Conflict, LeaseLost, StoreNotCreated, StoreUnavailable
from engine.ports import Clock
from engine.readiness import ReadinessSweep
from engine.records import Approval, AuditEvent, Incident, Lease, ScoreSample, Silence
from engine.runs import ProgressEvent, Run, RunState, StageRecord, run_lease_name
from engine.sync_records import ObjectSyncPass, ObjectSyncState

_SCHEMA = """
CREATE TABLE IF NOT EXISTS leases (
    name TEXT PRIMARY KEY, owner TEXT NOT NULL, token INTEGER NOT NULL,
    expires_us INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS runs (
    run_id TEXT PRIMARY KEY, state TEXT NOT NULL, created_us INTEGER NOT NULL, body TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS runs_by_created ON runs (created_us);
CREATE TABLE IF NOT EXISTS stages (
    run_id TEXT NOT NULL, stage TEXT NOT NULL, body TEXT NOT NULL, PRIMARY KEY (run_id, stage));
CREATE TABLE IF NOT EXISTS events (
    run_id TEXT NOT NULL, seq INTEGER NOT NULL, body TEXT NOT NULL, PRIMARY KEY (run_id, seq));
CREATE TABLE IF NOT EXISTS audit (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, subject TEXT NOT NULL, body TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS audit_by_subject ON audit (subject, seq);
CREATE TABLE IF NOT EXISTS approvals (
    n INTEGER PRIMARY KEY AUTOINCREMENT, subject TEXT NOT NULL, user TEXT NOT NULL,
    decision TEXT NOT NULL, body TEXT NOT NULL, UNIQUE (subject, user, decision));
CREATE TABLE IF NOT EXISTS dedupe (key TEXT PRIMARY KEY, expires_us INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS dedupe_by_expiry ON dedupe (expires_us);
CREATE TABLE IF NOT EXISTS incidents (
    incident_id TEXT PRIMARY KEY, status TEXT NOT NULL, opened_us INTEGER NOT NULL,
    body TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS silences (
    silence_id TEXT PRIMARY KEY, created_us INTEGER NOT NULL, until_us INTEGER NOT NULL,
    body TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS scores (seq INTEGER PRIMARY KEY AUTOINCREMENT, body TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS object_sync (pair TEXT PRIMARY KEY, body TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS object_sync_passes (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, pair TEXT NOT NULL, body TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS object_sync_passes_by_pair ON object_sync_passes (pair, seq);
CREATE TABLE IF NOT EXISTS readiness (
    slot INTEGER PRIMARY KEY CHECK (slot = 0), body TEXT NOT NULL);
"""


class SqliteStore:
    def __init__(self, path: str | Path, *, clock: Clock, create: bool = True) -> None:
        self._path = str(path)
        self._clock = clock
        self._lock = threading.RLock()
        if not create and self._path != ":memory:" and not Path(self._path).exists():
            raise StoreNotCreated(f"no SQLite store at {self._path}: nothing was recorded yet")
        try:
            self._db = sqlite3.connect(
                self._path, timeout=5.0, isolation_level=None, check_same_thread=False
            )
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.executescript(_SCHEMA)
        except sqlite3.Error as exc:
            raise StoreUnavailable(f"cannot open the SQLite store at {self._path}: {exc}") from exc

    # ------------------------------------------------------------------ plumbing

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            try:
                self._db.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as exc:
                raise self._unavailable(exc) from exc
            try:
                yield self._db
            except BaseException as exc:
                self._rollback()
                if isinstance(exc, sqlite3.IntegrityError):
                    raise Conflict(str(exc)) from exc
                if isinstance(exc, sqlite3.Error):
                    raise self._unavailable(exc) from exc
                raise
            try:
                self._db.execute("COMMIT")
            except sqlite3.Error as exc:
                self._rollback()
                raise self._unavailable(exc) from exc

    def _rollback(self) -> None:
        # A failed ROLLBACK means the transaction is gone already; the original error stands.
        with contextlib.suppress(sqlite3.Error):
            self._db.execute("ROLLBACK")

    def _read(self, sql: str, args: Sequence[Any] = ()) -> list[Any]:
        with self._lock:
            try:
                return self._db.execute(sql, tuple(args)).fetchall()
            except sqlite3.Error as exc:
                raise self._unavailable(exc) from exc

    def _unavailable(self, exc: sqlite3.Error) -> StoreUnavailable:
        return StoreUnavailable(f"SQLite store at {self._path}: {exc}")

    def _now_us(self) -> int:
        return micros(self._clock.now())

    def ping(self) -> None:
        self._read("SELECT 1")

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # ------------------------------------------------------------------ leases

    def acquire_lease(self, name: str, owner: str, ttl: timedelta) -> Lease | None:
        now = self._now_us()
        expires = now + ttl_micros(ttl)
        with self._write() as db:
            row = db.execute(
                "SELECT owner, token, expires_us FROM leases WHERE name = ?", (name,)
            ).fetchone()
            if row is None:
                token = 1
                db.execute("INSERT INTO leases VALUES (?, ?, ?, ?)", (name, owner, token, expires))
            elif row[2] > now and row[0] != owner:
                return None
            else:
                token = row[1] if row[2] > now else row[1] + 1
                db.execute(
                    "UPDATE leases SET owner = ?, token = ?, expires_us = ? WHERE name = ?",
                    (owner, token, expires, name),
                )
        return Lease(name, owner, token, from_micros(expires))

    def renew_lease(self, lease: Lease, ttl: timedelta) -> Lease:
        now = self._now_us()
        expires = now + ttl_micros(ttl)
        with self._write() as db:
            self._check_held(db, lease, now)
            db.execute("UPDATE leases SET expires_us = ? WHERE name = ?", (expires, lease.name))
        return replace(lease, expires_at=from_micros(expires))

    def release_lease(self, lease: Lease) -> bool:
        with self._write() as db:
            cur = db.execute(
                "UPDATE leases SET owner = '', expires_us = 0 "
                "WHERE name = ? AND owner = ? AND token = ?",
                (lease.name, lease.owner, lease.token),
            )
            return cur.rowcount == 1

    def get_lease(self, name: str) -> Lease | None:
        rows = self._read(
            "SELECT owner, token, expires_us FROM leases WHERE name = ? AND expires_us > ?",
            (name, self._now_us()),
        )
        return Lease(name, rows[0][0], rows[0][1], from_micros(rows[0][2])) if rows else None

    @staticmethod
    def _check_held(db: sqlite3.Connection, lease: Lease, now: int) -> None:
        row = db.execute(
            "SELECT owner, token, expires_us FROM leases WHERE name = ?", (lease.name,)
        ).fetchone()
        if row is None or (row[0], row[1]) != (lease.owner, lease.token):
            raise LeaseLost(f"lease {lease.name} token {lease.token} is no longer held")
        if row[2] <= now:
            raise LeaseLost(f"lease {lease.name} token {lease.token} has expired")

    # ------------------------------------------------------------------ runs

    def create_run(self, run: Run, audit: Sequence[AuditEvent] = ()) -> None:
        with self._write() as db:
            db.execute(
                "INSERT INTO runs VALUES (?, ?, ?, ?)",
                (run.run_id, run.state.value, micros(run.created_at), dump(run)),
            )
            self._insert_audit(db, audit)

    def update_run(self, run: Run, *, expect: RunState, audit: Sequence[AuditEvent] = ()) -> None:
        with self._write() as db:
            cur = db.execute(
                "UPDATE runs SET state = ?, body = ? WHERE run_id = ? AND state = ?",
                (run.state.value, dump(run), run.run_id, expect.value),
            )
            if cur.rowcount != 1:
                raise Conflict(f"run {run.run_id} is not {expect.value}")
            self._insert_audit(db, audit)

    def record(
        self,
        lease: Lease,
        *,
        run: Run | None = None,
        stages: Sequence[StageRecord] = (),
        events: Sequence[ProgressEvent] = (),
        audit: Sequence[AuditEvent] = (),
    ) -> list[ProgressEvent]:
        for item in (run, *stages, *events):
            if item is not None and run_lease_name(item.run_id) != lease.name:
                raise LeaseLost(f"lease {lease.name} does not cover run {item.run_id}")
        now = self._now_us()
        stored: list[ProgressEvent] = []
        with self._write() as db:
            self._check_held(db, lease, now)
            if run is not None:
                cur = db.execute(
                    "UPDATE runs SET state = ?, body = ? WHERE run_id = ?",
                    (run.state.value, dump(run), run.run_id),
                )
                if cur.rowcount != 1:
                    raise Conflict(f"no run {run.run_id} to update")
            for stage in stages:
                db.execute(
                    "INSERT OR REPLACE INTO stages VALUES (?, ?, ?)",
                    (stage.run_id, stage.stage, dump(replace(stage, token=lease.token))),
                )
            if events:
                run_id = events[0].run_id
                (last,) = db.execute(
                    "SELECT COALESCE(MAX(seq), 0) FROM events WHERE run_id = ?", (run_id,)
                ).fetchone()
                for offset, event in enumerate(events, start=1):
                    numbered = replace(event, seq=last + offset)
                    db.execute(
                        "INSERT INTO events VALUES (?, ?, ?)",
                        (run_id, numbered.seq, dump(numbered)),
                    )
                    stored.append(numbered)
            self._insert_audit(db, audit)
        return stored

    def get_run(self, run_id: str) -> Run | None:
        rows = self._read("SELECT body FROM runs WHERE run_id = ?", (run_id,))
        return load(Run, rows[0][0]) if rows else None

    def list_runs(
        self, *, states: Collection[RunState] | None = None, limit: int = 50
    ) -> list[Run]:
        if states is None:
            sql, args = "SELECT body FROM runs", []
        else:
            marks = ", ".join("?" for _ in states)
            sql, args = f"SELECT body FROM runs WHERE state IN ({marks})", [s.value for s in states]  # noqa: S608 - placeholders only
        rows = self._read(sql + " ORDER BY created_us DESC, rowid DESC LIMIT ?", [*args, limit])
        return [load(Run, row[0]) for row in rows]

    def get_stages(self, run_id: str) -> list[StageRecord]:
        rows = self._read("SELECT body FROM stages WHERE run_id = ?", (run_id,))
        return [load(StageRecord, row[0]) for row in rows]

    def list_events(self, run_id: str, *, after: int = 0) -> list[ProgressEvent]:
        rows = self._read(
            "SELECT body FROM events WHERE run_id = ? AND seq > ? ORDER BY seq", (run_id, after)
        )
        return [load(ProgressEvent, row[0]) for row in rows]

    # ------------------------------------------------------------------ audit, approvals

    @staticmethod
    def _insert_audit(db: sqlite3.Connection, audit: Sequence[AuditEvent]) -> list[AuditEvent]:
        stored = []
        for event in audit:
            cur = db.execute(
                "INSERT INTO audit (subject, body) VALUES (?, ?)", (event.subject, dump(event))
            )
            stored.append(replace(event, seq=cur.lastrowid or 0))
        return stored

    def append_audit(self, event: AuditEvent) -> AuditEvent:
        with self._write() as db:
            return self._insert_audit(db, [event])[0]

    def list_audit(self, *, subject: str | None = None, limit: int = 100) -> list[AuditEvent]:
        if subject is None:
            rows = self._read("SELECT seq, body FROM audit ORDER BY seq DESC LIMIT ?", (limit,))
        else:
            rows = self._read(
                "SELECT seq, body FROM audit WHERE subject = ? ORDER BY seq DESC LIMIT ?",
                (subject, limit),
            )
        return [replace(load(AuditEvent, body), seq=seq) for seq, body in reversed(rows)]

    def add_approval(self, approval: Approval) -> bool:
        with self._write() as db:
            cur = db.execute(
                "INSERT OR IGNORE INTO approvals (subject, user, decision, body) "
                "VALUES (?, ?, ?, ?)",
                (approval.subject, approval.user, approval.decision.value, dump(approval)),
            )
            return cur.rowcount == 1

    def list_approvals(self, subject: str) -> list[Approval]:
        rows = self._read("SELECT body FROM approvals WHERE subject = ? ORDER BY n", (subject,))
        return [load(Approval, row[0]) for row in rows]

    # ------------------------------------------------------------------ dedupe

    def claim(self, key: str, ttl: timedelta) -> bool:
        now = self._now_us()
        expires = now + ttl_micros(ttl)
        with self._write() as db:
            db.execute("DELETE FROM dedupe WHERE expires_us <= ?", (now,))
            cur = db.execute("INSERT OR IGNORE INTO dedupe VALUES (?, ?)", (key, expires))
            return cur.rowcount == 1

    # ------------------------------------------------------------------ incidents, silences, scores

    def save_incident(self, incident: Incident) -> None:
        with self._write() as db:
            db.execute(
                "INSERT OR REPLACE INTO incidents VALUES (?, ?, ?, ?)",
                (
                    incident.incident_id,
                    incident.status.value,
                    micros(incident.opened_at),
                    dump(incident),
                ),
            )

    def get_incident(self, incident_id: str) -> Incident | None:
        rows = self._read("SELECT body FROM incidents WHERE incident_id = ?", (incident_id,))
        return load(Incident, rows[0][0]) if rows else None

    def list_incidents(self, *, open_only: bool = False, limit: int = 50) -> list[Incident]:
        where = "WHERE status = 'open' " if open_only else ""
        rows = self._read(
            f"SELECT body FROM incidents {where}ORDER BY opened_us DESC, rowid DESC LIMIT ?",  # noqa: S608 - constant text
            (limit,),
        )
        return [load(Incident, row[0]) for row in rows]

    def add_silence(self, silence: Silence) -> None:
        with self._write() as db:
            db.execute(
                "INSERT INTO silences VALUES (?, ?, ?, ?)",
                (
                    silence.silence_id,
                    micros(silence.created_at),
                    micros(silence.until),
                    dump(silence),
                ),
            )

    def remove_silence(self, silence_id: str) -> bool:
        with self._write() as db:
            cur = db.execute("DELETE FROM silences WHERE silence_id = ?", (silence_id,))
            return cur.rowcount == 1

    def list_silences(self, *, active_at: datetime | None = None) -> list[Silence]:
        if active_at is None:
            rows = self._read("SELECT body FROM silences ORDER BY until_us, silence_id")
        else:
            at = micros(active_at)
            rows = self._read(
                "SELECT body FROM silences WHERE created_us <= ? AND until_us > ? "
                "ORDER BY until_us, silence_id",
                (at, at),
            )
        return [load(Silence, row[0]) for row in rows]

    def append_score(self, sample: ScoreSample, *, keep: int) -> None:
        if keep < 1:
            raise ValueError("keep must be at least 1")
        with self._write() as db:
            db.execute("INSERT INTO scores (body) VALUES (?)", (dump(sample),))
            db.execute(
                "DELETE FROM scores WHERE seq NOT IN "
                "(SELECT seq FROM scores ORDER BY seq DESC LIMIT ?)",
                (keep,),
            )

    def score_history(self, *, limit: int | None = None) -> list[ScoreSample]:
        rows = self._read(
            "SELECT body FROM scores ORDER BY seq DESC LIMIT ?", (-1 if limit is None else limit,)
        )
        return [load(ScoreSample, row[0]) for row in reversed(rows)]

    # ------------------------------------------------------------------ object sync

    def record_object_sync(
        self,
        lease: Lease,
        state: ObjectSyncState,
        *,
        passed: ObjectSyncPass | None = None,
        keep: int = 288,
    ) -> None:
        check_object_sync_write(lease, state, keep)
        now = self._now_us()
        with self._write() as db:
            self._check_held(db, lease, now)
            db.execute(
                "INSERT OR REPLACE INTO object_sync VALUES (?, ?)", (state.pair, dump(state))
            )
            if passed is None:
                return
            db.execute(
                "INSERT INTO object_sync_passes (pair, body) VALUES (?, ?)",
                (state.pair, dump(passed)),
            )
            db.execute(
                "DELETE FROM object_sync_passes WHERE pair = ? AND seq NOT IN "
                "(SELECT seq FROM object_sync_passes WHERE pair = ? ORDER BY seq DESC LIMIT ?)",
                (state.pair, state.pair, keep),
            )

    def get_object_sync(self, pair: str) -> ObjectSyncState | None:
        rows = self._read("SELECT body FROM object_sync WHERE pair = ?", (pair,))
        return load(ObjectSyncState, rows[0][0]) if rows else None

    def list_object_sync_passes(
        self, pair: str, *, limit: int | None = None
    ) -> list[ObjectSyncPass]:
        rows = self._read(
            "SELECT body FROM object_sync_passes WHERE pair = ? ORDER BY seq DESC LIMIT ?",
            (pair, -1 if limit is None else limit),
        )
        return [load(ObjectSyncPass, row[0]) for row in reversed(rows)]

    def save_readiness(self, sweep: ReadinessSweep) -> None:
        with self._write() as db:
            db.execute(
                "INSERT OR REPLACE INTO readiness (slot, body) VALUES (0, ?)", (dump(sweep),)
            )

    def latest_readiness(self) -> ReadinessSweep | None:
        rows = self._read("SELECT body FROM readiness WHERE slot = 0")
        return load(ReadinessSweep, rows[0][0]) if rows else None
