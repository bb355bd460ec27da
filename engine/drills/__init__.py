"""Drills: the schedule and what is due about each occurrence, the desk that acts on it, and the
RTO/RPO report."""
