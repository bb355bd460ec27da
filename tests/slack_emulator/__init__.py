"""The Slack emulator itself, driven by the real slack_sdk and slack_bolt clients: the Web API,
Socket Mode, HTTP mode, interactions, retries, rate limits, Block Kit validation, and what a
person sees of a message."""
