"""A local Jenkins fake that behaves as Jenkins's remote access API does.

Each behaviour cites where Jenkins documents or implements it (jenkinsci/jenkins, ``core/``):
- ``buildWithParameters`` keeps only the parameters the job declares, taking the default for
  a declared one that is not given (``ParametersDefinitionProperty.buildWithParameters``
  reads one value per ``ParameterDefinition``; others in the request are never read). On a
  job that declares none, it fails with 500 (``ParameterizedJobMixIn.doBuildWithParameters``:
  "This build is not parameterized!").
- It answers ``201 Created`` with ``Location: <root>/queue/item/N/`` (same method:
  ``rsp.sendRedirect(SC_CREATED, ... item.getUrl())``), and the same item again while an
  item of the job with equal parameters still waits (``Queue.scheduleInternal``: duplicates
  give ``ScheduleResult.existing``).
- ``/queue/item/N/api/json`` carries ``executable`` (number, url) once the item has left the
  queue for a build; a left item is forgotten after five minutes (``Queue.leftItems``,
  ``expireAfterWrite(5 * 60, SECONDS)``), then it is 404.
- ``/queue/api/json`` lists the items still waiting, with their task and parameters; a left
  item is no longer among them (``Queue.getItems``).
- ``/job/NAME/api/json`` exports the job's ``property`` list, the parameters it declares in a
  ``hudson.model.ParametersDefinitionProperty`` (``parameterDefinitions``), and its builds,
  newest first, each with its ``ParametersAction`` parameters.
- CSRF: ``/crumbIssuer/api/json`` issues a crumb bound to the web session it creates
  (Jenkins handbook, "CSRF Protection": the crumb encodes the user and the web session ID),
  and a POST authenticated with a password needs that crumb in that session; since Jenkins
  2.96 a POST authenticated with an API token needs none (developer guide, "Miscellaneous
  API Usage Recommendations", CrumbExclusion). A restart ends every session, and so every
  crumb.

The test moves a queue item to a build and the build to SUCCESS or FAILURE.
"""

from __future__ import annotations

import base64
import itertools
import re
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final
from urllib.parse import parse_qs, quote, unquote, urlsplit

from engine.stages.jenkins import RUN_PARAMETER
from tests.support.http_fake import FakeServer, JsonHandler

_TRIGGER = re.compile(r"^(?P<job>(?:/job/[^/]+)+)/buildWithParameters$")
_QUEUE_ITEM = re.compile(r"^/queue/item/(?P<id>\d+)/api/json$")
_BUILD = re.compile(r"^(?P<job>(?:/job/[^/]+)+)/(?P<number>\d+)/api/json$")
_JOB = re.compile(r"^(?P<job>(?:/job/[^/]+)+)/api/json$")
_SESSION_COOKIE: Final = "JSESSIONID.phoenixfake"
_NOT_FOUND: Final = b"<html>Not Found</html>"
_CONCURRENCY_PROPERTY: Final = (
    "org.jenkinsci.plugins.workflow.job.properties.DisableConcurrentBuildsJobProperty"
)


@dataclass
class _Build:
    number: int
    parameters: dict[str, str]
    result: str | None = None


@dataclass
class _Job:
    declared: dict[str, str]
    """Parameter name -> default value, in declaration order."""
    builds: list[_Build] = field(default_factory=list)


@dataclass
class _Item:
    job: str
    parameters: dict[str, str]
    build: int | None = None
    cancelled: bool = False
    forgotten: bool = False


class JenkinsFake(FakeServer):
    def __init__(self, user: str, token: str, *, password: str | None = None) -> None:
        self._token_login = _basic(user, token)
        self._password_login = _basic(user, password) if password is not None else None
        self.jobs: dict[str, _Job] = {}
        self.queue: dict[int, _Item] = {}
        self.triggers = 0
        """``buildWithParameters`` requests Jenkins accepted."""
        self._crumbs: dict[str, str] = {}
        """Web session -> the crumb issued in it."""
        self._ids = itertools.count(100)
        super().__init__(_JenkinsHandler)

    def reset(self) -> None:
        with self.lock:
            self.jobs.clear()
            self.queue.clear()
            self._crumbs.clear()
            self.triggers = 0
        self.faults.clear()

    def restart(self) -> None:
        """Jenkins restarted: every web session, and the crumb bound to it, is gone."""
        with self.lock:
            self._crumbs.clear()

    def add_job(self, name: str, parameters: Iterable[str] = (RUN_PARAMETER,)) -> None:
        """A job declaring ``parameters`` as string parameters with an empty default."""
        with self.lock:
            self.jobs[name] = _Job(dict.fromkeys(parameters, ""))

    def start_next(self) -> int:
        """The oldest waiting queue item becomes a running build; returns its number."""
        with self.lock:
            item = next(q for _, q in sorted(self.queue.items()) if _waiting(q))
            job = self.jobs[item.job]
            build = _Build(len(job.builds) + 1, item.parameters)
            job.builds.append(build)
            item.build = build.number
            return build.number

    def finish(self, job: str, number: int, result: str) -> None:
        with self.lock:
            self.jobs[job].builds[number - 1].result = result

    def cancel_next(self) -> None:
        with self.lock:
            item = next(q for _, q in sorted(self.queue.items()) if _waiting(q))
            item.cancelled = True

    def forget_left_items(self) -> None:
        """Five minutes have passed: items that left the queue are no longer known."""
        with self.lock:
            for item in self.queue.values():
                if not _waiting(item):
                    item.forgotten = True

    def waiting(self) -> int:
        with self.lock:
            return sum(1 for item in self.queue.values() if _waiting(item))


def _basic(user: str, secret: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{secret}".encode()).decode()


def _waiting(item: _Item) -> bool:
    return item.build is None and not item.cancelled


def _job_name(path: str) -> str:
    return "/".join(unquote(p) for p in path.split("/job/")[1:])


def _job_path(job: str) -> str:
    return "".join(f"/job/{quote(p, safe='')}" for p in job.split("/"))


class _JenkinsHandler(JsonHandler):
    def _serve(self) -> None:
        fake: JenkinsFake = self.owner
        if self.fault():
            return
        # Read whole before any answer, so that a refused request leaves nothing on the
        # keep-alive connection.
        body = self.body()
        login = self.headers.get("Authorization")
        if login not in (fake._token_login, fake._password_login) or login is None:
            self.send(401, b"<html>Unauthorized</html>", content_type="text/html")
            return
        url = urlsplit(self.path)
        base = f"http://{self.headers.get('Host')}"
        with fake.lock:
            if url.path == "/crumbIssuer/api/json":
                self._issue_crumb(fake)
                return
            if self.command == "POST" and not self._crumb_holds(fake, login):
                self.send(403, b"<html>No valid crumb was included in the request</html>")
                return
            trigger = _TRIGGER.match(url.path)
            if trigger and self.command == "POST":
                self._trigger(fake, _job_name(trigger["job"]), base, body)
                return
            if url.path == "/queue/api/json":
                self._queue(fake, base)
                return
            item = _QUEUE_ITEM.match(url.path)
            if item:
                self._queue_item(fake, int(item["id"]), base)
                return
            build = _BUILD.match(url.path)
            if build:
                self._build(fake, _job_name(build["job"]), int(build["number"]), base)
                return
            job = _JOB.match(url.path)
            if job:
                self._job(fake, _job_name(job["job"]), base)
                return
        self.send(404, _NOT_FOUND, content_type="text/html")

    do_GET = do_POST = _serve

    def _issue_crumb(self, fake: JenkinsFake) -> None:
        session = secrets.token_hex(8)
        crumb = secrets.token_hex(16)
        fake._crumbs[session] = crumb
        self.send(
            200,
            {
                "_class": "hudson.security.csrf.DefaultCrumbIssuer",
                "crumb": crumb,
                "crumbRequestField": "Jenkins-Crumb",
            },
            {"Set-Cookie": f"{_SESSION_COOKIE}={session}; Path=/; HttpOnly"},
        )

    def _crumb_holds(self, fake: JenkinsFake, login: str) -> bool:
        if login == fake._token_login:
            return True  # API tokens are exempt from CSRF protection (Jenkins 2.96+)
        cookies = dict(
            part.strip().split("=", 1)
            for part in (self.headers.get("Cookie") or "").split(";")
            if "=" in part
        )
        session = cookies.get(_SESSION_COOKIE)
        crumb = fake._crumbs.get(session or "")
        return crumb is not None and self.headers.get("Jenkins-Crumb") == crumb

    def _trigger(self, fake: JenkinsFake, name: str, base: str, body: bytes) -> None:
        job = fake.jobs.get(name)
        if job is None:
            self.send(404, _NOT_FOUND, content_type="text/html")
            return
        form = {k: v[0] for k, v in parse_qs(body.decode()).items()}
        if not job.declared:
            self.send(
                500,
                b"<html>java.lang.IllegalStateException: This build is not parameterized!</html>",
                content_type="text/html",
            )
            return
        parameters = {p: form.get(p, default) for p, default in job.declared.items()}
        fake.triggers += 1
        for item_id, item in sorted(fake.queue.items()):
            if _waiting(item) and item.job == name and item.parameters == parameters:
                self.send(201, b"", {"Location": f"{base}/queue/item/{item_id}/"})
                return
        item_id = next(fake._ids)
        fake.queue[item_id] = _Item(name, parameters)
        self.send(201, b"", {"Location": f"{base}/queue/item/{item_id}/"})

    def _item_json(self, item_id: int, item: _Item, base: str) -> dict[str, Any]:
        path = _job_path(item.job)
        executable = None
        if item.build is not None:
            executable = {"number": item.build, "url": f"{base}{path}/{item.build}/"}
        waiting = _waiting(item)
        return {
            "_class": "hudson.model.Queue$WaitingItem"
            if waiting
            else "hudson.model.Queue$LeftItem",
            "id": item_id,
            "url": f"queue/item/{item_id}/",
            "task": {
                "_class": "org.jenkinsci.plugins.workflow.job.WorkflowJob",
                "name": item.job.rsplit("/", 1)[-1],
                "url": f"{base}{path}/",
            },
            "actions": [
                _parameters_action(item.parameters),
                {"_class": "hudson.model.CauseAction"},
            ],
            "cancelled": item.cancelled,
            "executable": executable,
            "why": "Waiting for next available executor" if waiting else None,
        }

    def _queue(self, fake: JenkinsFake, base: str) -> None:
        items = [
            self._item_json(item_id, item, base)
            for item_id, item in sorted(fake.queue.items())
            if _waiting(item)
        ]
        self.send(200, {"_class": "hudson.model.Queue", "discoverableItems": [], "items": items})

    def _queue_item(self, fake: JenkinsFake, item_id: int, base: str) -> None:
        item = fake.queue.get(item_id)
        if item is None or item.forgotten:
            self.send(404, _NOT_FOUND, content_type="text/html")
            return
        self.send(200, self._item_json(item_id, item, base))

    def _build_json(self, job: str, build: _Build, base: str) -> dict[str, Any]:
        return {
            "_class": "org.jenkinsci.plugins.workflow.job.WorkflowRun",
            "number": build.number,
            "url": f"{base}{_job_path(job)}/{build.number}/",
            "building": build.result is None,
            "result": build.result,
            "actions": [_parameters_action(build.parameters), {}],
        }

    def _build(self, fake: JenkinsFake, job: str, number: int, base: str) -> None:
        known = fake.jobs.get(job)
        if known is None or not 0 < number <= len(known.builds):
            self.send(404, _NOT_FOUND, content_type="text/html")
            return
        self.send(200, self._build_json(job, known.builds[number - 1], base))

    def _job(self, fake: JenkinsFake, name: str, base: str) -> None:
        job = fake.jobs.get(name)
        if job is None:
            self.send(404, _NOT_FOUND, content_type="text/html")
            return
        properties: list[dict[str, Any]] = [{"_class": _CONCURRENCY_PROPERTY}]
        if job.declared:
            properties.append(
                {
                    "_class": "hudson.model.ParametersDefinitionProperty",
                    "parameterDefinitions": [_definition(p, d) for p, d in job.declared.items()],
                }
            )
        self.send(
            200,
            {
                "_class": "org.jenkinsci.plugins.workflow.job.WorkflowJob",
                "name": name.rsplit("/", 1)[-1],
                "fullName": name,
                "property": properties,
                "builds": [self._build_json(name, b, base) for b in reversed(job.builds)],
            },
        )


def _parameters_action(parameters: Mapping[str, str]) -> dict[str, Any]:
    return {
        "_class": "hudson.model.ParametersAction",
        "parameters": [
            {"_class": "hudson.model.StringParameterValue", "name": k, "value": v}
            for k, v in parameters.items()
        ],
    }


def _definition(name: str, default: str) -> dict[str, Any]:
    return {
        "_class": "hudson.model.StringParameterDefinition",
        "defaultParameterValue": {
            "_class": "hudson.model.StringParameterValue",
            "name": name,
            "value": default,
        },
        "description": "",
        "name": name,
        "type": "StringParameterDefinition",
    }
