"""A readiness check: a named look at one part of the DR side, and what it found.

``look`` reads through the same ports the stages act through and returns a ``Finding``; it may
raise any error of ``engine.errors``, which ``finding`` turns into a verdict: a cloud or a
secret store that does not answer (throttling, a timeout, 5xx) is ``unknown``; a refused
permission, a missing resource, a refused request or something missing from the configuration
is ``not_ready`` — a failover would meet the same refusal. The figures a finding carries are
named here, since the forecast reads them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Final

from engine.errors import (
    CloudUnavailable,
    SecretError,
    SecretUnavailable,
    StageError,
    StageFatal,
)
from engine.readiness import Area, Verdict
from engine.stages import Ports

log = logging.getLogger(__name__)

LAG_SECONDS: Final = "lag_seconds"
"""The replication lag of the database that feeds the DR side."""
SCALE_NEEDED: Final = "scale_needed"
"""1 when the DR database is not at the objective the failover scales it to."""
PODS_TO_START: Final = "pods_to_start"
"""Pods the failover must start on the DR side (its targets minus what is available)."""
BACKLOG_OBJECTS: Final = "backlog_objects"
BACKLOG_BYTES: Final = "backlog_bytes"
OLDEST_SECONDS: Final = "oldest_seconds"
"""The age of the oldest object not yet copied to the DR side (0 when none is behind)."""


@dataclass(frozen=True)
class Finding:
    verdict: Verdict
    reason: str
    measured: Mapping[str, float] = field(default_factory=dict)


def ready(reason: str, **measured: float) -> Finding:
    return Finding(Verdict.READY, reason, measured)


def not_ready(reason: str, **measured: float) -> Finding:
    return Finding(Verdict.NOT_READY, reason, measured)


def unknown(reason: str, **measured: float) -> Finding:
    return Finding(Verdict.UNKNOWN, reason, measured)


Look = Callable[[Ports], Finding]


@dataclass(frozen=True)
class Check:
    name: str
    """Unique within a sweep: the kind (``traffic-manager``), or ``kind:stage`` when the plan
    has that kind twice."""
    kind: str
    """What ``readiness.checks`` turns on or off, e.g. ``traffic-manager``."""
    area: Area
    subject: str
    """What it looks at, for people: ``Traffic Manager profile phoenix``."""
    look: Look


def finding(check: Check, ports: Ports) -> Finding:
    """What ``check`` found, an error of its look turned into a verdict (see the module)."""
    try:
        return check.look(ports)
    except (CloudUnavailable, SecretUnavailable) as exc:
        return unknown(f"did not answer: {exc}")
    except (StageFatal, SecretError) as exc:
        return not_ready(str(exc))
    except StageError as exc:
        return unknown(str(exc))
    except Exception as exc:
        log.exception("readiness check %s failed", check.name)
        return unknown(f"the check failed: {type(exc).__name__}")
