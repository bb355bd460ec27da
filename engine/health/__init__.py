"""Health: readings gathered from every signal, scored, and turned into a level decision
(hysteresis, quorum, flap damping, cool-down); the backtest replays recorded readings through
the same rules."""
