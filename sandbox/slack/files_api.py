"""Slack's file upload flow, as its "Uploading files" guide
(https://docs.slack.dev/messaging/working-with-files) and the two methods' reference pages
describe it:

1. ``files.getUploadURLExternal`` (https://docs.slack.dev/reference/methods/files.getUploadURLExternal)
   takes the file's ``filename`` and ``length`` in bytes and answers an ``upload_url`` and a
   ``file_id``;
2. the bytes are POSTed to the ``upload_url`` (raw, or multipart form encoded): HTTP 200 when
   the upload succeeded, "a non-200 response indicates a failure";
3. ``files.completeUploadExternal``
   (https://docs.slack.dev/reference/methods/files.completeUploadExternal) takes ``files``
   (``[{"id", "title"}]``), and shares them into ``channel_id`` — as a reply when ``thread_ts``
   is given, introduced by ``initial_comment`` (``blocks`` are ignored when it is) — and answers
   ``files`` with their ids and titles. A file that was never completed is never shared.

The upload URL is served by the emulator's own listener under ``/_slack/upload/`` (Slack's is
on files.slack.com), so a client that follows it (slack_sdk's ``files_upload_v2`` does) reaches
it unchanged.
"""

from __future__ import annotations

import email.parser
import email.policy
from typing import Any

from sandbox.slack.chat import channel_arg, post_as_bot, spend
from sandbox.slack.webapi import ApiError, CallContext, json_arg, text_arg

Json = dict[str, Any]

MAX_FILE_BYTES = 1024**3
"""Slack's limit on one file: 1 GB."""
ALT_TEXT_LIMIT = 1000
"""``alt_txt_too_large``: "longer than the limit of 1000 character"."""


def get_upload_url(ctx: CallContext, args: Json) -> Json:
    filename = text_arg(args, "filename")
    length = _length(args.get("length"))
    alt_txt = text_arg(args, "alt_txt") or ""
    # missing_argument: "A required argument was not provided. Typically only occurs when the
    # `length` provided is 0."
    if not filename or length == 0:
        raise ApiError("missing_argument")
    if len(alt_txt) > ALT_TEXT_LIMIT:
        raise ApiError("alt_txt_too_large")
    # file_upload_size_restricted: "The size of provided file is too large, as the team has
    # restricted uploads of large files."
    if length > ctx.settings.max_file_bytes:
        raise ApiError("file_upload_size_restricted")
    spend(ctx, "files.getUploadURLExternal", None)
    stored = ctx.ws.new_file(filename, length, alt_txt)
    return {"upload_url": f"{ctx.base_url()}/_slack/upload/{stored.ticket}", "file_id": stored.id}


def complete_upload(ctx: CallContext, args: Json) -> Json:
    wanted = json_arg(args, "files", "invalid_arguments")
    if not isinstance(wanted, list) or not wanted:
        raise ApiError("invalid_arguments")
    channel = channel_arg(ctx, {"channel": args["channel_id"]}) if args.get("channel_id") else None
    thread_ts = text_arg(args, "thread_ts") or None
    found = []
    for item in wanted:
        file_id = item.get("id") if isinstance(item, dict) else None
        stored = ctx.ws.stored_file(file_id) if isinstance(file_id, str) else None
        # file_not_found: "Could not find the file from the upload ticket." A file whose bytes
        # never reached its upload URL has nothing to complete either.
        if stored is None or stored.content is None:
            raise ApiError("file_not_found")
        title = item.get("title")
        found.append((stored, title if isinstance(title, str) else ""))
    spend(ctx, "files.completeUploadExternal", channel.id if channel else None)
    for stored, title in found:
        stored.title = title or stored.title or stored.filename
        stored.completed = True
    if channel is not None:
        comment = text_arg(args, "initial_comment") or ""
        shared = [stored.to_api(ctx.base_url()) for stored, _ in found]
        message = post_as_bot(ctx, channel, comment, [], thread_ts, shared)
        for stored, _ in found:
            stored.shares.append((channel.id, message.ts))
    ctx.ws.touch()
    return {"files": [{"id": stored.id, "title": stored.title} for stored, _ in found]}


def receive_upload(ctx: CallContext, ticket: str, headers: dict[str, str], raw: bytes) -> int:
    """A POST to an upload URL; the HTTP status it is answered with (200, or a failure)."""
    stored = ctx.ws.file_by_ticket(ticket)
    if stored is None:
        return 404
    content = _file_part(headers, raw)
    if content is None:
        return 400
    if len(content) > stored.length:
        return 413  # more than the length announced to files.getUploadURLExternal
    if len(content) != stored.length:
        return 400
    with ctx.ws.lock:
        stored.content = content
    ctx.ws.touch()
    return 200


def _length(value: Any) -> int:
    if value is None or value == "":
        return 0
    try:
        length = int(value)
    except (TypeError, ValueError):
        raise ApiError("invalid_arguments") from None
    if length < 0:
        raise ApiError("invalid_arguments")
    return length


def _file_part(headers: dict[str, str], raw: bytes) -> bytes | None:
    """The file's bytes: the body itself, or the file part of a multipart form (the guide
    allows both)."""
    kind = next((v for k, v in headers.items() if k.lower() == "content-type"), "")
    if not kind.lower().startswith("multipart/form-data"):
        return raw
    parsed = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        f"Content-Type: {kind}\r\n\r\n".encode() + raw
    )
    for part in parsed.iter_parts():
        if part.get_filename() is not None or part.get_param("name", header="content-disposition"):
            payload = part.get_payload(decode=True)
            return payload if isinstance(payload, bytes) else None
    return None
