"""Health: readings gathered from every signal (``collect``), scored (``scoring``), and turned
into a level decision (``levels``: hysteresis, quorum, flap damping, cool-down); whether that
decision may become a proposal (``judgement``: the cool-down after a failover, silences); the
evaluation tick's domain part (``tick``: score, judge, record, follow the incident up); the
backtest replays recorded readings through the same rules; ``readiness`` checks the DR side a
failover would land on, and never triggers one."""
