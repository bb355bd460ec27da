"""The local rehearsal world: stand-ins for the outside systems CloudPhoenix talks to, and the
real bot wired to them.

``slack/`` (a local Slack), ``cloud`` and ``network`` (the stage ports and the network over
the simulated clouds), ``services`` (the reference services A and B), ``config`` (the
sandbox's phoenix.yaml), ``runtime`` (all of it with the bot and a fault panel), ``web/`` (the
page), ``scenarios`` and ``transcript`` (scripted stories, headless, and the channel as text),
``cli`` (``phoenix sandbox``).

Nothing here is imported by ``bot``, ``handlers`` or ``engine``; the import direction is
``sandbox -> bot -> handlers -> engine``."""
