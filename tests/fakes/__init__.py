"""Fake platform servers on loopback, behaving like the real ones where chiiki depends on it."""
