"""UVL composition: an imported model joins the importing one under its alias.

`imports  submodels.Sauces as Sauce` and a tree line `Sauce.Type` place the imported model's
root `Type` there. Every imported name keeps its namespace: feature `Ketchup` becomes
`Sauce.Ketchup`, and a model imported by an imported model nests (`sub.fmIntel.feature1`).
The imported constraints come along, renamed. A sum or average over every feature defining an
attribute (`sum(Price)`) keeps ranging over the imported model only: it is scoped to the
imported root.
"""

from __future__ import annotations

import copy

from pimp_tui.variability.model import (
    Aggregate,
    Arith,
    Compare,
    Constraint,
    Expr,
    Feature,
    FeatureModel,
    Group,
    Logic,
    Not,
    Ref,
    nodes,
)
from pimp_tui.variability.uvl_writer import expression


def qualified(model: FeatureModel, alias: str) -> FeatureModel:
    """A copy of `model`'s tree and constraints with every feature name prefixed `alias.`."""
    names = {f.name: f"{alias}.{f.name}" for f in model.features()}
    copies = {
        f.name: Feature(
            names[f.name],
            f.type,
            f.abstract,
            copy.deepcopy(f.attributes),
            cardinality=f.cardinality,
            line=f.line,
        )
        for f in model.features()
    }
    for f in model.features():
        copies[f.name].groups = [
            Group(g.kind, [copies[c.name] for c in g.children], g.lower, g.upper) for g in f.groups
        ]
    root = copies[model.root.name]
    constraints = []
    for c in model.constraints:
        expr = _renamed(c.expr, names, root.name)
        constraints.append(Constraint(expr, expression(expr), c.line))
    return FeatureModel(root, constraints)


def size(model: FeatureModel) -> int:
    """Features plus constraint nodes: what composing `model` once more costs."""
    features = sum(1 for _ in model.features())
    return features + sum(1 for c in model.constraints for _ in nodes(c.expr))


def _renamed(expr: Expr, names: dict[str, str], root: str) -> Expr:
    """`expr` over the renamed features (its depth is bounded by the reader)."""
    if isinstance(expr, Ref):
        return Ref(names[expr.feature], expr.attribute)
    if isinstance(expr, Not):
        return Not(_renamed(expr.operand, names, root))
    if isinstance(expr, (Logic, Compare, Arith)):
        return type(expr)(
            expr.op, _renamed(expr.left, names, root), _renamed(expr.right, names, root)
        )
    if isinstance(expr, Aggregate):
        scope = names[expr.scope] if expr.scope is not None else None
        if expr.attribute is not None and scope is None:
            scope = root
        args = tuple(_renamed(a, names, root) for a in expr.args)
        return Aggregate(expr.function, args, expr.attribute, scope)
    return expr
