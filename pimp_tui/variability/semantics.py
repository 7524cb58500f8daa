"""What a configuration means: the tree relations it must respect and the value of constraints.

The CNF encoder and the reasoner's explanations both rest on this module, so a configuration
the solver calls valid is exactly one every relation and constraint here holds for.

Semantics of expressions over a configuration (a dict feature -> bool / value / None):

- In a Boolean position a feature stands for "selected" (a typed feature is selected when its
  value is not None); `F.attr` stands for the truth of the attribute when F is selected.
- In an arithmetic position a typed feature stands for its value, a Boolean feature for 1 or 0,
  and `F.attr` for the attribute's value. A deselected feature is 0, and so is the attribute of
  a deselected feature: it contributes nothing to sums.
- `sum(attr)` / `avg(attr)` range over the features that define `attr` (all features, or the
  subtree of `Feature` in `sum(attr, Feature)` / `sum(Feature.attr)`); `avg` divides by the
  number of those selected (0 when none is). `sum(x)` of a numeric feature is its value.
  `len(F)` is the length of a string value; `floor`/`ceil` round.
- Arithmetic is exact (fractions, so `0.1 + 0.2 == 0.3` holds). A comparison whose sides cannot
  be computed (division by zero) or compared (a string against a number) is false, except `!=`
  between a string and a number, which is true.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Iterator, Mapping
from fractions import Fraction

from pimp_tui.errors import UnsupportedConstruct
from pimp_tui.variability.model import (
    Aggregate,
    Arith,
    Compare,
    Const,
    Expr,
    Feature,
    FeatureModel,
    Group,
    GroupKind,
    Logic,
    Not,
    Ref,
    Value,
)

Number = Fraction | str
"""An arithmetic value: exact numbers, or strings (compared for (in)equality only)."""


_COMPARISONS = {
    "==": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


class _Undefined(Exception):
    """An arithmetic value that does not exist (division by zero)."""


# --- tree relations ----------------------------------------------------------------------------


def root_relation(root: Feature) -> str:
    return f"{root.name} is the root"


def child_relation(child: Feature, parent: Feature) -> str:
    return f"{child.name} is a child of {parent.name}"


def mandatory_relation(child: Feature, parent: Feature) -> str:
    return f"{child.name} is a mandatory child of {parent.name}"


def group_relation(group: Group, parent: Feature) -> str:
    """The rule a group imposes on its parent's children, as quoted in explanations."""
    names = ", ".join(c.name for c in group.children)
    lo, hi = group.bounds()
    if group.kind is GroupKind.ALTERNATIVE:
        return f"alternative group under {parent.name}: exactly one of {names}"
    if group.kind is GroupKind.OR:
        return f"or group under {parent.name}: at least one of {names}"
    upper = "*" if group.upper is None else str(group.upper)
    return f"group [{group.lower}..{upper}] under {parent.name}: {lo} to {hi} of {names}"


def domain_relation(feature: Feature) -> str:
    return f"{feature.name} takes one value of its domain when selected"


def is_selected(feature: Feature, value: Value | None) -> bool:
    if feature.type.value == "Boolean":
        return value is True
    return value is not None


# --- expressions -------------------------------------------------------------------------------


class Evaluator:
    """Evaluates constraint expressions of one model over configurations."""

    def __init__(self, model: FeatureModel) -> None:
        self.model = model
        self.features = {f.name: f for f in model.features()}

    def feature(self, name: str) -> Feature:
        try:
            return self.features[name]
        except KeyError:
            raise UnsupportedConstruct(
                f"a constraint refers to the unknown feature {name}"
            ) from None

    def truth(self, expr: Expr, config: Mapping[str, Value | None]) -> bool:
        """The value of `expr` in a Boolean position."""
        if isinstance(expr, Ref):
            feature = self.feature(expr.feature)
            if not is_selected(feature, config.get(expr.feature)):
                return False
            if expr.attribute is None:
                return True
            return bool(_attribute(feature, expr.attribute))
        if isinstance(expr, Const):
            return bool(expr.value)
        if isinstance(expr, Not):
            return not self.truth(expr.operand, config)
        if isinstance(expr, Logic):
            left = self.truth(expr.left, config)
            right = self.truth(expr.right, config)
            if expr.op == "&":
                return left and right
            if expr.op == "|":
                return left or right
            if expr.op == "=>":
                return (not left) or right
            if expr.op == "<=>":
                return left == right
            raise UnsupportedConstruct(f"unknown connective {expr.op!r}")
        if isinstance(expr, Compare):
            return self.compare(expr, config)
        try:
            return self.number(expr, config) != 0
        except _Undefined:
            return False

    def compare(self, expr: Compare, config: Mapping[str, Value | None]) -> bool:
        try:
            left = self.number(expr.left, config)
            right = self.number(expr.right, config)
        except _Undefined:
            return False
        if isinstance(left, str) != isinstance(right, str):
            return expr.op == "!="
        if expr.op not in _COMPARISONS:
            raise UnsupportedConstruct(f"unknown comparison {expr.op!r}")
        return bool(_COMPARISONS[expr.op](left, right))

    def number(self, expr: Expr, config: Mapping[str, Value | None]) -> Number:
        """The value of `expr` in an arithmetic position (raises _Undefined on division by zero)."""
        if isinstance(expr, Ref):
            feature = self.feature(expr.feature)
            value = config.get(expr.feature)
            if not is_selected(feature, value):
                return Fraction(0)
            if expr.attribute is not None:
                return _as_number(_attribute(feature, expr.attribute), expr)
            return Fraction(1) if value is True else _as_number(value, expr)
        if isinstance(expr, Const):
            return _as_number(expr.value, expr)
        if isinstance(expr, (Not, Logic, Compare)):
            return Fraction(int(self.truth(expr, config)))
        if isinstance(expr, Arith):
            left = self.number(expr.left, config)
            right = self.number(expr.right, config)
            if isinstance(left, str) or isinstance(right, str):
                if expr.op == "+" and isinstance(left, str) and isinstance(right, str):
                    return left + right
                raise _Undefined
            if expr.op == "+":
                return left + right
            if expr.op == "-":
                return left - right
            if expr.op == "*":
                return left * right
            if expr.op == "/":
                if right == 0:
                    raise _Undefined
                return left / right
            raise UnsupportedConstruct(f"unknown arithmetic operator {expr.op!r}")
        if isinstance(expr, Aggregate):
            return self._aggregate(expr, config)
        raise UnsupportedConstruct(f"unknown expression {expr!r}")

    def _aggregate(self, expr: Aggregate, config: Mapping[str, Value | None]) -> Number:
        function = expr.function.lower()
        if function in ("sum", "avg") and not _over_attribute(expr):
            if not expr.args:
                raise UnsupportedConstruct(f"{function}() of nothing")
            values = [self.number(arg, config) for arg in expr.args]
            if any(isinstance(v, str) for v in values):
                raise UnsupportedConstruct(f"{function}() of a string")
            total = sum(values, Fraction(0))
            return total if function == "sum" else total / len(values)  # type: ignore[operator, return-value]
        if function in ("sum", "avg"):
            attribute = _aggregate_attribute(expr)
            total, selected = Fraction(0), 0
            for feature in self.aggregate_features(expr):
                if is_selected(feature, config.get(feature.name)):
                    value = _as_number(_attribute(feature, attribute), expr)
                    if isinstance(value, str):
                        raise UnsupportedConstruct(
                            f"{function}() over the string attribute {attribute}"
                        )
                    total += value
                    selected += 1
            if function == "sum":
                return total
            return total / selected if selected else Fraction(0)
        if len(expr.args) != 1:
            raise UnsupportedConstruct(f"{function}() with {len(expr.args)} arguments")
        value = self.number(expr.args[0], config)
        if function == "len":
            if isinstance(value, str):
                return Fraction(len(value))
            if value == 0:
                return Fraction(0)
            raise UnsupportedConstruct("len() of a number")
        if isinstance(value, str):
            raise UnsupportedConstruct(f"{function}() of a string")
        if function == "floor":
            return Fraction(math.floor(value))
        if function == "ceil":
            return Fraction(math.ceil(value))
        raise UnsupportedConstruct(f"the aggregate function {expr.function}()")

    def aggregate_features(self, expr: Aggregate) -> list[Feature]:
        """The features a sum/avg ranges over: those defining the attribute, within the scope."""
        attribute = _aggregate_attribute(expr)
        scope = expr.scope
        if scope is None and len(expr.args) == 1 and isinstance(expr.args[0], Ref):
            if expr.args[0].attribute is not None:
                scope = expr.args[0].feature
        top = self.model.root if scope is None else self.feature(scope)
        return [f for f in _subtree(top) if attribute in f.attributes]

    def references(self, expr: Expr) -> dict[str, bool]:
        """Features whose state `expr` depends on: name -> whether their value (not only their
        selection) matters."""
        found: dict[str, bool] = {}

        def visit(e: Expr, arithmetic: bool) -> None:
            if isinstance(e, Ref):
                feature = self.feature(e.feature)
                needs_value = arithmetic and e.attribute is None and feature.type.value != "Boolean"
                found[e.feature] = found.get(e.feature, False) or needs_value
            elif isinstance(e, Not):
                visit(e.operand, False)
            elif isinstance(e, Logic):
                visit(e.left, False)
                visit(e.right, False)
            elif isinstance(e, (Compare, Arith)):
                visit(e.left, True)
                visit(e.right, True)
            elif isinstance(e, Aggregate):
                if e.function.lower() in ("sum", "avg") and _over_attribute(e):
                    for f in self.aggregate_features(e):
                        found.setdefault(f.name, False)
                else:
                    for arg in e.args:
                        visit(arg, True)

        visit(expr, False)
        return found


def _over_attribute(expr: Aggregate) -> bool:
    """`sum(attr)`, `sum(attr, F)` or `sum(F.attr)`: a sum over the features defining attr
    (otherwise `sum(x)` adds up its arguments, such as a numeric feature's value)."""
    if expr.attribute is not None:
        return True
    return (
        len(expr.args) == 1 and isinstance(expr.args[0], Ref) and expr.args[0].attribute is not None
    )


def _aggregate_attribute(expr: Aggregate) -> str:
    if expr.attribute is not None:
        return expr.attribute
    ref = expr.args[0]
    assert isinstance(ref, Ref) and ref.attribute is not None
    return ref.attribute


def _subtree(feature: Feature) -> Iterator[Feature]:
    stack = [feature]
    while stack:
        f = stack.pop()
        yield f
        stack.extend(reversed(list(f.children())))


def render(expr: Expr) -> str:
    """UVL-like text of an expression, for constraints built without their written text."""
    if isinstance(expr, Ref):
        name = expr.feature if expr.feature.replace("_", "").isalnum() else f'"{expr.feature}"'
        return name if expr.attribute is None else f"{name}.{expr.attribute}"
    if isinstance(expr, Const):
        if isinstance(expr.value, bool):
            return "true" if expr.value else "false"
        return f"'{expr.value}'" if isinstance(expr.value, str) else str(expr.value)
    if isinstance(expr, Not):
        return f"!{_wrap(expr.operand)}"
    if isinstance(expr, (Logic, Compare, Arith)):
        return f"{_wrap(expr.left)} {expr.op} {_wrap(expr.right)}"
    if isinstance(expr, Aggregate):
        if expr.attribute is not None:
            inner = expr.attribute if expr.scope is None else f"{expr.scope}.{expr.attribute}"
        else:
            inner = ", ".join(render(a) for a in expr.args)
        return f"{expr.function}({inner})"
    return repr(expr)


def _wrap(expr: Expr) -> str:
    text = render(expr)
    return f"({text})" if isinstance(expr, (Logic, Compare, Arith)) else text


def _attribute(feature: Feature, attribute: str) -> object:
    if attribute not in feature.attributes:
        raise UnsupportedConstruct(f"{feature.name} has no attribute {attribute}")
    return feature.attributes[attribute]


def _as_number(value: object, where: Expr) -> Number:
    if isinstance(value, bool):
        return Fraction(int(value))
    if isinstance(value, int):
        return Fraction(value)
    if isinstance(value, float):
        return Fraction(repr(value))
    if isinstance(value, Fraction):
        return value
    if isinstance(value, str):
        return value
    raise UnsupportedConstruct(f"a non-numeric value in {render(where)}")
