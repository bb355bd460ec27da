"""Prometheus through prometheus-api-client: one instant query and its failures by kind
(``client``), the ``promql`` signal (``query``) and replication lag from a query (``lag``)."""
