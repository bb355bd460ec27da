"""Prometheus through prometheus-api-client: the ``promql`` signal and replication lag from a
query."""
