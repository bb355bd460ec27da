"""Incremental object sync between two ``ObjectStore``s (S3 -> Blob, and back for failback).

Lists both sides, copies only what is new or changed (see ``engine.sync.plan``), streams
every body in chunks through a bounded pool of worker threads, hashes it on the way and
keeps the hash and the source etag in the destination's metadata, then verifies what it
wrote against a fresh read of the destination. A sync that dies midway is resumed by running
it again: finished objects compare equal and are skipped. Deletion is explicit: ``keep``
leaves objects the source no longer has, ``mirror`` deletes them.

Per-object faults that another attempt may cure are collected and raised together as
``SyncIncomplete`` at the end (``attempt_sync`` returns them in its report instead); a fatal
one (access denied, a missing bucket) stops the sync at once. Progress is reported from the
calling thread, so a callback may raise to stop it.

A caller that already knows what changed (a change feed, a watermark on the source's
modification times) passes that as ``work``: then neither side is listed, each named object
is compared with its destination copy by ``head`` and copied if it differs, and only the
named destination keys are deleted (under ``mirror``).
"""

from __future__ import annotations

import hashlib
import queue
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from functools import partial
from typing import Literal

from engine.cloud_ports import ObjectInfo, ObjectStore
from engine.errors import CloudNotFound, StageError, StageFatal, SyncIncomplete
from engine.sync.plan import HASH_KEY, SOURCE_ETAG_KEY, KeyMap, SyncPlan, plan, unchanged

Deletion = Literal["keep", "mirror"]


@dataclass(frozen=True)
class SyncOptions:
    prefix: str = ""
    destination_prefix: str | None = None
    """Where keys under ``prefix`` land; the same prefix by default."""
    deletion: Deletion = "keep"
    max_delete: int | None = None
    """Under ``mirror``, refuse (fatal) to delete more than this many objects in one sync."""
    concurrency: int = 16
    verify: bool = True
    server_side_copy: bool = True
    """Let the destination pull bodies from signed source URLs where both stores can."""
    url_expiry: timedelta = timedelta(hours=1)
    progress_interval: float = 0.5
    """Seconds between progress reports (the last one is always sent)."""


@dataclass(frozen=True)
class SyncProgress:
    objects_done: int
    objects_total: int
    bytes_done: int
    bytes_total: int
    unchanged: int
    deleted: int

    @property
    def fraction(self) -> float:
        if self.bytes_total:
            return min(1.0, self.bytes_done / self.bytes_total)
        return 1.0 if self.objects_done >= self.objects_total else 0.0


@dataclass(frozen=True)
class FailedObject:
    key: str
    reason: str
    size: int = 0
    """The source object's size as listed (0 for a failed deletion)."""
    last_modified: datetime | None = None
    """The source object's modification time, in the source store's clock, where known."""


@dataclass(frozen=True)
class SyncReport:
    source: str
    destination: str
    listed: int
    copied: int
    copied_bytes: int
    unchanged: int
    deleted: int
    failed: tuple[FailedObject, ...] = ()
    vanished: int = 0
    """Objects deleted at the source between the listing and their copy."""
    seconds: float = 0.0

    @property
    def failed_bytes(self) -> int:
        return sum(f.size for f in self.failed)

    @property
    def oldest_failed(self) -> datetime | None:
        """The earliest modification time among the objects that failed, where known."""
        return min((f.last_modified for f in self.failed if f.last_modified), default=None)

    def plus(self, other: SyncReport) -> SyncReport:
        """This and ``other`` (a later sync between the same stores) as one."""
        return replace(
            self,
            listed=self.listed + other.listed,
            copied=self.copied + other.copied,
            copied_bytes=self.copied_bytes + other.copied_bytes,
            unchanged=self.unchanged + other.unchanged,
            deleted=self.deleted + other.deleted,
            failed=self.failed + other.failed,
            vanished=self.vanished + other.vanished,
            seconds=self.seconds + other.seconds,
        )

    def summary(self) -> str:
        text = (
            f"{self.source} -> {self.destination}: {self.copied} copied "
            f"({self.copied_bytes} bytes), {self.unchanged} unchanged, {self.deleted} deleted"
        )
        return text + (f", {len(self.failed)} failed" if self.failed else "")


ProgressCallback = Callable[[SyncProgress], None]
Job = Callable[[], None]
Subject = ObjectInfo | str
"""What a job acts on, for the failure it may become: a source object, or a destination key."""


class TransferMismatch(Exception):
    """What was read or written does not match what was expected (sizes or hashes)."""


def sync(
    source: ObjectStore,
    destination: ObjectStore,
    options: SyncOptions | None = None,
    *,
    progress: ProgressCallback | None = None,
    check: Callable[[], None] | None = None,
) -> SyncReport:
    """Bring ``destination`` up to date with ``source``. ``check`` is called between objects
    (e.g. a stage context's cancellation check): whatever it raises stops the sync after the
    transfers in flight and propagates. Raises ``SyncIncomplete`` if any object failed."""
    report = attempt_sync(source, destination, options, progress=progress, check=check)
    if report.failed:
        first = report.failed[0]
        raise SyncIncomplete(
            f"{report.summary()}; first failure: {first.key}: {first.reason}. "
            "Running the sync again copies only what is missing."
        )
    return report


def attempt_sync(
    source: ObjectStore,
    destination: ObjectStore,
    options: SyncOptions | None = None,
    *,
    work: SyncPlan | None = None,
    progress: ProgressCallback | None = None,
    check: Callable[[], None] | None = None,
) -> SyncReport:
    """As ``sync``, but the objects that failed are in the report, not raised; and with
    ``work``, only what it names is compared, copied or deleted (nothing is listed)."""
    return _Sync(source, destination, options or SyncOptions(), progress, check).run(work)


@dataclass(frozen=True)
class _Written:
    size: int
    sha256: str | None
    """None for a server-side copy (the destination hashed nothing for us)."""
    source_modified: datetime | None


@dataclass
class _Tally:
    lock: threading.Lock = field(default_factory=threading.Lock)
    bytes_done: int = 0
    objects_done: int = 0
    copied: int = 0
    copied_bytes: int = 0
    unchanged: int = 0
    deleted: int = 0
    vanished: int = 0
    failed: list[FailedObject] = field(default_factory=list)
    written: dict[str, _Written] = field(default_factory=dict)
    """Destination key -> what was written there: for verification."""

    def add_bytes(self, count: int) -> None:
        with self.lock:
            self.bytes_done += count


class _Sync:
    def __init__(
        self,
        source: ObjectStore,
        destination: ObjectStore,
        options: SyncOptions,
        progress: ProgressCallback | None,
        check: Callable[[], None] | None,
    ) -> None:
        if options.concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        self._source = source
        self._destination = destination
        self._options = options
        self._keys = KeyMap(options.prefix, options.destination_prefix)
        self._progress = progress
        self._check = check
        self._tally = _Tally()
        self._totals = (0, 0)
        self._destination_count: int | None = None
        """Objects the destination listed; None when it was not listed (given work)."""
        self._last_report = 0.0

    def run(self, given: SyncPlan | None) -> SyncReport:
        started = time.monotonic()
        with ThreadPoolExecutor(self._options.concurrency, "object-sync") as pool:
            work = self._plan(pool) if given is None else given
            self._totals = (
                work.size,
                sum(item.size for item, _ in work.work) + sum(item.size for item in work.probe),
            )
            self._tally.unchanged = work.same
            self._report(force=True)
            jobs: list[tuple[Subject, Job]] = [
                (item, partial(self._transfer, item, current)) for item, current in work.work
            ]
            jobs += [(item, partial(self._transfer, item, None, look=True)) for item in work.probe]
            self._run_all(pool, iter(jobs))
            if self._options.deletion == "mirror":
                self._delete_extra(pool, work.extra)
            if self._options.verify and self._tally.written:
                self._verify(pool)
        self._report(force=True)
        tally = self._tally
        return SyncReport(
            source=self._source.name,
            destination=self._destination.name,
            listed=work.same + work.size,
            copied=tally.copied,
            copied_bytes=tally.copied_bytes,
            unchanged=tally.unchanged,
            deleted=tally.deleted,
            failed=tuple(tally.failed),
            vanished=tally.vanished,
            seconds=time.monotonic() - started,
        )

    # -- planning

    def _plan(self, pool: ThreadPoolExecutor) -> SyncPlan:
        target_prefix = self._keys.target_prefix
        listed = pool.submit(lambda: {o.key: o for o in self._destination.list(target_prefix)})
        try:
            source = list(self._source.list(self._options.prefix))
        finally:
            current = listed.result()
        self._destination_count = len(current)
        return plan(source, current, self._keys)

    # -- running work items

    def _run_all(self, pool: ThreadPoolExecutor, jobs: Iterable[tuple[Subject, Job]]) -> None:
        """Run jobs (subject, call) with at most twice ``concurrency`` submitted at a time.

        Finished jobs announce themselves on a queue: waiting on the set of pending futures
        instead costs a lock round on every one of them per finished job, which for small
        objects was more CPU than the transfers themselves."""
        window = self._options.concurrency * 2
        finished: queue.SimpleQueue[Future[None]] = queue.SimpleQueue()
        pending: dict[Future[None], Subject] = {}
        todo = iter(jobs)
        timeout = self._options.progress_interval or None
        try:
            while True:
                self._call_check()
                for subject, job in todo:
                    future = pool.submit(job)
                    pending[future] = subject
                    future.add_done_callback(finished.put)
                    if len(pending) >= window:
                        break
                if not pending:
                    return
                try:
                    future = finished.get(timeout=timeout)
                    while True:
                        self._settle(future, pending.pop(future))
                        future = finished.get_nowait()
                except queue.Empty:
                    pass
                self._report()
        except BaseException:
            for future in pending:
                future.cancel()
            wait(pending)
            raise

    def _settle(self, future: Future[None], subject: Subject) -> None:
        error = future.exception()
        if error is None:
            return
        if isinstance(error, StageFatal):
            raise error
        if isinstance(error, StageError | TransferMismatch):
            if isinstance(subject, str):
                failed = FailedObject(subject, str(error))
            else:
                failed = FailedObject(subject.key, str(error), subject.size, subject.last_modified)
            with self._tally.lock:
                self._tally.failed.append(failed)
            return
        raise error

    def _call_check(self) -> None:
        if self._check is not None:
            self._check()

    # -- one object

    def _transfer(
        self, source: ObjectInfo, current: ObjectInfo | None, *, look: bool = False
    ) -> None:
        """Copy ``source`` over ``current``; first read the destination's copy with ``head``
        when asked to (``look``) or when its listing carried no metadata to compare."""
        target = self._keys.target(source.key)
        if look or (current is not None and current.metadata is None):
            current = self._destination.head(target)
            if current is not None and unchanged(source, current):
                with self._tally.lock:
                    self._tally.unchanged += 1
                    self._tally.objects_done += 1
                    self._tally.bytes_done += source.size
                return
        if not self._copy_server_side(source, target):
            self._copy_streaming(source, target)

    def _copy_streaming(self, source: ObjectInfo, target: str) -> None:
        try:
            reader = self._source.open(source.key)
        except CloudNotFound:
            # Deleted at the source since it was listed: nothing to copy; a later sync
            # under ``mirror`` removes the destination's copy.
            with self._tally.lock:
                self._tally.vanished += 1
            return
        try:
            read = reader.info
            writer = self._destination.writer(target, content_type=read.content_type)
            digest = hashlib.sha256()
            size = 0
            try:
                for chunk in reader.chunks():
                    digest.update(chunk)
                    writer.write(chunk)
                    size += len(chunk)
                    self._tally.add_bytes(len(chunk))
                if size != read.size:
                    raise TransferMismatch(f"read {size} of {read.size} bytes")
                written = writer.commit({HASH_KEY: digest.hexdigest(), SOURCE_ETAG_KEY: read.etag})
            except BaseException:
                writer.abort()
                raise
        finally:
            reader.close()
        if written.size != size:
            raise TransferMismatch(f"wrote {written.size} bytes, streamed {size}")
        self._done(target, size, digest.hexdigest(), source, counted_bytes=size)

    def _copy_server_side(self, source: ObjectInfo, target: str) -> bool:
        if not (self._options.server_side_copy and self._destination.copies_from_url):
            return False
        url = self._source.signed_url(source.key, self._options.url_expiry)
        if url is None:
            return False
        written = self._destination.copy_from_url(
            target, url, size=source.size, metadata={SOURCE_ETAG_KEY: source.etag}
        )
        if written.size != source.size:
            raise TransferMismatch(f"copied {written.size} bytes of {source.size}")
        self._done(target, source.size, None, source, counted_bytes=0)
        return True

    def _done(
        self,
        target: str,
        size: int,
        sha256: str | None,
        source: ObjectInfo,
        *,
        counted_bytes: int,
    ) -> None:
        with self._tally.lock:
            self._tally.copied += 1
            self._tally.copied_bytes += size
            self._tally.objects_done += 1
            self._tally.bytes_done += size - counted_bytes
            self._tally.written[target] = _Written(size, sha256, source.last_modified)

    # -- deletion and verification

    def _delete_extra(self, pool: ThreadPoolExecutor, extra: list[str]) -> None:
        limit = self._options.max_delete
        if limit is not None and len(extra) > limit:
            raise StageFatal(
                f"mirroring {self._source.name} would delete {len(extra)} objects from "
                f"{self._destination.name}, more than max_delete={limit}; nothing was deleted"
            )
        self._run_all(pool, ((key, partial(self._delete, key)) for key in extra))

    def _delete(self, key: str) -> None:
        self._destination.delete(key)
        with self._tally.lock:
            self._tally.deleted += 1

    def _verify(self, pool: ThreadPoolExecutor) -> None:
        """Read the destination back: every object written has the size and hash we wrote.

        One fresh listing where it carries metadata and much was written; otherwise a
        ``head`` per written object, concurrently."""
        written = self._tally.written
        listed = self._destination_count
        relist = (
            self._destination.lists_metadata
            and listed is not None
            and len(written) * 10 >= listed + len(written)
        )
        if relist:
            listing = self._destination.list(self._keys.target_prefix)
            found = {o.key: o for o in listing if o.key in written}
        else:
            heads = pool.map(self._destination.head, list(written))
            found = {info.key: info for info in heads if info is not None}
        for key, wrote in sorted(written.items()):
            problem = _mismatch(found.get(key), wrote.size, wrote.sha256)
            if problem:
                failed = FailedObject(key, problem, wrote.size, wrote.source_modified)
                with self._tally.lock:
                    self._tally.copied -= 1
                    self._tally.failed.append(failed)

    def _report(self, *, force: bool = False) -> None:
        if self._progress is None:
            return
        now = time.monotonic()
        if not force and now - self._last_report < self._options.progress_interval:
            return
        self._last_report = now
        tally = self._tally
        with tally.lock:
            snapshot = SyncProgress(
                objects_done=tally.objects_done,
                objects_total=self._totals[0],
                bytes_done=tally.bytes_done,
                bytes_total=self._totals[1],
                unchanged=tally.unchanged,
                deleted=tally.deleted,
            )
        self._progress(snapshot)


def _mismatch(info: ObjectInfo | None, size: int, sha256: str | None) -> str | None:
    if info is None:
        return "not found when read back after writing"
    if info.size != size:
        return f"read back {info.size} bytes, wrote {size}"
    stored = (info.metadata or {}).get(HASH_KEY)
    if sha256 is not None and stored != sha256:
        return "read back a different content hash than was written"
    return None
