"""Crash tests of the durable runner on a real Redis: replicas are real processes (``worker``,
``fleet``) killed with SIGKILL at every stage boundary, or Redis itself killed, and what the
run did afterwards read back (``history``)."""
