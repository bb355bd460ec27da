"""Plans: ordered stages with groups and gates, a version hash and the dry run (``model``); the
built-in plans, spelled as phoenix.yaml would (``builtin``); and when continuous object sync
must hold off a pair because a run is syncing it or a failover has cut over (``warming``)."""
