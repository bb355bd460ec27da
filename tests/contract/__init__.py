"""The Store contract: one suite every Store adapter (SQLite, Redis) must pass alike."""
