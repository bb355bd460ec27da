"""The recovery stages and whole plans through the durable runner, against the cloud stand-ins
of ``tests/cloud`` (``world``), with the ports the bot's own factory builds; and every
readiness check through the same stand-ins."""
