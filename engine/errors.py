"""The one error tree of CloudPhoenix.

Callers catch these, never an SDK's own exceptions: adapters re-raise SDK errors as one of
these ``from exc`` at their boundary.

    PhoenixError
    ├── ConfigError            a phoenix.yaml that cannot be used; carries one Problem per fault
    ├── SecretError            a secret reference that cannot be resolved (never the value)
    └── SignalError            a collector could not produce a reading
        ├── ProbeTimeout       the probe ran past its timeout
        └── BadAnswer          the far end answered, but not with anything we can read
"""

from __future__ import annotations

from dataclasses import dataclass


class PhoenixError(Exception):
    """Base of every error CloudPhoenix raises on purpose."""


@dataclass(frozen=True)
class Problem:
    """One fault in a configuration: where (a field path such as ``signals[2].url``) and what."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


class ConfigError(PhoenixError):
    """A configuration that cannot be used. ``problems`` lists every fault, one per line."""

    def __init__(self, source: str, problems: list[Problem]) -> None:
        self.source = source
        self.problems = problems
        lines = "\n".join(str(p) for p in problems)
        super().__init__(f"{source}: {len(problems)} problem(s)\n{lines}")


class SecretError(PhoenixError):
    """A secret reference that cannot be resolved. The message names the reference only."""


class SignalError(PhoenixError):
    """A collector could not produce a reading; the evaluation records it as ``unknown``."""


class ProbeTimeout(SignalError):
    """The probe did not answer within its timeout."""


class BadAnswer(SignalError):
    """The far end answered with something that cannot be read as a measurement."""
