"""An in-memory ``ObjectStore`` for the sync engine's rules: a fake behind the port, with
switches for the capabilities real stores differ in."""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import timedelta

from engine.cloud_ports import ObjectInfo
from engine.errors import CloudNotFound, CloudRejected


@dataclass
class MemoryStore:
    name: str = "memory://store"
    lists_metadata: bool = True
    copies_from_url: bool = False
    signs_urls: bool = False
    objects: dict[str, tuple[bytes, ObjectInfo]] = field(default_factory=dict)
    url_copies: list[tuple[str, str]] = field(default_factory=list)
    writes: int = 0
    _versions: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    def put(self, key: str, data: bytes, metadata: Mapping[str, str] | None = None) -> ObjectInfo:
        info = ObjectInfo(
            key=key,
            size=len(data),
            etag=f"v{next(self._versions)}",
            metadata=dict(metadata or {}),
            md5=hashlib.md5(data).hexdigest(),
        )
        self.objects[key] = (data, info)
        return info

    def list(self, prefix: str = "") -> Iterator[ObjectInfo]:
        for key in sorted(self.objects):
            if key.startswith(prefix):
                info = self.objects[key][1]
                yield info if self.lists_metadata else replace(info, metadata=None)

    def head(self, key: str) -> ObjectInfo | None:
        found = self.objects.get(key)
        return found[1] if found else None

    def open(self, key: str) -> _Reader:
        if key not in self.objects:
            raise CloudNotFound(f"{self.name}/{key} does not exist", resource=key)
        data, info = self.objects[key]
        return _Reader(info, data)

    def writer(self, key: str, *, content_type: str | None = None) -> _Writer:
        return _Writer(self, key)

    def delete(self, key: str) -> None:
        self.objects.pop(key, None)

    def signed_url(self, key: str, expires: timedelta) -> str | None:
        return (
            f"memory://{self.name}/{key}?expires={int(expires.total_seconds())}"
            if self.signs_urls
            else None
        )

    def copy_from_url(
        self, key: str, url: str, *, size: int, metadata: Mapping[str, str]
    ) -> ObjectInfo:
        if not self.copies_from_url:
            raise CloudRejected("no server-side copy here")
        self.url_copies.append((key, url))
        return self.put(key, b"\0" * size, metadata)


@dataclass
class _Reader:
    info: ObjectInfo
    data: bytes
    chunk: int = 4

    def chunks(self) -> Iterator[bytes]:
        for start in range(0, len(self.data), self.chunk):
            yield self.data[start : start + self.chunk]

    def close(self) -> None:
        pass


@dataclass
class _Writer:
    store: MemoryStore
    key: str
    parts: list[bytes] = field(default_factory=list)

    def write(self, chunk: bytes) -> None:
        self.parts.append(chunk)

    def commit(self, metadata: Mapping[str, str]) -> ObjectInfo:
        self.store.writes += 1
        return self.store.put(self.key, b"".join(self.parts), metadata)

    def abort(self) -> None:
        self.parts.clear()
