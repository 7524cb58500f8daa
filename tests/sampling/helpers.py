"""Brute-force oracles the samplers are checked against."""

from __future__ import annotations

import itertools

from pimp_tui.sampling.coverage import model_literals
from pimp_tui.sampling.exhaustive import all_configurations
from pimp_tui.variability.cnf import encode
from pimp_tui.variability.model import Configuration, FeatureModel


def key(config: Configuration) -> tuple:
    return tuple(sorted((k, repr(v)) for k, v in config.items()))


def every_configuration(model: FeatureModel) -> list[Configuration]:
    return all_configurations(encode(model), limit=100_000)


def interactions(model: FeatureModel, configs: list[Configuration], t: int) -> set[tuple]:
    """Names of the t-wise literal combinations the configurations contain, by enumeration."""
    lits = model_literals(model)
    out: set[tuple] = set()
    for config in configs:
        held = [
            lit.name
            for lit in lits
            if (lit.value is True and _selected(config[lit.feature]))
            or (lit.value is False and not _selected(config[lit.feature]))
            or (
                not isinstance(lit.value, bool)
                and not isinstance(config[lit.feature], bool)
                and config[lit.feature] == lit.value
            )
        ]
        out.update(itertools.combinations(held, t))
    return out


def _selected(value: object) -> bool:
    """Selected: any value but None and False (an integer feature set to 0 is selected)."""
    return value is not None and value is not False
