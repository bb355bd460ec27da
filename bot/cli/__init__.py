"""`phoenix ...`: the command line, one module per command group.

    main.py        parse, run one command, map what went wrong to an exit status
    invocation.py  what a command receives: its arguments, the settings it shares with the bot,
                   where its configuration and store are (and ``-v`` saying which), its output
    parser.py      the parser class (``-v`` on every command) and the options commands share
    output.py      aligned tables, one line of JSON, colour only on a terminal
    drill_schedules.py  check-config's lines on each drill's next firings and cron warnings
    exits.py       the exit statuses, and ``CommandFailed`` to stop with one
    extensions.py  command groups of other distributions, by entry point (``phoenix sandbox``)
    config.py health.py plans.py runs.py serve.py status.py breakglass.py   the built-in groups
    desk.py        the bot's incident desk on its store, for status and the break-glass commands

A new group is a module with ``register(commands)`` that adds its parsers, each with
``func=callable(invocation) -> exit status``, listed in ``main.COMMAND_GROUPS``. Its module
imports no SDK and no engine service at the top: a command imports what it needs when it runs,
so the rest of the command line starts without it.
"""
