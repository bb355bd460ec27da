"""Pure tests, no servers and no network (at most a temporary file): configuration, scoring
and levels, the tick, incidents and authority, the runner (``runner_support``), drills, plans,
blocks and payloads, the command line's parsing and output, readiness, text and settings."""
