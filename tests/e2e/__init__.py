"""The whole bot against the Slack emulator: Socket Mode and HTTP mode, commands, clicks, the
reporter's thread, the schedule on a manual clock (``scheduler_support``), metrics and the
dashboard, Slack's limits and outages, and ``phoenix run`` as its own process."""
