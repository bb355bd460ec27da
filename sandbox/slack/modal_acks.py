"""Applying a view_submission ack as Slack does: no body closes the view; ``response_action``
``errors`` keeps it open with messages under input blocks; ``update``, ``push`` and ``clear``
replace, stack or close."""

from __future__ import annotations

from typing import Any

from sandbox.slack.blockkit import ActionIdScope, view_problems, with_generated_ids
from sandbox.slack.state import Workspace
from sandbox.slack.stored import StoredView

Json = dict[str, Any]


def apply_view_ack(
    ws: Workspace, user: str, view: StoredView, ack: Json | None, scope: ActionIdScope
) -> str | None:
    """Apply the ack; answer what Slack would refuse in it, or None."""
    ack = ack or {}
    action = ack.get("response_action")
    with ws.lock:
        if action is None:
            ws.close_modal(user, view.id)
        elif action == "clear":
            ws.close_modal(user, view.id, all_views=True)
        elif action == "errors":
            return _show_errors(ws, view, ack.get("errors"))
        elif action in ("update", "push"):
            body = ack.get("view")
            problems = view_problems(body, expected="modal", action_id_scope=scope)
            if problems or not isinstance(body, dict):
                return "invalid_arguments: " + "; ".join(problems)
            body = {**body, "blocks": with_generated_ids(body["blocks"])}
            if action == "update":
                ws.replace_view(view, body)
            else:
                ws.push_modal(user, body)
        else:
            return f"unknown response_action {action!r}"
    return None


def _show_errors(ws: Workspace, view: StoredView, errors: Any) -> str | None:
    input_ids = {b.get("block_id") for b in view.body.get("blocks", []) if b.get("type") == "input"}
    if not isinstance(errors, dict) or not errors or not set(errors) <= input_ids:
        return "invalid response_action errors: keys must be the block_ids of input blocks"
    view.errors = {str(k): str(v) for k, v in errors.items()}
    ws.touch()
    return None
