"""Helpers every kind of test shares."""
