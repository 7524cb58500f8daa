"""Feature models as covering problems: which literals t-wise sampling must combine.

Every feature contributes two literals (selected, deselected), abstract features included; a
typed feature with a domain also contributes one literal per value ("num_beams=4").
"""

from __future__ import annotations

from pimp_tui.sampling.interactions import CoverProblem
from pimp_tui.variability.cnf import Encoding


def cover_problem(encoding: Encoding) -> CoverProblem:
    literals: list[int] = []
    for name, var in encoding.feature_var.items():
        literals += [var, -var]
        literals += list(encoding.value_var.get(name, {}).values())
    return CoverProblem(encoding.clauses, encoding.num_vars, literals)


def literal_names(encoding: Encoding) -> dict[int, str]:
    """Readable names: `A`, `!A`, `num_beams=4`."""
    names: dict[int, str] = {}
    for name, var in encoding.feature_var.items():
        names[var], names[-var] = name, f"!{name}"
        for value, value_var in encoding.value_var.get(name, {}).items():
            names[value_var] = f"{name}={value}"
    return names
