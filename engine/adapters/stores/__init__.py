"""The ``Store`` adapters: SQLite (embedded, one replica) and Redis (several replicas), with one
encoding of stored values."""
