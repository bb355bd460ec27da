"""/health, /live, /ready and /metrics, as one WSGI app.

/live (and its older name /health) answers 200 while the process serves: a kubelet restarts a
pod whose liveness fails, and restarting would not bring Slack or the store back — it would
only stop the runs in progress. /ready answers 200 only when the store answers, the
configuration is loaded and Slack is reachable (Socket Mode connected, or the Web API
answering in HTTP mode); otherwise 503 with one line naming what is missing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from bot.metrics import Metrics
from bot.reporter.slack import SlackReporter
from engine.errors import StoreError
from engine.store import Store

StartResponse = Callable[..., Any]


class HealthRoutes:
    def __init__(
        self,
        *,
        store: Store,
        reporter: SlackReporter,
        slack_problem: Callable[[], str | None] = lambda: None,
        metrics: Metrics | None = None,
        config_loaded: Callable[[], bool] = lambda: True,
    ) -> None:
        self._store = store
        self._reporter = reporter
        self._slack_problem = slack_problem
        self._metrics = metrics
        self._config_loaded = config_loaded

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if environ.get("REQUEST_METHOD") not in ("GET", "HEAD"):
            return _text(start_response, "405 Method Not Allowed", "use GET\n", allow="GET, HEAD")
        if path in ("/health", "/live"):
            return _text(start_response, "200 OK", "ok\n")
        if path == "/ready":
            problems = self.problems()
            if problems:
                return _text(start_response, "503 Service Unavailable", "; ".join(problems) + "\n")
            return _text(start_response, "200 OK", "ready\n")
        if path == "/metrics":
            return _text(start_response, "200 OK", self._text(), "text/plain; version=0.0.4")
        return _text(start_response, "404 Not Found", "not found\n")

    def problems(self) -> list[str]:
        """What keeps the replica from being ready; empty when it is."""
        problems = []
        if not self._store_up():
            problems.append("store unavailable")
        slack = self._slack_problem()
        if slack is not None:
            problems.append(slack)
        if not self._config_loaded():
            problems.append("configuration not loaded")
        return problems

    def _store_up(self) -> bool:
        try:
            self._store.ping()
        except StoreError:
            return False
        return True

    def _text(self) -> str:
        if self._metrics is not None:
            return self._metrics.text().decode()
        stats = self._reporter.stats
        lines = []
        for name, value, help_text in (
            ("phoenix_slack_posts_total", stats.posts, "Messages posted."),
            ("phoenix_slack_edits_total", stats.edits, "Messages edited (chat.update)."),
            ("phoenix_slack_coalesced_total", stats.coalesced, "Updates replaced before sent."),
            ("phoenix_slack_rate_limited_total", stats.rate_limited, "429 answers honoured."),
            ("phoenix_slack_failures_total", stats.failures, "Slack calls that failed."),
        ):
            lines += [f"# HELP {name} {help_text}", f"# TYPE {name} counter", f"{name} {value}"]
        up = 1 if self._store_up() else 0
        lines += [
            "# HELP phoenix_store_up Whether the state store answers.",
            "# TYPE phoenix_store_up gauge",
            f"phoenix_store_up {up}",
        ]
        return "\n".join(lines) + "\n"


def _text(
    start_response: StartResponse,
    status: str,
    body: str,
    kind: str = "text/plain; charset=utf-8",
    allow: str | None = None,
) -> list[bytes]:
    data = body.encode()
    headers = [("Content-Type", kind), ("Content-Length", str(len(data)))]
    if allow is not None:
        headers.append(("Allow", allow))
    start_response(status, headers)
    return [data]
