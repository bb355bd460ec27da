"""The signal adapters against real servers on loopback (``servers``): health endpoints and
raw sockets for the http probes, Prometheus and an exporter, moto for the AWS signals, the
Kubernetes API fake for node readiness; and the bot's HTTP server."""
