"""Structured logs: one JSON object per line, with ``incident_id`` / ``run_id`` / ``stage``
(and any other ``extra=``) bound, and never a secret.

Secrets are kept out twice: tokens live in ``SecretStr`` settings (their str is ``**********``),
and this formatter masks anything shaped like a Slack token or a password in a URL, in case a
library logs one.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import traceback
from datetime import UTC, datetime
from typing import Any, TextIO

_STANDARD = frozenset(
    logging.LogRecord("", 0, "", 0, "", None, None).__dict__.keys() | {"message", "asctime"}
)
_SECRETS = (
    re.compile(r"xox[abposr]-[A-Za-z0-9-]+"),
    re.compile(r"xapp-[A-Za-z0-9-]+"),
    re.compile(r"(?<=://)([^:/@\s]*):([^@/\s]+)@"),
)


def redact(text: str) -> str:
    for pattern in _SECRETS[:2]:
        text = pattern.sub("[redacted]", text)
    return _SECRETS[2].sub(r"\1:[redacted]@", text)


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        event: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "event": record.getMessage(),
            "thread": record.threadName,
        }
        for key, value in record.__dict__.items():
            if key not in _STANDARD and not key.startswith("_"):
                event[key] = value if isinstance(value, int | float | bool | None) else str(value)
        if record.exc_info:
            event["error"] = "".join(traceback.format_exception(*record.exc_info)).rstrip()
        return redact(json.dumps(event, ensure_ascii=False, default=str))


def configure(level: int = logging.INFO, stream: TextIO | None = None) -> None:
    """Send every log record to ``stream`` (stderr) as JSON lines."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    for existing in list(root.handlers):
        root.removeHandler(existing)
    root.addHandler(handler)
    root.setLevel(level)
    for noisy in ("apscheduler", "slack_sdk", "slack_bolt", "urllib3", "httpx", "websocket"):
        logging.getLogger(noisy).setLevel(max(level, logging.WARNING))
