"""Plain HTTP services: the ``http`` signal's probes, one-shot checks for ``verify``, signed
webhooks and Jenkins."""
