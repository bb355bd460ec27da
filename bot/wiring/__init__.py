"""The composition root: adapters, store and engine services built from the settings and
phoenix.yaml."""
