"""Opening the Store that ``PHOENIX_STORE_URL`` names.

    sqlite:///./phoenix.db     a file, relative to the working directory (the default)
    sqlite:////var/lib/p.db    an absolute path (four slashes)
    redis://host:6379/0        several replicas behind one Redis

A bad URL or a store that cannot be opened raises ``StoreUnavailable`` with a sentence saying
which and why (never a password from the URL); the bot then reports itself not ready.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from engine.adapters.clock import SystemClock
from engine.adapters.sqlite_store import SqliteStore
from engine.errors import StoreUnavailable
from engine.ports import Clock
from engine.store import Store

DEFAULT_STORE_URL = "sqlite:///./phoenix.db"
_SQLITE = "sqlite:///"


def open_store(
    url: str = DEFAULT_STORE_URL, *, clock: Clock | None = None, create: bool = True
) -> Store:
    """Open the store at ``url``; ``create=False`` refuses to create an SQLite file."""
    scheme = urlsplit(url).scheme
    if scheme == "sqlite":
        return SqliteStore(_sqlite_path(url), clock=clock or SystemClock(), create=create)
    if scheme in ("redis", "rediss"):
        raise StoreUnavailable(
            f"store URL {redacted(url)}: the Redis store is not available in this build yet; "
            f"use {DEFAULT_STORE_URL}"
        )
    raise StoreUnavailable(
        f"store URL {redacted(url)!r}: unknown kind of store; use sqlite:///PATH or "
        "redis://HOST:PORT/DB"
    )


def _sqlite_path(url: str) -> str:
    path = url[len(_SQLITE) :] if url.startswith(_SQLITE) else ""
    if not path or "?" in path:
        raise StoreUnavailable(
            f"store URL {url!r}: write an SQLite store as sqlite:///relative/path.db or "
            "sqlite:////absolute/path.db"
        )
    return path


def redacted(url: str) -> str:
    """The URL without its password, if it has one."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return parts._replace(netloc=netloc).geturl()
