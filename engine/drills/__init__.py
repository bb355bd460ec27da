"""Drills: the schedule and what is due about each occurrence, the desk that acts on it, and the
report that measures a drill run's RTO and RPO."""
