"""Measurement: power/energy sensors, the generation runner, tasks and crash-safe campaigns."""
