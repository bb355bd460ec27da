"""Block Kit builders: the only place that shapes what the bot shows in Slack, one module per
surface (``proposals``, ``runs``, ``status`` with help and the App Home, ``drills``,
``readiness``, ``silences``, ``breakglass``) and a small ``kit`` of what they share. Each
builder takes a neutral value from the engine and returns a ``Rendered`` (the notification
``text`` fallback and the blocks) or a view dict; text people typed is escaped before it is
shown as mrkdwn.
"""

from __future__ import annotations

from handlers.blocks.breakglass import break_glass_message
from handlers.blocks.drills import (
    drill_announcement,
    drill_done,
    drill_header,
    drill_list_message,
    drill_refusal,
    drill_report_message,
)
from handlers.blocks.kit import (
    LEVEL_NAMES,
    Json,
    Rendered,
    escape,
    escape_links_kept,
    mention,
    notice,
    thread_note,
)
from handlers.blocks.proposals import (
    approve_modal,
    breakdown_text,
    decline_modal,
    environment_mismatch,
    proposal_message,
)
from handlers.blocks.readiness import (
    home_readiness,
    proposal_readiness,
    readiness_message,
    readiness_notice,
)
from handlers.blocks.runs import (
    stage_message,
    summary_message,
)
from handlers.blocks.silences import (
    held_back_message,
    silence_message,
)
from handlers.blocks.status import (
    SUBCOMMANDS,
    help_message,
    history_message,
    home_view,
    status_message,
    usage_message,
)

__all__ = [
    "LEVEL_NAMES",
    "SUBCOMMANDS",
    "Json",
    "Rendered",
    "approve_modal",
    "break_glass_message",
    "breakdown_text",
    "decline_modal",
    "drill_announcement",
    "drill_done",
    "drill_header",
    "drill_list_message",
    "drill_refusal",
    "drill_report_message",
    "environment_mismatch",
    "escape",
    "escape_links_kept",
    "held_back_message",
    "help_message",
    "history_message",
    "home_readiness",
    "home_view",
    "mention",
    "notice",
    "proposal_message",
    "proposal_readiness",
    "readiness_message",
    "readiness_notice",
    "silence_message",
    "stage_message",
    "status_message",
    "summary_message",
    "thread_note",
    "usage_message",
]
