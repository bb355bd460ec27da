"""Drills: the schedule and what is due about each occurrence, the forecast of a schedule's next
firings (and the warnings about it), the desk that acts on it, and the report that measures a
drill run's RTO and RPO."""
