"""Loopback fakes of the trackers' HTTP APIs (deterministic, seeded; no network, no credentials)."""
