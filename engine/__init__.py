"""CloudPhoenix's domain: signals, scores, levels, plans and runs. No Slack, no process concerns."""
