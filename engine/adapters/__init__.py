"""The only engine code that imports an SDK or talks to a network, one folder per outside
system: ``aws/``, ``azure/``, ``http/``, ``kube/``, ``prometheus/``, ``stores/`` (SQLite and
Redis) and ``sim/`` (the simulated clouds of the sandbox). Shared by several: ``clock`` (the
system clock), ``polling`` (an operation followed through reads) and ``single_signal`` (a
signal read through a blocking SDK). ``bot.wiring`` picks adapters; the engine core never
imports one."""
