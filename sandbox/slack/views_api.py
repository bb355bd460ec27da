"""views.open, views.push, views.update and views.publish.

Slack answers a malformed view with ``invalid_arguments`` and the problems in
``response_metadata.messages`` (not ``invalid_blocks``, which is for messages).
"""

from __future__ import annotations

from typing import Any, Literal

from sandbox.slack.blockkit import view_problems, with_generated_ids
from sandbox.slack.stored import StoredView
from sandbox.slack.webapi import ApiError, CallContext, invalid_arguments, json_arg, text_arg

Json = dict[str, Any]


def view_arg(ctx: CallContext, args: Json, expected: Literal["modal", "home"] | None) -> Json:
    view = json_arg(args, "view", "invalid_arguments")
    if view is None:
        raise invalid_arguments(["missing required field: view"])
    problems = view_problems(view, expected=expected, action_id_scope=ctx.settings.action_id_scope)
    if problems:
        raise invalid_arguments(problems)
    return {**view, "blocks": with_generated_ids(view["blocks"])}


def exchange_trigger(ctx: CallContext, args: Json) -> str:
    """Spend a trigger id; answer with the user it was issued to."""
    trigger_id = text_arg(args, "trigger_id")
    trigger = ctx.ws.trigger(trigger_id) if trigger_id else None
    if trigger is None:
        raise ApiError("invalid_trigger_id")
    if trigger.used:
        raise ApiError("exchanged_trigger_id")
    if ctx.ws.clock.monotonic() - trigger.issued_at > ctx.settings.trigger_ttl:
        raise ApiError("expired_trigger_id")
    trigger.used = True
    return trigger.user


def answer(ctx: CallContext, view: StoredView) -> Json:
    return {"view": view.to_api(ctx.ws.identity)}


def open_view(ctx: CallContext, args: Json) -> Json:
    body = view_arg(ctx, args, "modal")
    user = exchange_trigger(ctx, args)
    return answer(ctx, ctx.ws.open_modal(user, body))


def push_view(ctx: CallContext, args: Json) -> Json:
    body = view_arg(ctx, args, "modal")
    user = exchange_trigger(ctx, args)
    if not ctx.ws.modals(user):
        raise ApiError("not_found")
    if len(ctx.ws.modals(user)) >= 3:
        raise ApiError("push_limit_reached")
    return answer(ctx, ctx.ws.push_modal(user, body))


def update_view(ctx: CallContext, args: Json) -> Json:
    view_id, external_id = text_arg(args, "view_id"), text_arg(args, "external_id")
    if bool(view_id) == bool(external_id):
        raise invalid_arguments(["exactly one of view_id or external_id is required"])
    view = ctx.ws.view(view_id) if view_id else ctx.ws.view_by_external_id(str(external_id))
    if view is None:
        raise ApiError("not_found")
    expected: Literal["modal", "home"] = "home" if view.type == "home" else "modal"
    body = view_arg(ctx, args, expected)
    expected_hash = text_arg(args, "hash")
    if expected_hash and expected_hash != view.hash:
        raise ApiError("hash_conflict")
    return answer(ctx, ctx.ws.replace_view(view, body))


def publish_view(ctx: CallContext, args: Json) -> Json:
    user = text_arg(args, "user_id")
    if not user or user not in ctx.ws.directory.users:
        raise ApiError("user_not_found")
    body = view_arg(ctx, args, "home")
    current = ctx.ws.home(user)
    expected_hash = text_arg(args, "hash")
    if expected_hash and current is not None and expected_hash != current.hash:
        raise ApiError("hash_conflict")
    return answer(ctx, ctx.ws.publish_home(user, body))
