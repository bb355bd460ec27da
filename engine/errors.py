"""The one error tree of CloudPhoenix.

Callers catch these, never an SDK's own exceptions: adapters re-raise SDK errors as one of
these ``from exc`` at their boundary.

    PhoenixError
    ├── ConfigError            a phoenix.yaml that cannot be used; carries one Problem per fault
    ├── SecretError            a secret reference that cannot be resolved (never the value)
    │   └── SecretUnavailable  the secret store did not answer, throttled us or failed (5xx)
    ├── DirectoryUnavailable   Slack's directory could not say who is in a user group
    ├── SignalError            a collector could not produce a reading
    │   ├── ProbeTimeout       the probe ran past its timeout
    │   └── BadAnswer          the far end answered, but not with anything we can read
    ├── StageError             a stage could not reach its end state; the runner decides what next
    │   ├── StageRetryable     a transient fault: retried under the stage's retry policy
    │   │   ├── CloudUnavailable   a cloud API throttled, timed out, was unreachable or failed (5xx)
    │   │   └── SyncIncomplete     an object sync left objects uncopied or unverified
    │   ├── StageFatal         retrying cannot help: the stage fails at once
    │   │   ├── CloudAccessDenied  our identity lacks a permission (names resource and action)
    │   │   ├── CloudNotFound      the named cloud resource does not exist
    │   │   └── CloudRejected      the cloud refused the request as made (bad input, wrong state)
    │   ├── StageTimeout       the attempt ran past the stage's timeout and was cancelled
    │   └── StageCancelled     the attempt was asked to stop (timeout, lost lease, shutdown)
    ├── RunError               a run cannot do what was asked, in the state it is in
    │   ├── UnknownPlan        no plan of that name
    │   ├── RunNotFound        no run with that id
    │   ├── RunBusy            another runner holds the run's lease
    │   ├── WrongRunState      the run's state does not allow the request (e.g. retry, not paused)
    │   └── PlanChanged        the plan changed since the run started: resuming it is refused
    └── StoreError             the state store failed, or refused a write
        ├── StoreUnavailable   the store cannot be opened or reached (a bad store URL included)
        │   └── StoreNotCreated    a reader found no store where one was named: nothing recorded yet
        ├── LeaseLost          the lease is not held with this token: fenced out, nothing written
        └── Conflict           a compare-and-set found another state, or the id already exists
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


class SecretUnavailable(SecretError):
    """The secret store could not be reached, throttled us or failed on its side: another try
    later may succeed (a refused or missing secret is a plain ``SecretError``)."""


class DirectoryUnavailable(PhoenixError):
    """The directory that resolves user groups (Slack's) could not answer: nobody is
    authorised through a group until it does, never the other way round."""


class SignalError(PhoenixError):
    """A collector could not produce a reading; the evaluation records it as ``unknown``."""


class ProbeTimeout(SignalError):
    """The probe did not answer within its timeout."""


class BadAnswer(SignalError):
    """The far end answered with something that cannot be read as a measurement."""


class StageError(PhoenixError):
    """A stage could not reach its end state. Stages raise a subclass; the runner owns retries.

    ``error_type`` names the fault for a retry policy's ``non_retryable`` list (Temporal's
    application error type); it defaults to the class name.
    """

    def __init__(self, message: str, *, error_type: str | None = None) -> None:
        super().__init__(message)
        self.error_type = error_type or type(self).__name__


class StageRetryable(StageError):
    """A transient fault (throttling, a timeout of a call, a resource still converging)."""


class StageFatal(StageError):
    """A fault that another attempt cannot fix (bad input, missing resource, refused access)."""


class StageTimeout(StageError):
    """The attempt ran past the stage's timeout; it was cancelled and counts as a failed attempt."""


class StageCancelled(StageError):
    """Raised inside a stage that was asked to stop; the stage should let it propagate."""


class RunError(PhoenixError):
    """A run cannot do what was asked. The message is a sentence a person can act on."""


class UnknownPlan(RunError):
    """No plan of that name is configured or built in."""


class RunNotFound(RunError):
    """No run with that id is in the store."""


class RunBusy(RunError):
    """Another runner holds the run's lease: the run is already being executed."""


class WrongRunState(RunError):
    """The run's state does not allow the request (e.g. retrying a run that is not paused)."""


class PlanChanged(RunError):
    """The run's plan changed since the run started; resuming it would mix two plans."""


class StoreError(PhoenixError):
    """The state store failed, or refused a write."""


class StoreUnavailable(StoreError):
    """The store cannot be opened or reached; nothing was written. The bot is not ready."""


class StoreNotCreated(StoreUnavailable):
    """Opened only to read, the store does not exist yet: nothing was ever recorded there (or
    its location is wrong). A reader may treat it as empty; the message names the location."""


class LeaseLost(StoreError):
    """The lease is not held with this owner and fencing token: the write was refused."""


class Conflict(StoreError):
    """A compare-and-set write found another state than expected, or the id already exists."""


class CloudUnavailable(StageRetryable):
    """A cloud API throttled us, timed out, could not be reached or failed on its side (5xx).

    Adapters raise it ``from`` the SDK's error; the message names the service and resource.
    """


class SyncIncomplete(StageRetryable):
    """An object sync finished with objects it could not copy or verify; a re-run copies only
    what is still missing or different."""


class CloudAccessDenied(StageFatal):
    """Our cloud identity may not do this. The message names the resource and, where known, the
    permission (IAM action, Azure RBAC action, Kubernetes verb) that is missing."""

    def __init__(self, message: str, *, resource: str, action: str | None = None) -> None:
        super().__init__(message)
        self.resource = resource
        self.action = action


class CloudNotFound(StageFatal):
    """The named cloud resource (bucket, database, record, deployment ...) does not exist."""

    def __init__(self, message: str, *, resource: str) -> None:
        super().__init__(message)
        self.resource = resource


class CloudRejected(StageFatal):
    """The cloud refused the request as made: invalid input, a conflict, an unsupported call."""
