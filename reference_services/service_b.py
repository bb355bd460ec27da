"""Service B: the data-processing worker. It takes each object under ``incoming/`` in its S3
bucket, writes a small result (size and SHA-256) under ``processed/`` and deletes the input.

Ready when its last look at the inbox succeeded; live while the worker loop keeps beating
(a stalled loop answers 503 on /live, so Kubernetes restarts the pod).

    S3_BUCKET=jobs gunicorn --workers 1 'reference_services.service_b:create_app()'
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections.abc import Callable
from typing import Any

from flask import Flask, Response, jsonify

from reference_services import dependencies, settings
from reference_services.probes import CheckResult, Faults, add_probe_routes

INBOX = "incoming/"
OUTBOX = "processed/"


class Worker:
    """One pass (``drain``) processes everything in the inbox; ``start`` repeats it."""

    def __init__(
        self,
        s3: Any,
        bucket: str | None,
        *,
        poll_interval: float,
        stall_after: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._s3 = s3
        self._bucket = bucket
        self._poll_interval = poll_interval
        self._stall_after = stall_after
        self._clock = clock
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.processed = 0
        self.last_beat: float | None = None
        self.last_error: str | None = "no pass yet"

    def drain(self) -> int:
        """Process every object in the inbox now; the number processed."""
        done = 0
        try:
            if not self._bucket:
                raise RuntimeError("S3_BUCKET is not set")
            pages = self._s3.get_paginator("list_objects_v2").paginate(
                Bucket=self._bucket, Prefix=INBOX
            )
            for page in pages:
                for item in page.get("Contents", []):
                    self._process(item["Key"])
                    done += 1
        # Whatever stops a pass (S3, a bad object) is what /ready reports.
        except Exception as exc:  # noqa: BLE001
            self._record(done, f"{type(exc).__name__}: {exc}"[:200])
            return done
        self._record(done, None)
        return done

    def _process(self, key: str) -> None:
        body = self._s3.get_object(Bucket=self._bucket, Key=key)["Body"].read()
        result = {"source": key, "size": len(body), "sha256": hashlib.sha256(body).hexdigest()}
        name = key.removeprefix(INBOX)
        self._s3.put_object(
            Bucket=self._bucket,
            Key=f"{OUTBOX}{name}.json",
            Body=json.dumps(result).encode(),
            ContentType="application/json",
        )
        # Deleted only after the result is written: a crash in between reprocesses, never loses.
        self._s3.delete_object(Bucket=self._bucket, Key=key)

    def _record(self, done: int, error: str | None) -> None:
        with self._lock:
            self.processed += done
            self.last_error = error
            self.last_beat = self._clock()

    def ready(self) -> CheckResult:
        with self._lock:
            if self.last_error is not None:
                return CheckResult(False, self.last_error)
            return CheckResult(True, f"inbox reachable; {self.processed} processed")

    def alive(self) -> CheckResult:
        with self._lock:
            beat = self.last_beat
        if self._thread is not None and not self._thread.is_alive():
            return CheckResult(False, "the worker loop has ended")
        if beat is None:
            return CheckResult(True, "starting")
        silent = self._clock() - beat
        if silent > self._stall_after:
            return CheckResult(False, f"the worker loop is silent for {silent:.0f}s")
        return CheckResult(True, f"last pass {silent:.0f}s ago")

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="service-b-worker", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def _loop(self) -> None:
        while not self._stop.is_set():
            self.drain()
            self._stop.wait(self._poll_interval)


def create_app(
    config: settings.ServiceSettings | None = None,
    *,
    s3: Any = None,
    start_worker: bool = True,
) -> Flask:
    config = config or settings.load()
    app = Flask("service-b")
    client = s3 or dependencies.s3_client(config.s3_endpoint_url, config.check_timeout)
    worker = Worker(
        client, config.bucket, poll_interval=config.poll_interval, stall_after=config.stall_after
    )
    app.extensions["worker"] = worker
    add_probe_routes(
        app,
        "service-b",
        {"inbox": worker.ready},
        alive=worker.alive,
        faults=Faults() if config.faults else None,
    )

    @app.get("/")
    def index() -> Response:
        return jsonify(service="service-b", processed=worker.processed)

    if start_worker:
        worker.start()
    return app


if __name__ == "__main__":
    create_app().run(host="127.0.0.1", port=8082)
