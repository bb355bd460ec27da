"""The bot's Prometheus metrics, in a registry of its own (one per replica object, so tests
can build several in one process). ``/metrics`` serves them in the text format.

What a dashboard needs, by where it comes from:

- read from the Store when scraped, the same on every replica (``recorded``): score and level,
  points, value and status per signal, when the latest evaluation was; each drill's measured
  RTO and RPO, whether it passed, when it last passed and when it is due next; the measured
  RTO and RPO of the last failover per plan; the RTO and RPO objectives; the latest readiness
  sweep of the DR side (each check, all ready, the predicted RTO and RPO);
- read from the replica when scraped (``live``): Slack API posts, edits, errors and
  rate-limit waits, whether the store answers, whether this replica leads;
- counted by the replica (``registry``): evaluations and their duration, skipped ticks,
  incidents opened, runs by plan and outcome, stage durations; and its build (version, commit).
"""

from bot.metrics.registry import Metrics

__all__ = ["Metrics"]
