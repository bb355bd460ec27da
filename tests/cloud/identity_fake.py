"""A local managed identity endpoint, as Azure App Service runs one beside an app, for the real
``ManagedIdentityCredential`` (it talks to it when ``IDENTITY_ENDPOINT`` and
``IDENTITY_HEADER`` are set).

Behaviours (learn.microsoft.com, app-service/overview-managed-identity.md, "REST endpoint
reference"): a token is asked for with ``GET IDENTITY_ENDPOINT?resource=...&api-version=
2019-08-01`` and the ``X-IDENTITY-HEADER`` secret; the answer is ``access_token``,
``expires_on`` (seconds since the epoch), ``resource``, ``token_type`` and ``client_id``. A
request without the right header is refused; an identity that is not assigned (``revoked``
here) answers 400 with no token and an error body of ``statusCode`` and ``message``, the
fields MSAL reads from App Service's errors (AzureAD/microsoft-authentication-library-for-
python, msal/managed_identity.py, ``_obtain_token_on_app_service``).
"""

from __future__ import annotations

import time
from urllib.parse import parse_qs, urlsplit

from tests.support.http_fake import FakeServer, JsonHandler

HEADER_SECRET = "identity-header-secret"
"""Not a secret of anything real: what App Service puts in IDENTITY_HEADER for the app."""


class ManagedIdentityEndpoint(FakeServer):
    def __init__(self) -> None:
        self.revoked = False
        self.asked: list[str] = []
        """The resource of every token request."""
        super().__init__(_IdentityHandler)

    def reset(self) -> None:
        with self.lock:
            self.revoked = False
            self.asked.clear()
        self.faults.clear()

    @property
    def endpoint(self) -> str:
        return f"{self.url}/msi/token"


class _IdentityHandler(JsonHandler):
    def do_GET(self) -> None:
        fake: ManagedIdentityEndpoint = self.owner
        if self.fault():
            return
        url = urlsplit(self.path)
        query = parse_qs(url.query)
        resource = query.get("resource", [""])[0]
        with fake.lock:
            fake.asked.append(resource)
            revoked = fake.revoked
        if url.path != "/msi/token" or query.get("api-version") != ["2019-08-01"]:
            self.send(404, {"error": "not_found"})
            return
        if self.headers.get("X-IDENTITY-HEADER") != HEADER_SECRET:
            self.send(401, {"statusCode": 401, "message": "the identity header is wrong"})
            return
        if revoked:
            self.send(400, {"statusCode": 400, "message": "no managed identity is assigned"})
            return
        self.send(
            200,
            {
                "access_token": "fake-access-token",
                "expires_on": str(int(time.time()) + 3600),
                "resource": resource,
                "token_type": "Bearer",
                "client_id": "11111111-2222-3333-4444-555555555555",
            },
        )
