"""chat.postMessage, chat.update, chat.postEphemeral and chat.delete."""

from __future__ import annotations

from typing import Any

from sandbox.slack.blockkit import MAX_MESSAGE_TEXT, message_problems, with_generated_ids
from sandbox.slack.directory import Channel
from sandbox.slack.stored import StoredMessage
from sandbox.slack.webapi import (
    ApiError,
    CallContext,
    RateLimited,
    invalid_blocks,
    json_arg,
    text_arg,
)

Json = dict[str, Any]


def channel_arg(ctx: CallContext, args: Json) -> Channel:
    ref = args.get("channel")
    channel = ctx.ws.directory.resolve_channel(ref) if isinstance(ref, str) and ref else None
    if channel is None:
        raise ApiError("channel_not_found")
    return channel


def spend(ctx: CallContext, method: str, channel: str | None) -> None:
    retry_after = ctx.limiter.spend(method, channel)
    if retry_after is not None:
        raise RateLimited(retry_after)


def content(
    ctx: CallContext, args: Json, *, required: bool
) -> tuple[str | None, list[Json] | None]:
    """The text and blocks of a message, checked as Slack checks them."""
    text = text_arg(args, "text")
    blocks = json_arg(args, "blocks", "invalid_blocks_format")
    if blocks is not None and not isinstance(blocks, list):
        raise ApiError("invalid_blocks_format")
    if required and not text and not blocks and not args.get("attachments"):
        raise ApiError("no_text")
    if text is not None and len(text) > MAX_MESSAGE_TEXT:
        raise ApiError("msg_too_long")
    problems = message_problems(text, blocks, action_id_scope=ctx.settings.action_id_scope)
    if problems:
        raise invalid_blocks(problems)
    return text, (with_generated_ids(blocks) if blocks is not None else None)


def bot_message(ctx: CallContext, channel: Channel, args: Json) -> StoredMessage:
    message = ctx.ws.find_message(channel.id, str(args.get("ts", "")))
    if message is None:
        raise ApiError("message_not_found")
    if message.user != ctx.ws.identity.bot_user_id:
        raise ApiError("cant_update_message")
    return message


def post_as_bot(
    ctx: CallContext,
    channel: Channel,
    text: str,
    blocks: list[Json],
    thread_ts: str | None,
    files: list[Json] | None = None,
) -> StoredMessage:
    """A message of the bot in ``channel`` (in ``thread_ts``'s thread, when given)."""
    identity = ctx.ws.identity
    try:
        return ctx.ws.post_message(
            channel.id,
            user=identity.bot_user_id,
            bot_id=identity.bot_id,
            text=text,
            blocks=blocks,
            thread_ts=thread_ts or None,
            files=files,
        )
    except KeyError as exc:
        # Stricter than Slack, which would post a reply to a missing parent as a new message.
        raise ApiError("thread_not_found") from exc


def post_message(ctx: CallContext, args: Json) -> Json:
    channel = channel_arg(ctx, args)
    spend(ctx, "chat.postMessage", channel.id)
    text, blocks = content(ctx, args, required=True)
    identity = ctx.ws.identity
    message = post_as_bot(ctx, channel, text or "", blocks or [], text_arg(args, "thread_ts"))
    return {"channel": channel.id, "ts": message.ts, "message": message.to_api(identity)}


def update(ctx: CallContext, args: Json) -> Json:
    channel = channel_arg(ctx, args)
    message = bot_message(ctx, channel, args)
    spend(ctx, "chat.update", channel.id)
    text, blocks = content(ctx, args, required=False)
    new_text = text if text is not None else message.text
    new_blocks = blocks if blocks is not None else message.blocks
    message.replace_content(new_text, new_blocks, "chat.update")
    ctx.ws.touch()
    identity = ctx.ws.identity
    return {
        "channel": channel.id,
        "ts": message.ts,
        "text": message.text,
        "message": message.to_api(identity),
    }


def post_ephemeral(ctx: CallContext, args: Json) -> Json:
    channel = channel_arg(ctx, args)
    user = args.get("user")
    if not isinstance(user, str) or user not in ctx.ws.directory.users:
        raise ApiError("user_not_found")
    spend(ctx, "chat.postEphemeral", channel.id)
    text, blocks = content(ctx, args, required=True)
    ephemeral = ctx.ws.post_ephemeral(
        channel.id,
        user,
        text=text or "",
        blocks=blocks or [],
        source="chat.postEphemeral",
        thread_ts=text_arg(args, "thread_ts") or None,
    )
    return {"message_ts": ephemeral.ts}


def delete(ctx: CallContext, args: Json) -> Json:
    channel = channel_arg(ctx, args)
    message = ctx.ws.find_message(channel.id, str(args.get("ts", "")))
    if message is None:
        raise ApiError("message_not_found")
    if message.user != ctx.ws.identity.bot_user_id:
        raise ApiError("cant_delete_message")
    spend(ctx, "chat.delete", channel.id)
    message.deleted = True
    ctx.ws.touch()
    return {"channel": channel.id, "ts": message.ts}
