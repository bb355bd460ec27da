"""Incidents: opened, escalated and resolved from level decisions; proposals and who may approve
them; what people do with them."""
