"""Service A: the API. Ready only when its database answers and its S3 bucket is reachable.

    DATABASE_URL=sqlite:///data/app.db S3_BUCKET=app-assets \
        gunicorn 'reference_services.service_a:create_app()'
"""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, jsonify

from reference_services import dependencies, settings
from reference_services.probes import CheckResult, Faults, add_probe_routes


def create_app(config: settings.ServiceSettings | None = None, *, s3: Any = None) -> Flask:
    config = config or settings.load()
    app = Flask("service-a")
    client = s3 or dependencies.s3_client(config.s3_endpoint_url, config.check_timeout)

    def database() -> CheckResult:
        if not config.database_url:
            return CheckResult(False, "DATABASE_URL is not set")
        return dependencies.database_check(config.database_url, config.check_timeout)

    def bucket() -> CheckResult:
        if not config.bucket:
            return CheckResult(False, "S3_BUCKET is not set")
        return dependencies.bucket_check(client, config.bucket)

    add_probe_routes(
        app,
        "service-a",
        {"database": database, "s3": bucket},
        faults=Faults() if config.faults else None,
    )

    @app.get("/")
    def index() -> Response:
        return jsonify(service="service-a", endpoints=["/health", "/ready", "/live"])

    return app


if __name__ == "__main__":
    create_app().run(host="127.0.0.1", port=8081)
