"""A local Slack for tests and the sandbox: Web API, Socket Mode, HTTP mode, response URLs,
Block Kit validation, rate limits, what a person sees of a message (``visible``), and a test
API. See README.md beside this file."""

from sandbox.slack.clock import Clock, ManualClock, SystemClock
from sandbox.slack.emulator import Emulator, EmulatorConfig
from sandbox.slack.ratelimit import DEFAULT_BUDGETS, Breach, RateBudget
from sandbox.slack.records import (
    ApiCall,
    Delivery,
    EphemeralMessage,
    File,
    Message,
    MessageVersion,
    View,
)

__all__ = [
    "DEFAULT_BUDGETS",
    "ApiCall",
    "Breach",
    "Clock",
    "Delivery",
    "Emulator",
    "EmulatorConfig",
    "EphemeralMessage",
    "File",
    "ManualClock",
    "Message",
    "MessageVersion",
    "RateBudget",
    "SystemClock",
    "View",
]
