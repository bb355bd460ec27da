"""Every action_id, callback_id and block_id the bot uses, and the command and events it
answers. No other module spells one of these as a string literal; the manifest test reads
them from here."""

from __future__ import annotations

from enum import StrEnum

COMMAND = "/phoenix"


class ActionId(StrEnum):
    APPROVE = "phoenix_approve"
    """Approve with a confirm dialog (levels 1-2)."""
    APPROVE_TYPED = "phoenix_approve_typed"
    """Approve through a modal where the environment's name is typed (level 3)."""
    DECLINE = "phoenix_decline"
    SNOOZE = "phoenix_snooze"
    RETRY = "phoenix_stage_retry"
    SKIP = "phoenix_stage_skip"
    ABORT = "phoenix_stage_abort"
    DRILL_POSTPONE_HOUR = "phoenix_drill_postpone_1h"
    DRILL_POSTPONE_DAY = "phoenix_drill_postpone_1d"
    DRILL_SKIP = "phoenix_drill_skip"


class CallbackId(StrEnum):
    APPROVE = "phoenix_approve_modal"
    DECLINE = "phoenix_decline_modal"


class BlockId(StrEnum):
    DECISION = "phoenix_decision"
    STAGE_CONTROLS = "phoenix_stage_controls"
    ENVIRONMENT = "phoenix_environment"
    REASON = "phoenix_reason"
    DRILL_CONTROLS = "phoenix_drill_controls"


class InputId(StrEnum):
    """action_ids of modal inputs."""

    ENVIRONMENT = "phoenix_environment_name"
    REASON = "phoenix_decline_reason"


class EventType(StrEnum):
    APP_HOME_OPENED = "app_home_opened"
