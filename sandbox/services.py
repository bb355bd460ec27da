"""The reference services A and B, run in this process on loopback with their real health
endpoints and fault switches (``POST /fault/down|slow|restore``). Their S3 is the simulated
world's bucket, their database a SQLite file."""

from __future__ import annotations

import io
import logging
import sqlite3
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from werkzeug.serving import BaseWSGIServer, make_server

from engine.adapters.sim import SimWorld
from engine.adapters.sim.world import make_object
from reference_services import service_a, service_b
from reference_services.settings import ServiceSettings


class _S3Unavailable(Exception):
    """What boto3 would raise when the region does not answer."""


class WorldS3:
    """The few boto3 S3 calls the reference services make, on the world's bucket. The
    services live in AWS: a regional outage breaks their S3, a partition of the observer
    does not."""

    def __init__(self, world: SimWorld) -> None:
        self._world = world

    def _bucket(self, name: str) -> dict[str, Any]:
        world = self._world
        if world.faults.aws_outage:
            raise _S3Unavailable(f"s3://{name}: could not connect to the endpoint URL")
        if name != world.s3.name:
            raise _S3Unavailable(f"s3://{name}: NoSuchBucket")
        return world.s3.objects  # type: ignore[return-value]

    def head_bucket(self, *, Bucket: str) -> dict[str, Any]:
        self._bucket(Bucket)
        return {}

    def get_paginator(self, operation: str) -> WorldS3:
        return self

    def paginate(self, *, Bucket: str, Prefix: str = "") -> Iterator[dict[str, Any]]:
        with self._world.lock:
            keys = [k for k in self._bucket(Bucket) if k.startswith(Prefix)]
        yield {"Contents": [{"Key": k} for k in sorted(keys)]}

    def get_object(self, *, Bucket: str, Key: str) -> dict[str, Any]:
        with self._world.lock:
            found = self._bucket(Bucket)[Key]
        return {"Body": io.BytesIO(found.body)}

    def put_object(self, *, Bucket: str, Key: str, Body: bytes, ContentType: str) -> None:
        with self._world.lock:
            self._bucket(Bucket)[Key] = make_object(Body, self._world.clock.now(), {}, ContentType)

    def delete_object(self, *, Bucket: str, Key: str) -> None:
        with self._world.lock:
            self._bucket(Bucket).pop(Key, None)


@dataclass
class RunningService:
    name: str
    server: BaseWSGIServer
    thread: threading.Thread
    stop_worker: Any = None

    @property
    def port(self) -> int:
        return int(self.server.server_port)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def fault(self, mode: str) -> None:
        """``down``, ``slow`` or ``restore``."""
        request = urllib.request.Request(f"{self.url}/fault/{mode}", method="POST")  # noqa: S310
        with urllib.request.urlopen(request, timeout=5) as answer:  # noqa: S310 - loopback
            answer.read()

    def healthy(self, timeout: float = 2.0) -> bool:
        try:
            with urllib.request.urlopen(f"{self.url}/health", timeout=timeout) as answer:  # noqa: S310
                return int(answer.status) == 200
        except (urllib.error.URLError, OSError, TimeoutError):
            return False


class ReferenceServices:
    """Service A and B on free loopback ports."""

    def __init__(self, world: SimWorld, workdir: Path, *, poll_interval: float = 1.0) -> None:
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
        database = workdir / "service-a.db"
        with sqlite3.connect(database) as db:
            db.execute("CREATE TABLE IF NOT EXISTS orders (id INTEGER PRIMARY KEY)")
        config = ServiceSettings(
            database_url=f"sqlite:///{database}",
            bucket=world.topology.bucket,
            s3_endpoint_url=None,
            check_timeout=1.0,
            faults=True,
            poll_interval=poll_interval,
            stall_after=60.0,
        )
        s3 = WorldS3(world)
        app_a = service_a.create_app(config, s3=s3)
        app_b = service_b.create_app(config, s3=s3)
        self.a = self._serve("service-a", app_a)
        self.b = self._serve("service-b", app_b)
        self.b.stop_worker = app_b.extensions["worker"].stop

    @staticmethod
    def _serve(name: str, app: Any) -> RunningService:
        server = make_server("127.0.0.1", 0, app, threaded=True)
        thread = threading.Thread(target=server.serve_forever, name=name, daemon=True)
        thread.start()
        return RunningService(name, server, thread)

    def by_name(self, name: str) -> RunningService:
        return {"service-a": self.a, "service-b": self.b}[name]

    def all(self) -> tuple[RunningService, RunningService]:
        return (self.a, self.b)

    def stop(self) -> None:
        for service in self.all():
            if service.stop_worker is not None:
                service.stop_worker()
            service.server.shutdown()
            service.thread.join(timeout=5)
            service.server.server_close()
