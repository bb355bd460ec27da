"""What EKS's authenticator checks of a bearer token before it asks STS who signed it, as
aws-iam-authenticator's ``tokenVerifier.Verify`` does
(kubernetes-sigs/aws-iam-authenticator, pkg/token/token.go):

- at most 4096 bytes, prefixed ``k8s-aws-v1.``, the rest base64url without padding;
- that decodes to an ``https`` URL of an STS host, path ``/``;
- its query holds only the presigning parameters (each once): ``Action=GetCallerIdentity``,
  ``X-Amz-SignedHeaders`` naming ``x-k8s-aws-id``, ``X-Amz-Expires`` within 0..900;
- ``X-Amz-Date`` no more than 15 minutes ago (STS honours a presigned GetCallerIdentity for
  15 minutes after its date, whatever X-Amz-Expires says).

What it cannot check here is the signature itself: that is STS's answer to the presigned
request, sent with ``x-k8s-aws-id`` set to the cluster's name.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

PREFIX = "k8s-aws-v1."
MAX_TOKEN_BYTES = 4096
LIFETIME = timedelta(minutes=15)
_ALLOWED = {
    "action",
    "version",
    "x-amz-algorithm",
    "x-amz-credential",
    "x-amz-date",
    "x-amz-expires",
    "x-amz-security-token",
    "x-amz-signature",
    "x-amz-signedheaders",
}
# STS's global and regional endpoints (https://docs.aws.amazon.com/general/latest/gr/sts.html).
_STS_HOST = re.compile(r"^sts(\.[a-z]{2}(-[a-z]+)+-\d)?\.amazonaws\.com(\.cn)?$")


@dataclass
class EksTokenCheck:
    """Accepts the tokens EKS's authenticator would pass on to STS; records why it refused
    the others (``refusals``)."""

    refusals: list[str]

    def __init__(self) -> None:
        self.refusals = []

    def accepts(self, token: str, now: datetime) -> bool:
        why = refusal(token, now)
        if why is not None:
            self.refusals.append(why)
        return why is None


def refusal(token: str, now: datetime) -> str | None:
    """Why the authenticator refuses ``token`` at ``now``, or ``None`` if it passes."""
    if len(token.encode()) > MAX_TOKEN_BYTES:
        return "token is too large"
    if not token.startswith(PREFIX):
        return f"token is missing expected {PREFIX!r} prefix"
    body = token[len(PREFIX) :]
    if "=" in body:
        return "token is not base64url without padding"  # Go's RawURLEncoding refuses '='
    try:
        url = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return "token is not base64url"
    parts = urlsplit(url)
    if parts.scheme != "https":
        return f"unexpected scheme {parts.scheme!r} in pre-signed URL"
    if not _STS_HOST.match(parts.hostname or ""):
        return f"unexpected hostname {parts.hostname!r} in pre-signed URL"
    if parts.path != "/":
        return "unexpected path in pre-signed URL"
    query: dict[str, str] = {}
    for key, values in parse_qs(parts.query, keep_blank_values=True).items():
        if key.lower() not in _ALLOWED:
            return f"non-whitelisted query parameter {key!r}"
        if len(values) != 1:
            return "query parameter with multiple values not supported"
        query[key.lower()] = values[0]
    if query.get("action") != "GetCallerIdentity":
        return "unexpected action parameter in pre-signed URL"
    signed = [h.lower() for h in query.get("x-amz-signedheaders", "").split(";")]
    if "x-k8s-aws-id" not in signed:
        return "client did not sign the x-k8s-aws-id header in the pre-signed URL"
    try:
        expires = int(query.get("x-amz-expires", ""))
    except ValueError:
        expires = -1
    if not 0 <= expires <= 900:
        return "invalid X-Amz-Expires parameter in pre-signed URL"
    try:
        signed_at = datetime.strptime(query.get("x-amz-date", ""), "%Y%m%dT%H%M%SZ")
    except ValueError:
        return "X-Amz-Date parameter must be present in pre-signed URL"
    if now > signed_at.replace(tzinfo=UTC) + LIFETIME:
        return "X-Amz-Date parameter is expired (15 minute expiration)"
    return None
