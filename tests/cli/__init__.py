"""The installed ``phoenix`` run as a user runs it, in processes of its own (``support``): what a
command imports, what it does as a process (pipes, Ctrl-C, a terminal) and which settings it
reads."""
