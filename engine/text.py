"""Outside text made fit for a message: clipped to the room it gets, and URLs shown without
what may be a secret.

Readings' details, errors, stage results and Slack blocks all quote text the bot did not write
(an answer, an exception, a URL from phoenix.yaml): one ``clip`` keeps each within its room,
one ``shown_url`` keeps credentials and query strings (a webhook or probe URL may carry a
token in either) out of every line a person or a log reads.
"""

from __future__ import annotations

from typing import Final
from urllib.parse import urlsplit, urlunsplit

DETAIL_LIMIT: Final = 300
"""The room of a reading's detail line or an error's message."""


def clip(text: str, limit: int = DETAIL_LIMIT) -> str:
    """``text`` if it fits in ``limit`` characters, else its start ending in an ellipsis."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def shown_url(url: str) -> str:
    """``url`` without user, password and fragment, its query (if any) elided as ``?…``."""
    parts = urlsplit(url)
    host = parts.netloc.rpartition("@")[2]
    bare = urlunsplit((parts.scheme, host, parts.path, "", ""))
    return bare + ("?…" if parts.query else "")
