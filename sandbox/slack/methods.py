"""The Web API methods the emulator answers, and the token each one takes."""

from __future__ import annotations

from collections.abc import Mapping

from sandbox.slack import chat, directory_api, files_api, views_api
from sandbox.slack.webapi import Method, TokenKind

METHODS: Mapping[str, tuple[TokenKind, Method]] = {
    "auth.test": ("bot", directory_api.auth_test),
    "apps.connections.open": ("app", directory_api.apps_connections_open),
    "chat.postMessage": ("bot", chat.post_message),
    "chat.update": ("bot", chat.update),
    "chat.postEphemeral": ("bot", chat.post_ephemeral),
    "chat.delete": ("bot", chat.delete),
    "conversations.info": ("bot", directory_api.conversations_info),
    "files.completeUploadExternal": ("bot", files_api.complete_upload),
    "files.getUploadURLExternal": ("bot", files_api.get_upload_url),
    "usergroups.users.list": ("bot", directory_api.usergroups_users_list),
    "users.info": ("bot", directory_api.users_info),
    "views.open": ("bot", views_api.open_view),
    "views.push": ("bot", views_api.push_view),
    "views.update": ("bot", views_api.update_view),
    "views.publish": ("bot", views_api.publish_view),
}
