"""The durable runner: runs executed stage by stage under a lease with a fencing token, persisted
before and after every side effect, resumed by any replica; their progress events delivered to
subscribers and projected into stage views and a run summary."""
