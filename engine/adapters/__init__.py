"""The only engine code that imports an SDK or talks to a network; ``bot`` picks adapters."""
