"""What an incremental object sync must do: compare two listings, decide per key.

An object is unchanged when the destination has the same size and either the same content
hash (ours, kept in metadata by the sync that wrote it, on both sides) or the source version
it was copied from (the source etag recorded in the destination's metadata; or, on the way
back, the destination's etag recorded in the source's), or the same MD5 as both stores vouch
for. An S3 ETag alone proves nothing: multipart and KMS ETags are not
digests, and an Azure ETag never is.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Final, Literal

from engine.cloud_ports import ObjectInfo

HASH_KEY: Final = "phoenix_sha256"
"""Metadata: the SHA-256 of the body, computed while it streamed through the sync."""
SOURCE_ETAG_KEY: Final = "phoenix_source_etag"
"""Metadata: the etag of the source version the body was copied from."""

Verdict = Literal["copy", "same", "check"]
"""``check``: same size, but the destination's listing has no metadata: ask ``head``."""


def verdict(source: ObjectInfo, destination: ObjectInfo | None) -> Verdict:
    if destination is None or destination.size != source.size:
        return "copy"
    if destination.metadata is None:
        return "check"
    return "same" if unchanged(source, destination) else "copy"


def unchanged(source: ObjectInfo, destination: ObjectInfo) -> bool:
    if destination.size != source.size:
        return False
    theirs = destination.metadata or {}
    ours = source.metadata or {}
    if ours.get(HASH_KEY) and theirs.get(HASH_KEY):
        return ours[HASH_KEY] == theirs[HASH_KEY]
    if theirs.get(SOURCE_ETAG_KEY) == source.etag:
        return True
    if ours.get(SOURCE_ETAG_KEY) and ours[SOURCE_ETAG_KEY] == destination.etag:
        # The way back (failback): the source was copied from exactly the version the
        # destination still holds, so nothing changed on either side since.
        return True
    return bool(source.md5) and source.md5 == destination.md5


@dataclass(frozen=True)
class KeyMap:
    """Source keys under ``prefix`` land under ``destination_prefix`` (the same by default)."""

    prefix: str = ""
    destination_prefix: str | None = None

    @property
    def target_prefix(self) -> str:
        return self.prefix if self.destination_prefix is None else self.destination_prefix

    def target(self, key: str) -> str:
        return self.target_prefix + key[len(self.prefix) :]


@dataclass
class SyncPlan:
    """What a sync does: from two listings (``plan``), or given by the caller (the objects a
    change feed or a watermark names), in which case nothing is listed."""

    copy: list[tuple[ObjectInfo, ObjectInfo | None]] = field(default_factory=list)
    """Source object and the destination's current object, if any (for ``check``)."""
    check: list[tuple[ObjectInfo, ObjectInfo]] = field(default_factory=list)
    probe: list[ObjectInfo] = field(default_factory=list)
    """Source objects whose destination was not listed: read with ``head``, then copied
    unless unchanged."""
    same: int = 0
    extra: list[str] = field(default_factory=list)
    """Destination keys with no source object: deleted under the ``mirror`` policy."""

    @property
    def work(self) -> list[tuple[ObjectInfo, ObjectInfo | None]]:
        return [*self.copy, *self.check]

    @property
    def size(self) -> int:
        """Objects to copy or compare."""
        return len(self.copy) + len(self.check) + len(self.probe)


def plan(
    source: Iterable[ObjectInfo], destination: Mapping[str, ObjectInfo], keys: KeyMap
) -> SyncPlan:
    result = SyncPlan()
    seen: set[str] = set()
    for item in source:
        target = keys.target(item.key)
        seen.add(target)
        current = destination.get(target)
        decision = verdict(item, current)
        if decision == "same":
            result.same += 1
        elif decision == "check":
            assert current is not None
            result.check.append((item, current))
        else:
            result.copy.append((item, current))
    result.extra = sorted(key for key in destination if key not in seen)
    return result
