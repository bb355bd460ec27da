"""Incidents: opened, escalated and resolved from level decisions; the proposals of their
plans and who may approve them; what people do with them; silences; where the bot's messages
about them are.

- ``lifecycle`` — an incident's life from level decisions (open, escalate, resolve), deduped;
- ``register`` — proposals opened (for a level, or by hand) and read back as they stand;
- ``proposals`` — the neutral values the Slack surfaces render (a proposal, where it stands);
- ``approvals`` — who may approve, and when a proposal has enough approvals (pure);
- ``clicks`` — approve, decline, snooze; retry, skip or abort a paused run;
- ``silences`` — no automatic proposal for a while;
- ``messages`` — where each message of a run or a drill is, shared by every replica;
- ``audit`` — the audit trail these write and read;
- ``desk`` — all of them built together over one runner and Store.
"""
