"""The composition root: adapters, store and engine services built from the settings and
phoenix.yaml.

``phoenix`` (the running bot, whole), ``store`` (the Store a URL names), ``signals`` (the
signal sources and their collector), ``cloud`` (the stages' ports, each adapter built on first
use), ``secrets`` (the secret resolver), ``warming`` (continuous object sync). SDKs are
imported only where a port, source or secret store of their kind is first needed."""
