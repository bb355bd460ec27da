"""Structured logs: one event per line, as JSON (the default) or text, with ``incident_id`` /
``run_id`` / ``stage`` (and any other ``extra=``) bound, and never a secret.

Every line also carries the fields that make sense as Loki labels, few in values: ``app``,
``environment``, ``level`` and ``replica`` (the pod's host name); the ids are for Loki's
structured metadata (``deploy/loki/config.alloy`` maps both). The text format keeps the ids,
as ``key=value`` after the message.

Secrets are kept out twice: tokens live in ``SecretStr`` settings (their str is ``**********``),
and the formatters mask anything shaped like a Slack token or a password in a URL, in case a
library logs one.
"""

from __future__ import annotations

import json
import logging
import re
import socket
import sys
import traceback
from datetime import UTC, datetime
from typing import Any, Literal, TextIO

APP = "cloudphoenix"
IDS = ("run_id", "incident_id", "stage")
"""The fields that find the lines of one run, incident or stage (Loki structured metadata)."""

_STANDARD = frozenset(
    logging.LogRecord("", 0, "", 0, "", None, None).__dict__.keys() | {"message", "asctime"}
)
_SECRETS = (
    re.compile(r"xox[abposr]-[A-Za-z0-9-]+"),
    re.compile(r"xapp-[A-Za-z0-9-]+"),
    re.compile(r"(?<=://)([^:/@\s]*):([^@/\s]+)@"),
)
_NOISY = ("apscheduler", "slack_sdk", "slack_bolt", "urllib3", "httpx", "websocket")


def redact(text: str) -> str:
    for pattern in _SECRETS[:2]:
        text = pattern.sub("[redacted]", text)
    return _SECRETS[2].sub(r"\1:[redacted]@", text)


class ProcessFields(logging.Filter):
    """Puts the process's own fields (app, environment, replica) on every record it passes;
    ``bind`` adds one once it is known (the environment, once phoenix.yaml is read)."""

    def __init__(self, **fields: str) -> None:
        super().__init__()
        self.fields = {"app": APP, "replica": socket.gethostname(), **fields}

    def bind(self, **fields: str) -> None:
        self.fields = {**self.fields, **fields}

    def filter(self, record: logging.LogRecord) -> bool:
        for key, value in self.fields.items():
            if not hasattr(record, key):
                setattr(record, key, value)
        return True


def _extras(record: logging.LogRecord) -> dict[str, Any]:
    """The record's own fields (``extra=`` and the process's), the ids first."""
    extras = {k: v for k, v in record.__dict__.items() if k not in _STANDARD and k[:1] != "_"}
    return {**{k: extras.pop(k) for k in IDS if k in extras}, **extras}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        event: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "event": record.getMessage(),
            "thread": record.threadName,
        }
        for key, value in _extras(record).items():
            event[key] = value if isinstance(value, int | float | bool | None) else str(value)
        if record.exc_info:
            event["error"] = "".join(traceback.format_exception(*record.exc_info)).rstrip()
        return redact(json.dumps(event, ensure_ascii=False, default=str))


class TextFormatter(logging.Formatter):
    """``2026-01-05 08:00:00,123 INFO bot.scheduler message run_id=… stage=…``: the ids of
    the JSON format, for a person reading a terminal (the process's own fields are left out)."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        own = ("app", "environment", "replica")
        pairs = [f"{k}={_quoted(v)}" for k, v in _extras(record).items() if k not in own]
        return redact(" ".join([line, *pairs]))


def _quoted(value: object) -> str:
    text = str(value)
    return json.dumps(text) if not text or any(c in text for c in ' "=') else text


def configure(
    log_format: Literal["json", "text"] = "json",
    level: int = logging.INFO,
    stream: TextIO | None = None,
) -> ProcessFields:
    """Send every log record to ``stream`` (stderr), one event per line; the process's fields,
    to ``bind`` the environment to once it is known."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter() if log_format == "json" else TextFormatter())
    fields = ProcessFields()
    handler.addFilter(fields)
    root = logging.getLogger()
    for existing in list(root.handlers):
        root.removeHandler(existing)
    root.addHandler(handler)
    root.setLevel(level)
    for noisy in _NOISY:
        logging.getLogger(noisy).setLevel(max(level, logging.WARNING))
    return fields
