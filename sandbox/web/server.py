"""The sandbox page: static files (``static/``), the emulator's test API under ``/_emulator/``
(served in process, the same routes as the emulator's own listener), and the fault panel
under ``/_sandbox/``."""

from __future__ import annotations

import json
import mimetypes
from pathlib import Path
from types import TracebackType
from typing import Any

from sandbox.runtime import FAULTS, Sandbox
from sandbox.scenarios import SCENARIOS
from sandbox.slack import control_http
from sandbox.slack.server import HttpAnswer, HttpListener, HttpRequest

STATIC = Path(__file__).resolve().parent / "static"


class SandboxPage:
    def __init__(self, sandbox: Sandbox, host: str = "127.0.0.1", port: int = 8787) -> None:
        self.sandbox = sandbox
        self._listener = HttpListener(host, port, self.answer, name="sandbox-page")
        self.host = host
        self.port = self._listener.port

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}/"

    def start(self) -> SandboxPage:
        self._listener.start()
        return self

    def stop(self) -> None:
        self._listener.stop()

    def __enter__(self) -> SandboxPage:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # ------------------------------------------------------------------ routes

    def answer(self, request: HttpRequest) -> HttpAnswer:
        path = request.path
        if path.startswith("/_emulator/"):
            return control_http.handle(self.sandbox.slack, request)
        if path == "/_sandbox/world" and request.method == "GET":
            return HttpAnswer(200, self._world())
        if path == "/_sandbox/fault" and request.method == "POST":
            try:
                fault = json.loads(request.body or b"{}").get("fault", "")
                done = self.sandbox.inject(fault)
            except (KeyError, ValueError, AttributeError):
                return HttpAnswer(400, {"ok": False, "error": "unknown fault", "known": [*FAULTS]})
            return HttpAnswer(200, {"ok": True, "done": done})
        if request.method == "GET":
            return _static(path)
        return HttpAnswer(404, {"ok": False, "error": "no such route"})

    def _world(self) -> dict[str, Any]:
        view: dict[str, Any] = dict(self.sandbox.snapshot())
        phoenix = self.sandbox.phoenix
        latest = phoenix.store.score_history(limit=1) if phoenix is not None else []
        if latest:
            sample = latest[-1]
            view["score"] = {
                "total": sample.total,
                "level": int(sample.level),
                "reason": sample.reason,
                "points": dict(sample.points),
            }
        sweep = phoenix.store.latest_readiness() if phoenix is not None else None
        if sweep is not None:
            view["readiness"] = {
                "plan": sweep.plan,
                "at": sweep.at.isoformat(),
                "ready": sweep.ready_count,
                "total": len(sweep.checks),
                "checks": [
                    {"name": c.name, "verdict": c.verdict.value, "reason": c.reason}
                    for c in sweep.checks
                ],
                "rto": {"seconds": sweep.rto.seconds, "complete": sweep.rto.complete},
                "rpo": {"seconds": sweep.rpo.seconds, "complete": sweep.rpo.complete},
            }
        view["fault_names"] = FAULTS
        view["scenarios"] = {name: s.summary for name, s in SCENARIOS.items()}
        view["interval"] = self.sandbox.options.interval
        return view


def _static(path: str) -> HttpAnswer:
    name = "index.html" if path in ("", "/") else path.removeprefix("/static/").lstrip("/")
    file = (STATIC / name).resolve()
    if not file.is_relative_to(STATIC) or not file.is_file():
        return HttpAnswer(404, {"ok": False, "error": "not found"})
    content_type = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
    if content_type.startswith("text/") or content_type.endswith("javascript"):
        content_type += "; charset=utf-8"
    return HttpAnswer(
        200, file.read_bytes(), {"Content-Type": content_type, "Cache-Control": "no-store"}
    )
