"""The shared ``Store``: several replicas behind one Redis (redis-py).

Every compound operation is one Lua script (see ``redis_scripts``), so it is atomic in Redis;
the score history is one MULTI/EXEC. Expiry (leases, dedupe keys, silences) is judged by the
adapter's ``Clock``, whose time the caller passes into the scripts: replicas agree as far as
their clocks do, and tests can drive time. Redis' own TTLs only collect garbage.

redis-py's connection pool makes the object safe to share between threads. The client never
retries a command by itself: a script whose reply was lost may have run, and running it again
would write twice. A connection error or timeout is ``StoreUnavailable`` (``from`` redis-py's
error), never a silent drop; the caller decides whether to try again.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any, NoReturn, TypeVar, cast

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from engine.adapters.stores.codec import dump, from_micros, load, micros, ttl_micros
from engine.adapters.stores.object_sync import check_object_sync_write
from engine.adapters.stores.redis_scripts import SCRIPTS, source
from engine.errors import Conflict, LeaseLost, StoreUnavailable
from engine.ports import Clock
from engine.readiness import ReadinessSweep
from engine.records import Approval, AuditEvent, Incident, Lease, ScoreSample, Silence
from engine.runs import ProgressEvent, Run, RunState, StageRecord, run_lease_name
from engine.sync_records import ObjectSyncPass, ObjectSyncState
from engine.text import shown_url

T = TypeVar("T")

DEFAULT_PREFIX = "phoenix:"
_DEDUPE_SLACK = timedelta(minutes=1)
"""Real TTL of a dedupe key beyond its Clock expiry: room for clocks that disagree."""


def _audit_args(audit: Sequence[AuditEvent]) -> list[str | int]:
    args: list[str | int] = [len(audit)]
    for event in audit:
        args += [event.subject, dump(event)]
    return args


class RedisStore:
    def __init__(
        self,
        url: str,
        *,
        clock: Clock,
        prefix: str = DEFAULT_PREFIX,
        socket_timeout: float = 5.0,
        connect_timeout: float = 2.0,
    ) -> None:
        self._clock = clock
        self._prefix = prefix
        self._where = shown_url(url)
        try:
            self._redis = redis.Redis.from_url(
                url,
                decode_responses=True,
                socket_timeout=socket_timeout,
                socket_connect_timeout=connect_timeout,
                retry=Retry(NoBackoff(), 0),
                client_name="cloudphoenix",
            )
        except ValueError as exc:
            raise StoreUnavailable(f"bad Redis store URL {self._where}: {exc}") from exc
        self._scripts = {name: self._redis.register_script(source(name)) for name in SCRIPTS}
        try:
            self.ping()
        except StoreUnavailable:
            self._redis.close()
            raise

    # ------------------------------------------------------------------ plumbing

    def _unavailable(self, exc: redis.RedisError) -> NoReturn:
        raise StoreUnavailable(f"Redis store at {self._where}: {exc}") from exc

    def _script(self, name: str, *args: str | int) -> Any:
        try:
            return self._scripts[name](args=[self._prefix, *args])
        except redis.RedisError as exc:
            self._unavailable(exc)

    def _do(self, call: Callable[[], T]) -> T:
        try:
            return call()
        except redis.RedisError as exc:
            self._unavailable(exc)

    def _key(self, *parts: str) -> str:
        return self._prefix + ":".join(parts)

    def _now_us(self) -> int:
        return micros(self._clock.now())

    def ping(self) -> None:
        self._do(self._redis.ping)

    def close(self) -> None:
        self._redis.close()

    # ------------------------------------------------------------------ leases

    def acquire_lease(self, name: str, owner: str, ttl: timedelta) -> Lease | None:
        now = self._now_us()
        expires = now + ttl_micros(ttl)
        token = self._script("acquire", name, owner, now, expires)
        return None if token is None else Lease(name, owner, int(token), from_micros(expires))

    def renew_lease(self, lease: Lease, ttl: timedelta) -> Lease:
        now = self._now_us()
        expires = now + ttl_micros(ttl)
        state = self._script("renew", lease.name, lease.owner, lease.token, now, expires)
        self._check_held(lease, state)
        return replace(lease, expires_at=from_micros(expires))

    def release_lease(self, lease: Lease) -> bool:
        return bool(self._script("release", lease.name, lease.owner, lease.token))

    def get_lease(self, name: str) -> Lease | None:
        key = self._key("lease", name)
        owner, token, expires = self._do(
            lambda: self._redis.hmget(key, "owner", "token", "expires_us")
        )
        if not owner or token is None or expires is None or int(expires) <= self._now_us():
            return None
        return Lease(name, str(owner), int(token), from_micros(int(expires)))

    @staticmethod
    def _check_held(lease: Lease, state: str) -> None:
        if state == "lost":
            raise LeaseLost(f"lease {lease.name} token {lease.token} is no longer held")
        if state == "expired":
            raise LeaseLost(f"lease {lease.name} token {lease.token} has expired")

    # ------------------------------------------------------------------ runs

    def create_run(self, run: Run, audit: Sequence[AuditEvent] = ()) -> None:
        created = self._script(
            "create_run",
            run.run_id,
            run.state.value,
            micros(run.created_at),
            dump(run),
            *_audit_args(audit),
        )
        if not created:
            raise Conflict(f"run {run.run_id} exists already")

    def update_run(self, run: Run, *, expect: RunState, audit: Sequence[AuditEvent] = ()) -> None:
        args = (run.run_id, expect.value, run.state.value, dump(run), *_audit_args(audit))
        if not self._script("update_run", *args):
            raise Conflict(f"run {run.run_id} is not {expect.value}")

    def record(
        self,
        lease: Lease,
        *,
        run: Run | None = None,
        stages: Sequence[StageRecord] = (),
        events: Sequence[ProgressEvent] = (),
        audit: Sequence[AuditEvent] = (),
    ) -> list[ProgressEvent]:
        items = [item for item in (run, *stages, *events) if item is not None]
        for item in items:
            if run_lease_name(item.run_id) != lease.name:
                raise LeaseLost(f"lease {lease.name} does not cover run {item.run_id}")
        args: list[str | int] = [
            lease.name,
            lease.owner,
            lease.token,
            self._now_us(),
            items[0].run_id if items else "",
        ]
        args += ["1", run.state.value, dump(run)] if run is not None else ["0"]
        args.append(len(stages))
        for stage in stages:
            args += [stage.stage, dump(replace(stage, token=lease.token))]
        args += [len(events), *(dump(event) for event in events)]
        state, first = self._script("record", *args, *_audit_args(audit))
        if state == "norun":
            raise Conflict(f"no run {items[0].run_id} to update")
        self._check_held(lease, state)
        return [replace(event, seq=int(first) + n) for n, event in enumerate(events)]

    def get_run(self, run_id: str) -> Run | None:
        body = self._do(lambda: self._redis.hget(self._key("run", run_id), "body"))
        return None if body is None else load(Run, body)

    def list_runs(
        self, *, states: Collection[RunState] | None = None, limit: int = 50
    ) -> list[Run]:
        indexes = ["runs"] if states is None else [f"runs:state:{s.value}" for s in states]
        if limit <= 0 or not indexes:
            return []
        bodies = self._script("newest", "run:", limit, *indexes)
        return [load(Run, body) for body in bodies]

    def get_stages(self, run_id: str) -> list[StageRecord]:
        bodies = self._do(lambda: self._redis.hvals(self._key("stages", run_id)))
        return [load(StageRecord, body) for body in bodies]

    def list_events(self, run_id: str, *, after: int = 0) -> list[ProgressEvent]:
        key = self._key("events", run_id)
        found = self._do(lambda: self._redis.xrange(key, f"0-{after + 1}", "+"))
        entries = cast(list[tuple[str, dict[str, str]]], found or [])  # decode_responses
        return [
            replace(load(ProgressEvent, fields["body"]), seq=int(entry_id.partition("-")[2]))
            for entry_id, fields in entries
        ]

    # ------------------------------------------------------------------ audit, approvals

    def append_audit(self, event: AuditEvent) -> AuditEvent:
        seq = self._script("append_audit", *_audit_args([event]))
        return replace(event, seq=int(seq))

    def list_audit(self, *, subject: str | None = None, limit: int = 100) -> list[AuditEvent]:
        if limit <= 0:
            return []
        by_subject = "0" if subject is None else "1"
        flat = self._script("list_audit", by_subject, subject or "", limit)
        pairs = zip(flat[::2], flat[1::2], strict=True)
        return [replace(load(AuditEvent, body), seq=int(seq)) for seq, body in pairs]

    def add_approval(self, approval: Approval) -> bool:
        seen = f"{approval.user}\n{approval.decision.value}"
        return bool(self._script("add_approval", approval.subject, seen, dump(approval)))

    def list_approvals(self, subject: str) -> list[Approval]:
        bodies = self._do(lambda: self._redis.lrange(self._key("approvals", subject), 0, -1))
        return [load(Approval, body) for body in bodies]

    # ------------------------------------------------------------------ dedupe

    def claim(self, key: str, ttl: timedelta) -> bool:
        now = self._now_us()
        ttl_us = ttl_micros(ttl)
        keep_ms = max(2 * ttl, ttl + _DEDUPE_SLACK) // timedelta(milliseconds=1)
        return bool(self._script("claim", key, now, now + ttl_us, keep_ms))

    # ------------------------------------------------------------------ incidents, silences, scores

    def save_incident(self, incident: Incident) -> None:
        self._script(
            "save_incident",
            incident.incident_id,
            incident.status.value,
            micros(incident.opened_at),
            dump(incident),
        )

    def get_incident(self, incident_id: str) -> Incident | None:
        body = self._do(lambda: self._redis.hget(self._key("incident", incident_id), "body"))
        return None if body is None else load(Incident, body)

    def list_incidents(self, *, open_only: bool = False, limit: int = 50) -> list[Incident]:
        if limit <= 0:
            return []
        index = "incidents:open" if open_only else "incidents"
        bodies = self._script("newest", "incident:", limit, index)
        return [load(Incident, body) for body in bodies]

    def add_silence(self, silence: Silence) -> None:
        key, body = self._key("silences"), dump(silence)
        if not self._do(lambda: self._redis.hsetnx(key, silence.silence_id, body)):
            raise Conflict(f"silence {silence.silence_id} exists already")

    def remove_silence(self, silence_id: str) -> bool:
        return bool(self._do(lambda: self._redis.hdel(self._key("silences"), silence_id)))

    def list_silences(self, *, active_at: datetime | None = None) -> list[Silence]:
        bodies = self._do(lambda: self._redis.hvals(self._key("silences")))
        silences = [load(Silence, body) for body in bodies]
        if active_at is not None:
            silences = [s for s in silences if s.created_at <= active_at < s.until]
        return sorted(silences, key=lambda s: (s.until, s.silence_id))

    def append_score(self, sample: ScoreSample, *, keep: int) -> None:
        if keep < 1:
            raise ValueError("keep must be at least 1")
        key = self._key("scores")
        try:
            with self._redis.pipeline(transaction=True) as pipe:
                pipe.rpush(key, dump(sample))
                pipe.ltrim(key, -keep, -1)
                pipe.execute()
        except redis.RedisError as exc:
            self._unavailable(exc)

    def score_history(self, *, limit: int | None = None) -> list[ScoreSample]:
        if limit is not None and limit <= 0:
            return []
        start = 0 if limit is None else -limit
        bodies = self._do(lambda: self._redis.lrange(self._key("scores"), start, -1))
        return [load(ScoreSample, body) for body in bodies]

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
        args: list[str | int] = [lease.name, lease.owner, lease.token, self._now_us()]
        args += [state.pair, dump(state)]
        args += ["0"] if passed is None else ["1", dump(passed), keep]
        self._check_held(lease, self._script("record_object_sync", *args))

    def get_object_sync(self, pair: str) -> ObjectSyncState | None:
        body = self._do(lambda: self._redis.get(self._key("objsync", pair)))
        return None if body is None else load(ObjectSyncState, body)

    def list_object_sync_passes(
        self, pair: str, *, limit: int | None = None
    ) -> list[ObjectSyncPass]:
        if limit is not None and limit <= 0:
            return []
        start = 0 if limit is None else -limit
        key = self._key("objsync", "passes", pair)
        bodies = self._do(lambda: self._redis.lrange(key, start, -1))
        return [load(ObjectSyncPass, body) for body in bodies]

    # ------------------------------------------------------------------ readiness

    def save_readiness(self, sweep: ReadinessSweep) -> None:
        body = dump(sweep)
        self._do(lambda: self._redis.set(self._key("readiness"), body))

    def latest_readiness(self) -> ReadinessSweep | None:
        body = self._do(lambda: self._redis.get(self._key("readiness")))
        return None if body is None else load(ReadinessSweep, body)
