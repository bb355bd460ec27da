"""Opening the Store that ``PHOENIX_STORE_URL`` names.

    sqlite:///./phoenix.db     a file, relative to the working directory (the settings' default)
    sqlite:////var/lib/p.db    an absolute path (four slashes)
    redis://host:6379/0        several replicas behind one Redis (keys under ``phoenix:``)
    redis://:PASSWORD@host:6379/0?prefix=staging:&socket_timeout=3
                               another key prefix; redis-py's own options (rediss:// for TLS)

A bad URL or a store that cannot be opened raises ``StoreUnavailable`` with a sentence saying
which and why (never a password from the URL); the bot then reports itself not ready.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit

from engine.adapters.clock import SystemClock
from engine.adapters.stores.sqlite_store import SqliteStore
from engine.errors import StoreUnavailable
from engine.ports import Clock
from engine.store import Store

_SQLITE = "sqlite:///"


def open_store(url: str, *, clock: Clock | None = None, create: bool = True) -> Store:
    """Open the store at ``url``; ``create=False`` refuses to create an SQLite file."""
    scheme = urlsplit(url).scheme
    if scheme == "sqlite":
        return SqliteStore(_sqlite_path(url), clock=clock or SystemClock(), create=create)
    if scheme in ("redis", "rediss"):
        return _redis_store(url, clock or SystemClock())
    raise StoreUnavailable(
        f"store URL {redacted(url)!r}: unknown kind of store; use sqlite:///PATH or "
        "redis://HOST:PORT/DB"
    )


def _redis_store(url: str, clock: Clock) -> Store:
    """The Redis store; the URL's ``prefix`` option is ours, the other options redis-py's.
    Imported here: a bot on SQLite needs no Redis client."""
    try:
        from engine.adapters.stores.redis_store import DEFAULT_PREFIX, RedisStore
    except ModuleNotFoundError as exc:
        raise StoreUnavailable(
            f"store URL {redacted(url)}: the Redis client is not installed (pip install redis)"
        ) from exc
    parts = urlsplit(url)
    options = parse_qsl(parts.query, keep_blank_values=True)
    prefix = next((value for name, value in options if name == "prefix"), DEFAULT_PREFIX)
    rest = urlencode([(name, value) for name, value in options if name != "prefix"])
    try:
        return RedisStore(parts._replace(query=rest).geturl(), clock=clock, prefix=prefix)
    except StoreUnavailable as exc:
        why = exc.__cause__ or exc
        raise StoreUnavailable(
            f"store URL {redacted(url)}: the Redis store is not available ({why})"
        ) from exc


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
    options = parse_qsl(parts.query, keep_blank_values=True)
    in_query = any(name == "password" for name, _ in options)
    if parts.password is None and not in_query:
        return url
    if parts.password is not None:
        parts = parts._replace(netloc=parts.netloc.replace(f":{parts.password}@", ":***@", 1))
    if in_query:
        masked = [(name, "***" if name == "password" else value) for name, value in options]
        parts = parts._replace(query=urlencode(masked, safe="*:"))
    return parts.geturl()
