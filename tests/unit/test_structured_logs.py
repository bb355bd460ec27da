"""Structured logs: one JSON object per line, ids bound, never a token."""

from __future__ import annotations

import io
import json
import logging
import socket
from collections.abc import Iterator

import pytest

from bot.logs import JsonFormatter, ProcessFields, TextFormatter, redact


@pytest.fixture
def captured() -> Iterator[tuple[logging.Logger, io.StringIO]]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("test.structured")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    yield logger, stream
    logger.removeHandler(handler)


def test_one_json_event_per_line_with_ids_bound(
    captured: tuple[logging.Logger, io.StringIO],
) -> None:
    logger, stream = captured
    logger.info("stage done\nsecond line", extra={"run_id": "r1", "stage": "verify", "n": 3})
    logger.warning("incident opened", extra={"incident_id": "inc-1"})
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        logger.exception("failed", extra={"run_id": "r2"})
    lines = stream.getvalue().splitlines()
    assert len(lines) == 3
    first, second, third = (json.loads(line) for line in lines)
    assert first["event"] == "stage done\nsecond line"
    assert (first["run_id"], first["stage"], first["n"]) == ("r1", "verify", 3)
    assert second["incident_id"] == "inc-1"
    assert second["level"] == "warning"
    assert "RuntimeError: boom" in third["error"]


def test_tokens_and_url_passwords_never_reach_a_line(
    captured: tuple[logging.Logger, io.StringIO],
) -> None:
    logger, stream = captured
    logger.info(
        "connecting with %s and %s to %s",
        "xoxb-123-456-abcdef",
        "xapp-1-A1-2-deadbeef",
        "redis://:hunter2@127.0.0.1:6379/0",
        extra={"token": "xoxb-999-zzz"},
    )
    line = stream.getvalue()
    for secret in ("xoxb-123-456-abcdef", "xapp-1-A1-2-deadbeef", "hunter2", "xoxb-999-zzz"):
        assert secret not in line
    assert redact("https://user:pw@host/x") == "https://user:[redacted]@host/x"


def test_the_text_format_keeps_the_ids_and_masks_secrets() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(TextFormatter())
    handler.addFilter(ProcessFields(environment="production"))
    logger = logging.getLogger("test.text")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        logger.warning(
            "stage failed with xoxb-1-2-secret",
            extra={"stage": "switch traffic", "run_id": "r1", "incident_id": "inc-1"},
        )
    finally:
        logger.removeHandler(handler)
    line = stream.getvalue().rstrip("\n")
    assert " WARNING test.text stage failed with [redacted]" in line
    assert line.endswith('run_id=r1 incident_id=inc-1 stage="switch traffic"')
    assert "production" not in line, "the process's own fields are for the JSON format"


def test_json_lines_carry_the_process_fields_and_a_record_may_override_them(
    captured: tuple[logging.Logger, io.StringIO],
) -> None:
    logger, stream = captured
    fields = ProcessFields()
    logger.handlers[0].addFilter(fields)
    logger.info("before the config is read")
    fields.bind(environment="production")
    logger.info("after", extra={"replica": "pod-b"})
    before, after = (json.loads(line) for line in stream.getvalue().splitlines())
    assert before["app"] == after["app"] == "cloudphoenix"
    assert "environment" not in before
    assert after["environment"] == "production"
    assert before["replica"] == socket.gethostname()
    assert after["replica"] == "pod-b"
