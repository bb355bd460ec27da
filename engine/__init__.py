"""CloudPhoenix's domain, pure: no Slack, no scheduler, no process concerns.

The vocabulary: ``model`` (readings, scores, level decisions), ``runs`` (runs, stage records,
progress events), ``records`` (leases, approvals, the audit log, incidents, silences),
``sync_records`` and ``readiness`` (what object sync and the readiness sweep keep); ``errors``,
the one error tree; the ports ``ports``, ``cloud_ports`` and ``store``; and shared building
blocks: ``fields``, ``problems``, ``duration``, ``cron``, ``retry``, ``secrets``,
``sql_objectives``, ``text``.

On it: ``config/`` (phoenix.yaml), ``health/`` (readings to a level decision, the tick, the DR
side's readiness), ``incidents/``, ``plans/``, ``runner/``, ``drills/``, ``sync/``,
``stages/``; ``recovery`` (the RTO and RPO a run measured, by its stages' roles); and what
people read from the Store: ``status`` and ``measurements``.

``adapters/`` is the only part that imports an SDK or talks to a network; nothing else here
imports it."""
