"""The reference services through Flask's test client, against moto's S3 and a real SQLite
database: ready only while every dependency answers, and the worker really processes."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from reference_services import service_a, service_b, settings
from reference_services.dependencies import s3_client
from tests.support.ports import free_port

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("aws_env")]

BUCKET = "reference-data"


@pytest.fixture
def s3() -> Iterator[Any]:
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket=BUCKET)
        yield client


@pytest.fixture
def database(tmp_path: Path) -> Path:
    path = tmp_path / "app.db"
    sqlite3.connect(path).close()
    return path


def config(database: Path | None = None, **changes: Any) -> settings.ServiceSettings:
    env = {"S3_BUCKET": BUCKET, "CHECK_TIMEOUT": "1"}
    if database is not None:
        env["DATABASE_URL"] = f"sqlite:///{database}"
    env.update(changes)
    return settings.load(env)


def test_service_a_is_ready_when_its_database_and_bucket_answer(s3: Any, database: Path) -> None:
    client = service_a.create_app(config(database), s3=s3).test_client()
    ready = client.get("/ready")
    assert ready.status_code == 200
    assert ready.get_json() == {"service": "service-a", "ready": True, "failing": {}}
    health = client.get("/health").get_json()
    assert health["status"] == "ok"
    assert health["checks"]["database"] == {"ok": True, "detail": "sqlite answers"}
    assert health["checks"]["s3"] == {"ok": True, "detail": f"s3://{BUCKET} answers"}
    assert client.get("/live").status_code == 200
    assert ready.headers["Cache-Control"] == "no-store"


def test_service_a_is_not_ready_without_its_database(s3: Any, tmp_path: Path) -> None:
    client = service_a.create_app(config(tmp_path / "missing.db"), s3=s3).test_client()
    ready = client.get("/ready")
    assert ready.status_code == 503
    assert set(ready.get_json()["failing"]) == {"database"}
    assert "unable to open database" in ready.get_json()["failing"]["database"]
    assert client.get("/health").status_code == 503
    # Alive all the same: restarting the pod would not bring the database back.
    assert client.get("/live").status_code == 200
    unset = service_a.create_app(config(None), s3=s3).test_client().get("/ready")
    assert unset.get_json()["failing"] == {"database": "DATABASE_URL is not set"}


def test_service_a_is_not_ready_without_its_bucket(s3: Any, database: Path) -> None:
    client = service_a.create_app(config(database, S3_BUCKET="gone"), s3=s3).test_client()
    ready = client.get("/ready")
    assert ready.status_code == 503
    assert set(ready.get_json()["failing"]) == {"s3"}
    assert "404" in ready.get_json()["failing"]["s3"]


def test_service_a_is_not_ready_when_s3_cannot_be_reached(database: Path) -> None:
    # Nothing listens on this port: the check fails within its short timeout.
    unreachable = s3_client(f"http://127.0.0.1:{free_port()}", timeout=1)
    client = service_a.create_app(config(database), s3=unreachable).test_client()
    ready = client.get("/ready")
    assert ready.status_code == 503
    assert "EndpointConnectionError" in ready.get_json()["failing"]["s3"]


def test_faults_take_every_endpoint_down_until_restored(s3: Any, database: Path) -> None:
    client = service_a.create_app(config(database, FAULT_INJECTION="true"), s3=s3).test_client()
    assert client.post("/fault/down").get_json()["fault"] == "down"
    assert [client.get(p).status_code for p in ("/health", "/ready", "/live")] == [503] * 3
    client.post("/fault/restore")
    assert [client.get(p).status_code for p in ("/health", "/ready", "/live")] == [200] * 3
    assert client.post("/fault/melt").status_code == 404
    # Off unless asked for.
    plain = service_a.create_app(config(database), s3=s3).test_client()
    assert plain.post("/fault/down").status_code in (404, 405)


def test_service_b_processes_its_inbox(s3: Any) -> None:
    app = service_b.create_app(config(), s3=s3, start_worker=False)
    worker: service_b.Worker = app.extensions["worker"]
    client = app.test_client()
    # Not ready before its first look at the inbox.
    assert client.get("/ready").status_code == 503
    s3.put_object(Bucket=BUCKET, Key="incoming/job-1", Body=b"hello")
    s3.put_object(Bucket=BUCKET, Key="incoming/job-2", Body=b"")
    assert worker.drain() == 2
    result = json.loads(s3.get_object(Bucket=BUCKET, Key="processed/job-1.json")["Body"].read())
    assert result == {
        "source": "incoming/job-1",
        "size": 5,
        "sha256": "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824",
    }
    listed = s3.list_objects_v2(Bucket=BUCKET, Prefix="incoming/")
    assert listed.get("KeyCount") == 0
    assert client.get("/ready").status_code == 200
    assert client.get("/health").get_json()["checks"]["inbox"]["detail"] == (
        "inbox reachable; 2 processed"
    )


def test_service_b_is_not_ready_when_its_bucket_is_gone(s3: Any) -> None:
    app = service_b.create_app(config(S3_BUCKET="gone"), s3=s3, start_worker=False)
    assert app.extensions["worker"].drain() == 0
    ready = app.test_client().get("/ready")
    assert ready.status_code == 503
    assert "NoSuchBucket" in ready.get_json()["failing"]["inbox"]


def test_service_b_is_not_live_when_its_loop_stalls(s3: Any) -> None:
    now = [100.0]
    worker = service_b.Worker(s3, BUCKET, poll_interval=5, stall_after=60, clock=lambda: now[0])
    assert worker.alive().ok  # starting
    worker.drain()
    now[0] += 30
    assert worker.alive().ok
    now[0] += 31
    stalled = worker.alive()
    assert not stalled.ok
    assert "silent for 61s" in stalled.detail


def test_service_b_worker_loop_runs_in_the_background(s3: Any) -> None:
    s3.put_object(Bucket=BUCKET, Key="incoming/job", Body=b"x")
    app = service_b.create_app(config(POLL_INTERVAL="0.05"), s3=s3)
    worker: service_b.Worker = app.extensions["worker"]
    try:
        client = app.test_client()
        for _ in range(100):
            if worker.processed:
                break
            worker._stop.wait(0.02)
        assert worker.processed == 1
        assert client.get("/live").status_code == 200
    finally:
        worker.stop()
    assert client.get("/live").status_code == 503
