"""Progress events -> Slack thread messages, within Slack's posting and editing budgets.

``budget``: Slack's rate budgets (a token bucket per kind of call, a 429's Retry-After);
``outbox``: the latest state of each message, released as the budget allows (coalescing);
``slack``: the reporter itself, which renders what each message shows and makes the calls.
"""
