"""Random small feature models and an independent brute-force reading of their semantics.

The evaluator here is written from the language's definition, separately from the encoder and
from pimp_tui.variability.semantics, so property tests compare two readings of a model."""

from __future__ import annotations

import itertools
from fractions import Fraction

from hypothesis import strategies as st

from pimp_tui.variability.model import (
    Aggregate,
    Arith,
    Compare,
    Const,
    Constraint,
    Feature,
    FeatureModel,
    FeatureType,
    Group,
    GroupKind,
    Logic,
    Not,
    Ref,
)


@st.composite
def small_models(draw: st.DrawFn, max_features: int = 7) -> FeatureModel:
    root = Feature("Root")
    features = [root]
    for i in range(draw(st.integers(1, max_features))):
        if draw(st.integers(0, 4)) == 0:
            values = sorted(draw(st.sets(st.integers(0, 4), min_size=1, max_size=3)))
            feature = Feature(f"N{i}", type=FeatureType.INTEGER, attributes={"values": values})
        else:
            feature = Feature(f"F{i}")
        if draw(st.booleans()):
            feature.attributes["Price"] = draw(st.integers(0, 5))
        parent = draw(st.sampled_from(features))
        if parent.groups and draw(st.booleans()):
            group = draw(st.sampled_from(parent.groups))
        else:
            kind = draw(st.sampled_from(list(GroupKind)))
            lower = draw(st.integers(0, 3))
            upper = draw(st.one_of(st.none(), st.integers(lower, 3)))
            group = Group(kind, [], lower, upper)
            parent.groups.append(group)
        group.children.append(feature)
        features.append(feature)
    model = FeatureModel(root)
    model.link_parents()
    names = [f.name for f in features]
    for i in range(draw(st.integers(0, 3))):
        expr = draw(_bool_expr(features, names, 3))
        model.constraints.append(Constraint(expr, text=f"c{i}"))
    return model


def _bool_expr(features: list[Feature], names: list[str], depth: int) -> st.SearchStrategy:
    leaf = st.sampled_from(names).map(Ref)
    if depth == 0:
        return leaf
    sub = _bool_expr(features, names, depth - 1)
    numbers = _num_expr(features, 2)
    return st.one_of(
        leaf,
        sub.map(Not),
        st.tuples(st.sampled_from(["&", "|", "=>", "<=>"]), sub, sub).map(lambda t: Logic(*t)),
        st.tuples(st.sampled_from(["==", "!=", "<", "<=", ">", ">="]), numbers, numbers).map(
            lambda t: Compare(*t)
        ),
    )


def _num_expr(features: list[Feature], depth: int) -> st.SearchStrategy:
    leaves = [st.integers(0, 6).map(Const)]
    typed = [f.name for f in features if f.type is FeatureType.INTEGER]
    priced = [f.name for f in features if "Price" in f.attributes]
    if typed:
        leaves.append(st.sampled_from(typed).map(Ref))
    if priced:
        leaves.append(st.sampled_from(priced).map(lambda n: Ref(n, "Price")))
        leaves.append(st.just(Aggregate("sum", (), attribute="Price")))
    leaf = st.one_of(*leaves)
    if depth == 0:
        return leaf
    sub = _num_expr(features, depth - 1)
    return st.one_of(
        leaf,
        st.tuples(st.sampled_from(["+", "-", "*", "/"]), sub, sub).map(lambda t: Arith(*t)),
    )


# --- the independent reading -------------------------------------------------------------------


def all_assignments(model: FeatureModel) -> list[dict]:
    """Every assignment of states to features, valid or not."""
    features = list(model.features())
    choices = []
    for f in features:
        if f.type is FeatureType.BOOLEAN:
            choices.append([False, True])
        else:
            choices.append([None, *dict.fromkeys(f.domain() or ())])
    return [
        dict(zip([f.name for f in features], combo, strict=True))
        for combo in itertools.product(*choices)
    ]


def on(config: dict, name: str) -> bool:
    value = config[name]
    return value is not None and value is not False


def tree_ok(model: FeatureModel, config: dict) -> bool:
    if not on(config, model.root.name):
        return False
    for f in model.features():
        for group in f.groups:
            picked = [on(config, c.name) for c in group.children]
            if any(picked) and not on(config, f.name):
                return False
            if not on(config, f.name):
                continue
            n, k = len(picked), sum(picked)
            low, high = {
                GroupKind.MANDATORY: (n, n),
                GroupKind.OPTIONAL: (0, n),
                GroupKind.ALTERNATIVE: (1, 1),
                GroupKind.OR: (1, n),
                GroupKind.CARDINALITY: (group.lower, n if group.upper is None else group.upper),
            }[group.kind]
            if not low <= k <= high:
                return False
    return True


class _DivZero(Exception):
    pass


def holds(model: FeatureModel, expr, config: dict) -> bool:
    features = {f.name: f for f in model.features()}

    def val(e):
        if isinstance(e, Const):
            return Fraction(e.value)
        if isinstance(e, Ref):
            if not on(config, e.feature):
                return Fraction(0)
            if e.attribute:
                return Fraction(features[e.feature].attributes[e.attribute])
            return Fraction(config[e.feature])
        if isinstance(e, Aggregate):
            return sum(
                (
                    Fraction(f.attributes["Price"])
                    for f in features.values()
                    if "Price" in f.attributes and on(config, f.name)
                ),
                Fraction(0),
            )
        a, b = val(e.left), val(e.right)
        if e.op == "/":
            if b == 0:
                raise _DivZero
            return a / b
        return {"+": a + b, "-": a - b, "*": a * b}[e.op]

    def truth(e) -> bool:
        if isinstance(e, Ref):
            return on(config, e.feature)
        if isinstance(e, Not):
            return not truth(e.operand)
        if isinstance(e, Logic):
            a, b = truth(e.left), truth(e.right)
            return {"&": a and b, "|": a or b, "=>": (not a) or b, "<=>": a == b}[e.op]
        try:
            a, b = val(e.left), val(e.right)
        except _DivZero:
            return False
        return {"==": a == b, "!=": a != b, "<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[
            e.op
        ]

    return truth(expr)


def broken(model: FeatureModel, config: dict) -> set[str]:
    return {c.text for c in model.constraints if not holds(model, c.expr, config)}


def valid_configs(model: FeatureModel) -> list[dict]:
    return [c for c in all_assignments(model) if tree_ok(model, c) and not broken(model, c)]
