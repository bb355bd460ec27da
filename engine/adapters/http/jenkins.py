"""Jenkins parameterised jobs (``BuildServer``), through httpx and Jenkins's remote access
API (``.../api/json``).

A trigger POSTs ``buildWithParameters`` (with a CSRF crumb where the server issues one; a
crumb lives as long as the web session it was issued in, so a refused one is fetched again
once) and follows the queue item from its ``Location`` to the build it becomes. Jenkins keeps
only the parameters a job declares, which ``undeclared_parameters`` reads from the job's
``ParametersDefinitionProperty``. A build, or a request still waiting in the queue, is found
again by its parameters. The API token is resolved by the caller and only ever sent as
basic auth.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any
from urllib.parse import quote, unquote, urlsplit

import httpx

from engine.adapters.http.errors import status_error, transport_error
from engine.cloud_ports import JenkinsBuild, QueuedBuild
from engine.errors import CloudAccessDenied, CloudRejected, CloudUnavailable

RECENT_BUILDS = 50


class JenkinsServer:
    def __init__(
        self,
        url: str,
        user: str,
        api_token: str,
        *,
        timeout: float = 10.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self._base = url.rstrip("/")
        # httpx keeps the session cookie a crumb is bound to.
        self._http = httpx.Client(
            auth=(user, api_token), timeout=timeout, transport=transport, follow_redirects=True
        )
        self._crumb: dict[str, str] | None = None

    def __repr__(self) -> str:
        return f"JenkinsServer({self._base!r})"

    def trigger(self, job: str, parameters: Mapping[str, str]) -> QueuedBuild:
        where = _job(job)
        url = f"{self._base}{_job_path(job)}/buildWithParameters"
        data = dict(parameters)
        try:
            response = self._request(
                "POST", url, where, "Job/Build", data=data, headers=self._crumb_header()
            )
        except CloudAccessDenied:
            if not self._crumb:
                raise
            # The crumb died with its web session (Jenkins restarted, the session expired).
            self._crumb = None
            response = self._request(
                "POST", url, where, "Job/Build", data=data, headers=self._crumb_header()
            )
        location = response.headers.get("Location")
        if not location:
            raise CloudUnavailable(f"{where}: Jenkins queued no item (no Location in its answer)")
        return QueuedBuild(job, location if location.endswith("/") else location + "/")

    def undeclared_parameters(self, job: str, names: Collection[str]) -> list[str]:
        tree = "property[parameterDefinitions[name]]"
        data = self._json(f"{self._base}{_job_path(job)}/api/json?tree={quote(tree)}", _job(job))
        declared = {
            definition.get("name")
            for prop in data.get("property") or []
            if isinstance(prop, dict)
            for definition in prop.get("parameterDefinitions") or []
            if isinstance(definition, dict)
        }
        return [name for name in names if name not in declared]

    def build_of(self, queued: QueuedBuild) -> JenkinsBuild | None:
        item = self._json(f"{queued.queue_url}api/json", f"queue item of {_job(queued.job)}")
        if item.get("cancelled"):
            raise CloudRejected(f"Jenkins cancelled the queued build of {_job(queued.job)}")
        executable = item.get("executable")
        if not executable:
            return None
        return self.build(queued.job, int(executable["number"]))

    def build(self, job: str, number: int) -> JenkinsBuild:
        data = self._json(
            f"{self._base}{_job_path(job)}/{number}/api/json", f"build {number} of {_job(job)}"
        )
        return _build(job, data)

    def find_build(self, job: str, parameters: Mapping[str, str]) -> JenkinsBuild | None:
        fields = "number,url,building,result,actions[parameters[name,value]]"
        tree = f"builds[{fields}]{{0,{RECENT_BUILDS}}}"
        data = self._json(f"{self._base}{_job_path(job)}/api/json?tree={quote(tree)}", _job(job))
        for build in data.get("builds") or []:
            if isinstance(build, dict) and _carries(build, parameters):
                return _build(job, build)
        return None

    def find_queued(self, job: str, parameters: Mapping[str, str]) -> QueuedBuild | None:
        tree = "items[id,task[url],actions[parameters[name,value]]]"
        data = self._json(f"{self._base}/queue/api/json?tree={quote(tree)}", "Jenkins queue")
        job_path = unquote(urlsplit(self._base).path.rstrip("/") + _job_path(job)) + "/"
        for item in data.get("items") or []:
            if not isinstance(item, dict) or not isinstance(item.get("task"), dict):
                continue
            task_path = unquote(urlsplit(str(item["task"].get("url", ""))).path)
            if task_path == job_path and _carries(item, parameters):
                return QueuedBuild(job, f"{self._base}/queue/item/{int(item['id'])}/")
        return None

    def close(self) -> None:
        self._http.close()

    def _crumb_header(self) -> dict[str, str]:
        if self._crumb is None:
            response = self._request(
                "GET",
                f"{self._base}/crumbIssuer/api/json",
                "Jenkins crumb issuer",
                "Overall/Read",
                allow_missing=True,
            )
            if response.status_code == 404:
                self._crumb = {}  # CSRF protection is off, or the token needs no crumb
            else:
                data = response.json()
                self._crumb = {str(data["crumbRequestField"]): str(data["crumb"])}
        return self._crumb

    def _json(self, url: str, where: str) -> dict[str, Any]:
        response = self._request("GET", url, where, "Job/Read")
        try:
            data = response.json()
        except ValueError:
            raise CloudUnavailable(f"{where}: Jenkins did not answer JSON") from None
        if not isinstance(data, dict):
            raise CloudUnavailable(f"{where}: Jenkins answered no object")
        return data

    def _request(
        self,
        method: str,
        url: str,
        where: str,
        permission: str,
        *,
        allow_missing: bool = False,
        **kwargs: Any,
    ) -> httpx.Response:
        try:
            response = self._http.request(method, url, **kwargs)
        except httpx.HTTPError as exc:
            raise transport_error(exc, resource=where) from exc
        if allow_missing and response.status_code == 404:
            return response
        error = status_error(response, resource=where, action=f"{method} (needs {permission})")
        if error is not None:
            raise error
        return response


def _carries(found: Mapping[str, Any], parameters: Mapping[str, str]) -> bool:
    """Whether a build's or queue item's ``ParametersAction`` holds all of ``parameters``."""
    given = {
        p.get("name"): str(p.get("value"))
        for action in found.get("actions") or []
        if isinstance(action, dict)
        for p in action.get("parameters") or []
        if isinstance(p, dict)
    }
    return all(given.get(k) == v for k, v in parameters.items())


def _build(job: str, data: Mapping[str, Any]) -> JenkinsBuild:
    return JenkinsBuild(
        job=job,
        number=int(data["number"]),
        url=str(data.get("url", "")),
        building=bool(data.get("building")),
        result=data.get("result"),
    )


def _job_path(job: str) -> str:
    """``folder/name`` -> ``/job/folder/job/name``."""
    return "".join(f"/job/{quote(part, safe='')}" for part in job.strip("/").split("/"))


def _job(job: str) -> str:
    return f"Jenkins job {job}"
