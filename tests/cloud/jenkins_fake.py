"""A local Jenkins fake: ``buildWithParameters`` (behind a CSRF crumb and basic auth) queues
an item whose ``Location`` the client follows; the test moves the item to a build and the
build to SUCCESS or FAILURE."""

from __future__ import annotations

import base64
import itertools
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from tests.cloud.http_base import FakeServer, JsonHandler

_TRIGGER = re.compile(r"^(?P<job>(?:/job/[^/]+)+)/buildWithParameters$")
_QUEUE = re.compile(r"^/queue/item/(?P<id>\d+)/api/json$")
_BUILD = re.compile(r"^(?P<job>(?:/job/[^/]+)+)/(?P<number>\d+)/api/json$")
_JOB = re.compile(r"^(?P<job>(?:/job/[^/]+)+)/api/json$")


@dataclass
class _Build:
    number: int
    parameters: dict[str, str]
    result: str | None = None


@dataclass
class _Job:
    builds: list[_Build] = field(default_factory=list)


class JenkinsFake(FakeServer):
    CRUMB = "crumb-0123"

    def __init__(self, user: str, token: str) -> None:
        self.credentials = "Basic " + base64.b64encode(f"{user}:{token}".encode()).decode()
        self.jobs: dict[str, _Job] = {}
        self.queue: dict[int, dict[str, Any]] = {}
        self.triggers = 0
        self._ids = itertools.count(100)
        super().__init__(_JenkinsHandler)

    def reset(self) -> None:
        with self.lock:
            self.jobs.clear()
            self.queue.clear()
            self.triggers = 0
        self.faults.clear()

    def add_job(self, name: str) -> None:
        with self.lock:
            self.jobs[name] = _Job()

    def start_next(self) -> int:
        """The oldest waiting queue item becomes a running build; returns its number."""
        with self.lock:
            item = next(q for _, q in sorted(self.queue.items()) if "build" not in q)
            job = self.jobs[item["job"]]
            build = _Build(len(job.builds) + 1, item["parameters"])
            job.builds.append(build)
            item["build"] = build.number
            return build.number

    def finish(self, job: str, number: int, result: str) -> None:
        with self.lock:
            self.jobs[job].builds[number - 1].result = result

    def cancel_next(self) -> None:
        with self.lock:
            item = next(q for _, q in sorted(self.queue.items()) if "build" not in q)
            item["cancelled"] = True


def _job_name(path: str) -> str:
    return "/".join(unquote(p) for p in path.split("/job/")[1:])


class _JenkinsHandler(JsonHandler):
    def _serve(self) -> None:
        fake: JenkinsFake = self.owner
        if self.fault():
            return
        if self.headers.get("Authorization") != fake.credentials:
            self.send(401, b"<html>Unauthorized</html>", content_type="text/html")
            return
        url = urlsplit(self.path)
        base = f"http://{self.headers.get('Host')}"
        with fake.lock:
            if url.path == "/crumbIssuer/api/json":
                self.send(200, {"crumbRequestField": "Jenkins-Crumb", "crumb": fake.CRUMB})
                return
            trigger = _TRIGGER.match(url.path)
            if trigger and self.command == "POST":
                self._trigger(fake, _job_name(trigger["job"]), base)
                return
            queue = _QUEUE.match(url.path)
            if queue:
                self._queue_item(fake, int(queue["id"]), base)
                return
            build = _BUILD.match(url.path)
            if build:
                self._build(fake, _job_name(build["job"]), int(build["number"]), base)
                return
            job = _JOB.match(url.path)
            if job:
                self._job(fake, _job_name(job["job"]), base)
                return
        self.send(404, b"<html>Not Found</html>", content_type="text/html")

    do_GET = do_POST = _serve

    def _trigger(self, fake: JenkinsFake, job: str, base: str) -> None:
        if self.headers.get("Jenkins-Crumb") != fake.CRUMB:
            self.send(403, b"<html>No valid crumb was included in the request</html>")
            return
        if job not in fake.jobs:
            self.send(404, b"<html>Not Found</html>", content_type="text/html")
            return
        form = parse_qs(self.body().decode())
        item_id = next(fake._ids)
        fake.queue[item_id] = {"job": job, "parameters": {k: v[0] for k, v in form.items()}}
        fake.triggers += 1
        self.send(201, b"", {"Location": f"{base}/queue/item/{item_id}/"})

    def _queue_item(self, fake: JenkinsFake, item_id: int, base: str) -> None:
        item = fake.queue.get(item_id)
        if item is None:
            self.send(404, b"<html>Not Found</html>", content_type="text/html")
            return
        executable = None
        if "build" in item:
            path = "".join(f"/job/{p}" for p in item["job"].split("/"))
            executable = {"number": item["build"], "url": f"{base}{path}/{item['build']}/"}
        self.send(
            200,
            {
                "_class": "hudson.model.Queue$LeftItem"
                if executable
                else "hudson.model.Queue$WaitingItem",
                "id": item_id,
                "cancelled": bool(item.get("cancelled")),
                "executable": executable,
                "why": None if executable else "Waiting for next available executor",
            },
        )

    def _build_json(self, job: str, build: _Build, base: str) -> dict[str, Any]:
        path = "".join(f"/job/{p}" for p in job.split("/"))
        return {
            "_class": "hudson.model.FreeStyleBuild",
            "number": build.number,
            "url": f"{base}{path}/{build.number}/",
            "building": build.result is None,
            "result": build.result,
            "actions": [
                {
                    "_class": "hudson.model.ParametersAction",
                    "parameters": [{"name": k, "value": v} for k, v in build.parameters.items()],
                },
                {},
            ],
        }

    def _build(self, fake: JenkinsFake, job: str, number: int, base: str) -> None:
        known = fake.jobs.get(job)
        if known is None or not 0 < number <= len(known.builds):
            self.send(404, b"<html>Not Found</html>", content_type="text/html")
            return
        self.send(200, self._build_json(job, known.builds[number - 1], base))

    def _job(self, fake: JenkinsFake, job: str, base: str) -> None:
        known = fake.jobs.get(job)
        if known is None:
            self.send(404, b"<html>Not Found</html>", content_type="text/html")
            return
        builds = [self._build_json(job, b, base) for b in reversed(known.builds)]
        self.send(200, {"_class": "hudson.model.FreeStyleProject", "name": job, "builds": builds})
