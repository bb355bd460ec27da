"""Plain HTTP services: the ``http`` signal's probes; one-shot requests (``checks``: the
``verify`` stage's, the readiness sweep's); signed webhooks (``webhook``); Jenkins jobs
(``jenkins``); httpx's answers and errors become ours in ``errors``.

The probes, by concept: ``probes`` (the signal source: targets, headers and tokens, one
collection), ``target`` (a target planned once), ``pacing`` (thousands at once within the
open-files limit, one timer each, the watch for a starved process), ``verdict`` (an answer
judged, failures in words, targets folded into a reading), ``network`` (the one seam a probe
crosses) and ``wire`` (HTTP/1.1 bytes over sockets, the seam's implementation in the bot).
"""
