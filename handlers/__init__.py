"""Slack-facing and thin: parse -> ack -> one engine call -> respond. Listeners reach the bot's
services through Bolt's ``context`` (see ``context``), never by importing ``bot``.

- listeners: ``commands`` (``/phoenix``), ``actions`` and ``buttons`` (clicks), ``views``
  (modal submissions), ``home`` (the App Home), ``drills`` (drill commands and buttons);
- what they read and write: ``parsing`` (command text -> a typed command), ``payloads`` (what
  Slack sends, validated, and what the bot's buttons carry), ``ids`` (every action, callback
  and block id), ``roles`` (which message of a run, a drill or a silence one is);
- ``blocks/``: the only place that shapes a message, one module per surface; ``pictures/``:
  the PNG of a finished drill or failover."""
