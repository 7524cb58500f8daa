"""Samplers: (model, parameters, seed) -> valid configurations; an independent coverage check."""

from pimp_tui.sampling.registry import ALGORITHMS, Drawn, draw, sample

__all__ = ["ALGORITHMS", "Drawn", "draw", "sample"]
