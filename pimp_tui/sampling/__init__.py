"""Samplers: (model, parameters, seed) -> valid configurations, and an independent coverage checker."""
