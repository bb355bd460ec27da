"""Helpers every kind of test shares: waiting (``waiting``), loopback ports (``ports``), a manual
clock (``clock``), a real redis-server (``redis_server``), moto and Azurite (``stand_ins``),
a fault-injecting proxy in front of them (``fault_proxy``), the base of the local HTTP fakes
(``http_fake``), a throwaway certificate authority (``tls``), a scripted network for the http
probes (``probe_network``), filled buckets and containers (``object_fixtures``), Slack's user
groups (``directory``) and a message's button found by its label (``blockkit``)."""
