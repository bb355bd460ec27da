"""Retry policy as data, with Temporal's field names. The runner owns retries, never a stage.

A policy given in phoenix.yaml overrides only the fields it names; the rest come from the
stage kind's own policy (see ``RetryPolicy.over``).
"""

from __future__ import annotations

from datetime import timedelta

from pydantic import BaseModel, ConfigDict, Field

from engine.duration import Duration, format_duration
from engine.errors import StageError, StageFatal


class RetryPolicy(BaseModel):
    """Temporal's retry policy fields."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    initial_interval: Duration = timedelta(seconds=1)
    backoff_coefficient: float = Field(default=2.0, ge=1.0)
    maximum_interval: Duration = timedelta(seconds=60)
    maximum_attempts: int = Field(default=3, ge=0)
    """0 means unlimited: retried until it succeeds or fails with a non-retryable error."""
    non_retryable: list[str] = Field(default_factory=list)
    """Error types that are never retried (a stage error's ``error_type`` or a class name)."""

    def over(self, base: RetryPolicy) -> RetryPolicy:
        """This policy's explicitly given fields laid over ``base``."""
        return base.model_copy(update={name: getattr(self, name) for name in self.model_fields_set})

    def delay(self, failed_attempts: int) -> timedelta:
        """The wait before the next attempt, after ``failed_attempts`` (>= 1) failures."""
        seconds = self.initial_interval.total_seconds() * self.backoff_coefficient ** (
            failed_attempts - 1
        )
        return min(timedelta(seconds=seconds), self.maximum_interval)

    def retries(self, error: BaseException, failed_attempts: int) -> bool:
        """Whether another attempt follows ``failed_attempts`` failures ending with ``error``."""
        if isinstance(error, StageFatal) or error_types(error) & set(self.non_retryable):
            return False
        return self.maximum_attempts == 0 or failed_attempts < self.maximum_attempts

    def describe(self) -> str:
        if self.maximum_attempts == 1:
            return "no retry"
        attempts = "unlimited" if self.maximum_attempts == 0 else f"{self.maximum_attempts}"
        text = (
            f"{attempts} attempts, backoff {format_duration(self.initial_interval)}"
            f" x{self.backoff_coefficient:g} up to {format_duration(self.maximum_interval)}"
        )
        if self.non_retryable:
            text += f", never retried: {', '.join(self.non_retryable)}"
        return text


def error_types(error: BaseException) -> set[str]:
    """The names a ``non_retryable`` entry can match: the error type and its class names."""
    names = {cls.__name__ for cls in type(error).__mro__ if issubclass(cls, BaseException)}
    if isinstance(error, StageError):
        names.add(error.error_type)
    return names
