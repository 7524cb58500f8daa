"""Samplers: (model, parameters, seed) -> valid configurations; an independent coverage check."""

from pimp_tui.sampling.registry import ALGORITHMS, sample

__all__ = ["ALGORITHMS", "sample"]
