"""auth.test, users.info, usergroups.users.list, conversations.info, apps.connections.open."""

from __future__ import annotations

from typing import Any

from sandbox.slack.chat import channel_arg
from sandbox.slack.webapi import ApiError, CallContext

Json = dict[str, Any]


def auth_test(ctx: CallContext, args: Json) -> Json:
    """Who the token is. For a bot token Slack also names the bot and its app (``bot_id``,
    ``app_id``: the fields of the Node SDK's ``AuthTestResponse``, generated from Slack's
    answers, https://docs.slack.dev/tools/node-slack-sdk/reference/web-api/type-aliases/AuthTestResponse)."""
    identity = ctx.ws.identity
    return {
        "url": f"https://{identity.team_domain}.slack.com/",
        "team": identity.team_name,
        "user": identity.bot_user_name,
        "team_id": identity.team_id,
        "user_id": identity.bot_user_id,
        "bot_id": identity.bot_id,
        "app_id": identity.app_id,
        "is_enterprise_install": False,
    }


def users_info(ctx: CallContext, args: Json) -> Json:
    user = ctx.ws.directory.users.get(str(args.get("user", "")))
    if user is None:
        raise ApiError("user_not_found")
    return {"user": user.to_api(ctx.ws.identity.team_id)}


def usergroups_users_list(ctx: CallContext, args: Json) -> Json:
    group = ctx.ws.directory.usergroups.get(str(args.get("usergroup", "")))
    if group is None:
        raise ApiError("no_such_subteam")
    return {"users": list(group.users)}


def conversations_info(ctx: CallContext, args: Json) -> Json:
    ref = args.get("channel")
    if not isinstance(ref, str) or ref not in ctx.ws.directory.channels:
        raise ApiError("channel_not_found")
    return {"channel": channel_arg(ctx, args).to_api()}


def apps_connections_open(ctx: CallContext, args: Json) -> Json:
    return {"url": ctx.issue_socket_url()}
