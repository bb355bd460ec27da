"""Keeping a run's lease alive while the run executes, and noticing at once when it is lost."""

from __future__ import annotations

import contextlib
import threading
from datetime import timedelta

from engine.errors import LeaseLost, StoreUnavailable
from engine.ports import Clock
from engine.records import Lease
from engine.store import LeaseStore


class LeaseKeeper:
    """Holds one lease for one execution. Once lost it stays lost: ``lost`` is set for good.

    ``check`` renews now (before each stage); ``tick`` renews when a third of the ttl has
    passed (while a stage runs or a backoff waits). A store that cannot be reached does not
    count as a loss by itself: the next fenced write decides.
    """

    def __init__(self, store: LeaseStore, lease: Lease, ttl: timedelta, clock: Clock) -> None:
        self._store = store
        self._lease = lease
        self._ttl = ttl
        self._clock = clock
        self._renewed_at = clock.now()
        self._lock = threading.Lock()
        self.lost = threading.Event()

    @property
    def lease(self) -> Lease:
        with self._lock:
            return self._lease

    def check(self) -> Lease:
        with self._lock:
            if self.lost.is_set():
                raise LeaseLost(f"lease {self._lease.name} was lost")
            try:
                self._lease = self._store.renew_lease(self._lease, self._ttl)
            except LeaseLost:
                self.lost.set()
                raise
            self._renewed_at = self._clock.now()
            return self._lease

    def tick(self) -> bool:
        """Renew if due; False once the lease is lost."""
        if self.lost.is_set():
            return False
        with self._lock:
            due = self._clock.now() - self._renewed_at >= self._ttl / 3
        if due:
            try:
                self.check()
            except LeaseLost:
                return False
            except StoreUnavailable:
                return True
        return True

    def mark_lost(self) -> None:
        self.lost.set()

    def release(self) -> None:
        """Give the lease up (best effort: an unreachable store lets it expire instead)."""
        if self.lost.is_set():
            return
        with contextlib.suppress(StoreUnavailable):
            self._store.release_lease(self.lease)
        self.lost.set()
