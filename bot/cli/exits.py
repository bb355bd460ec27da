"""The exit statuses of every ``phoenix`` command, documented in ``phoenix --help`` and the
README from this one table."""

from __future__ import annotations

OK = 0
FAILED = 1
BAD_INPUT = 2
REFUSED = 3
INTERRUPTED = 130
READER_GONE = 141

MEANINGS: tuple[tuple[int, str], ...] = (
    (OK, "done"),
    (
        FAILED,
        "a check failed: no such run, a store that cannot be read, a failed scenario, a DR "
        "readiness check not ready",
    ),
    (BAD_INPUT, "bad input: a usage error, an invalid phoenix.yaml or setting, an unknown plan"),
    (REFUSED, "refused: the rules do not allow that decision (who may, the run's state)"),
    (INTERRUPTED, "interrupted (Ctrl-C)"),
    (READER_GONE, "the reader of the output went away (e.g. piped into head), as for SIGPIPE"),
)


class CommandFailed(Exception):
    """A command stops with ``status``; ``lines`` (to stderr) say why."""

    def __init__(self, status: int, *lines: str) -> None:
        super().__init__(*lines)
        self.status = status
        self.lines = lines
