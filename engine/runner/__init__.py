"""The durable runner: runs executed stage by stage under a lease with a fencing token, persisted
before and after every side effect, resumed by any replica; their progress events delivered to
subscribers and projected into stage views and a run summary.

``runner`` (the calls that start, resume, retry, skip, abort and confirm runs), ``execution``
(one pass over a run under its lease), ``attempt`` (one attempt of a stage, on its own thread),
``lease`` (keeping the lease alive), ``progress`` (delivery to subscribers), ``projection``
(what the run's thread shows)."""
