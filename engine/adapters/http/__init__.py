"""Plain HTTP services: the ``http`` signal's probes, one-shot checks for ``verify``, signed
webhooks and Jenkins.

The probes: ``probes`` (the signal source), ``network`` (the one seam a probe crosses) and
``wire`` (HTTP/1.1 bytes over sockets, the seam's implementation in the bot).
"""
