"""The picture of a drill or a failover, drawn once the run ends and uploaded into its thread.

Drawing takes a moment of CPU, so it happens on a thread of its own, never under the
reporter's lock nor on its Slack worker; the drawn picture then waits in the outbox like any
message (role ``picture``), so its upload spends the channel's posting budget and goes out
after the run's summary. The upload is Slack's current flow, files.getUploadURLExternal, the
bytes to the upload URL, files.completeUploadExternal (slack_sdk's ``files_upload_v2`` makes
exactly these calls). A picture that cannot be drawn or uploaded is logged and said in the
thread in words; it never stops the run or the reporter.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta

from slack_sdk import WebClient

from engine.config import PhoenixConfig
from engine.drills.timeline import read_timeline
from engine.runs import Run, RunMode
from engine.store import Store

log = logging.getLogger("bot.reporter.pictures")

PICTURE = "picture"
PICTURE_NOTE = "picture-note"
_CLAIM_TTL = timedelta(days=8)


@dataclass(frozen=True)
class Picture:
    png: bytes
    filename: str
    title: str
    alt_text: str
    comment: str


Drawn = Callable[[str, "Picture | None", str], None]
"""Called with the run id and its picture, or None and why there is none."""


def wants_picture(run: Run, config: PhoenixConfig) -> bool:
    """A drill that acted (not a dry run) and a live run of a failover plan get a picture."""
    if run.mode is RunMode.REHEARSAL:
        return True
    return run.mode is RunMode.LIVE and run.plan in config.failover_plans


class PictureDrawer:
    """Draws pictures one at a time on a thread of its own."""

    def __init__(self, store: Store, config: PhoenixConfig) -> None:
        self._store = store
        self._config = config
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="run-picture")

    def request(self, run_id: str, drawn: Drawn) -> None:
        """Draw ``run_id``'s picture once across replicas (the first to claim it draws it),
        then hand it to ``drawn``."""
        try:
            self._pool.submit(self._draw, run_id, drawn)
        except RuntimeError:
            log.warning("the picture was not drawn: stopping", extra={"run_id": run_id})

    def close(self) -> None:
        self._pool.shutdown(wait=True)

    def _draw(self, run_id: str, drawn: Drawn) -> None:
        try:
            if not self._store.claim(f"run-picture:{run_id}", _CLAIM_TTL):
                return
            timeline = read_timeline(self._store, self._config, run_id)
            if timeline is None:
                return
            from handlers import pictures
            from handlers.pictures import words

            picture = Picture(
                pictures.png(timeline),
                words.filename(timeline),
                words.headline(timeline),
                words.description(timeline),
                words.comment(timeline),
            )
        except Exception as exc:
            log.exception("the run's picture could not be drawn", extra={"run_id": run_id})
            drawn(run_id, None, f"it could not be drawn ({type(exc).__name__})")
            return
        drawn(run_id, picture, "")


def upload(
    client: WebClient, picture: Picture, channel: str, thread_ts: str | None
) -> tuple[str, str]:
    """Upload ``picture`` into ``thread_ts``'s thread of ``channel``; (channel, file id)."""
    done = client.files_upload_v2(
        channel=channel,
        thread_ts=thread_ts,
        content=picture.png,
        filename=picture.filename,
        title=picture.title,
        alt_txt=picture.alt_text,
        initial_comment=picture.comment,
    )
    files = done.get("files") or [{}]
    return channel, str(files[0].get("id", ""))
