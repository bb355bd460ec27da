"""Progress events -> Slack thread messages, within Slack's posting and editing budgets."""
