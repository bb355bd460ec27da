"""Helpers every kind of test shares: waiting (``waiting``), loopback ports (``ports``), a real
redis-server (``redis_server``) and what a person sees of a Slack message (``blockkit``)."""
