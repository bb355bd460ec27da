"""The composition root and the process around the engine and the Slack handlers.

- ``settings``: the only reader of environment variables; ``wiring/`` builds the adapters,
  the store and the engine's services from them and phoenix.yaml;
- ``app``: the Bolt app (the handlers' listeners, the services in every request's context,
  the one error handler); ``followups``: the work listeners hand over after their ack;
- ``scheduler``: the APScheduler jobs (the evaluation tick, the readiness sweep in
  ``readiness``, drill duties, continuous object sync), led by ``leader``, beside the
  ``sweeper`` every replica runs;
- what reaches Slack: ``incident_feed`` (what the tick publishes about incidents),
  ``reporter/`` (a run's progress as thread messages, within Slack's budgets), and Slack's
  edges: ``slack_edge`` and ``slack_bodies`` (/slack/events in HTTP mode), ``slack_state``
  (whether Slack answers), ``slack_directory`` (user groups), ``slack_identity``
  (``auth.test``);
- the HTTP side: ``server``, ``health_routes`` (/health, /live, /ready, /metrics) and
  ``serving``, which composes them; ``metrics/``: the Prometheus metrics;
- ``logs`` (structured logs), ``run_log`` (a run's story in them), ``process`` (process-wide
  settings applied at start-up);
- ``cli/``: the ``phoenix`` command line.

Nothing in ``handlers`` or ``engine`` imports it."""
