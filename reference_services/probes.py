"""What both services share: named dependency checks behind /health, /ready and /live, and
optional fault injection for rehearsals.

/live   the process answers (a stalled worker loop answers 503: restart me)
/ready  every dependency check passes right now (503 otherwise: take me out of rotation)
/health the checks as JSON, 200 only when all pass — what a DR scorer reads
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from flask import Flask, Response, jsonify


@dataclass(frozen=True)
class CheckResult:
    ok: bool
    detail: str


Check = Callable[[], CheckResult]


class Faults:
    """A rehearsal switch: ``down`` fails every endpoint, ``slow`` delays them."""

    MODES = ("ok", "down", "slow")

    def __init__(self, slow_seconds: float = 1.5) -> None:
        self._mode = "ok"
        self._lock = threading.Lock()
        self.slow_seconds = slow_seconds

    @property
    def mode(self) -> str:
        with self._lock:
            return self._mode

    def set(self, mode: str) -> None:
        if mode not in self.MODES:
            raise ValueError(mode)
        with self._lock:
            self._mode = mode


def run_checks(checks: dict[str, Check]) -> dict[str, CheckResult]:
    results = {}
    for name, check in checks.items():
        try:
            results[name] = check()
        # A check that breaks is a failed check, never a 500.
        except Exception as exc:  # noqa: BLE001
            results[name] = CheckResult(False, f"{type(exc).__name__}: {exc}"[:200])
    return results


def add_probe_routes(
    app: Flask,
    service: str,
    checks: dict[str, Check],
    *,
    alive: Callable[[], CheckResult] | None = None,
    faults: Faults | None = None,
) -> None:
    def injected() -> Response | None:
        if faults is None:
            return None
        mode = faults.mode
        if mode == "down":
            return _answer(jsonify(service=service, status="down", fault="down"), 503)
        if mode == "slow":
            time.sleep(faults.slow_seconds)
        return None

    @app.get("/live")
    def live() -> Response:
        if (fault := injected()) is not None:
            return fault
        result = alive() if alive is not None else CheckResult(True, "process answers")
        return _answer(
            jsonify(service=service, live=result.ok, detail=result.detail),
            200 if result.ok else 503,
        )

    @app.get("/ready")
    def ready() -> Response:
        if (fault := injected()) is not None:
            return fault
        results = run_checks(checks)
        ok = all(r.ok for r in results.values())
        failing = {n: r.detail for n, r in results.items() if not r.ok}
        return _answer(jsonify(service=service, ready=ok, failing=failing), 200 if ok else 503)

    @app.get("/health")
    def health() -> Response:
        if (fault := injected()) is not None:
            return fault
        results = run_checks(checks)
        ok = all(r.ok for r in results.values())
        body = {
            "service": service,
            "status": "ok" if ok else "failing",
            "checks": {n: {"ok": r.ok, "detail": r.detail} for n, r in results.items()},
        }
        return _answer(jsonify(body), 200 if ok else 503)

    if faults is not None:

        @app.post("/fault/<mode>")
        def fault(mode: str) -> Response:
            wanted = "ok" if mode == "restore" else mode
            if wanted not in Faults.MODES:
                return _answer(jsonify(error=f"unknown fault {mode!r}"), 404)
            faults.set(wanted)
            return _answer(jsonify(service=service, fault=faults.mode), 200)


def _answer(response: Response, status: int) -> Response:
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    return response
