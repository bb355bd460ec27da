"""Several replicas: three real ``phoenix run`` processes on one real Redis and the Slack
emulator (``cluster``), led by one, replaced when killed."""
