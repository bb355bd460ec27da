"""Incidents: opened, escalated and resolved from level decisions; the proposals of their
plans; who may do what; what people do with them; silences; where the bot's messages
about them are.

- ``lifecycle`` — an incident's life from level decisions (open, escalate, resolve), deduped;
- ``register`` — proposals opened (for a level, or by hand) and read back as they stand;
- ``proposals`` — the neutral values the Slack surfaces render (a proposal, where it stands);
- ``authority`` — who may do what: the one table every surface reads;
- ``approvals`` — when a proposal has enough approvals, and whether one more counts (pure);
- ``clicks`` — approve, decline, snooze; retry, skip or abort a paused run;
- ``requests`` — a plan asked for by hand, a silence, the end of the silences;
- ``breakglass`` — the decisions taken from the command line when Slack cannot be reached;
- ``silences`` — no automatic proposal for a while;
- ``messages`` — where each message of a run or a drill is, shared by every replica;
- ``audit`` — the audit trail these write and read;
- ``desk`` — all of them built together over one runner and Store.
"""
