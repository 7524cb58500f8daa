"""UVL writer: canonical UVL (tab-indented) that reads back into an equal model.

Names are quoted when they are not plain identifiers or are keywords; numbers are written
without exponents so other UVL tools read them too; constraint expressions get only the
parentheses their structure needs (plus around a comparison under `!`, for the reader's sake).
A run of one associative operator is written flat when it has the balanced shape the reader
builds (`model.chain`), with parentheses that keep any other shape.
"""

from __future__ import annotations

import re
from decimal import Decimal

from pimp_tui.errors import UnsupportedConstruct
from pimp_tui.variability.model import (
    ASSOCIATIVE,
    Aggregate,
    Arith,
    Compare,
    Const,
    Expr,
    Feature,
    FeatureModel,
    FeatureType,
    Group,
    GroupKind,
    Logic,
    Not,
    Ref,
    chain,
    run_of,
)
from pimp_tui.variability.uvl_lexer import RESERVED

_PLAIN = re.compile(r"[A-Za-z][A-Za-z0-9_]*\Z")
_PRECEDENCE = {"<=>": 1, "=>": 2, "|": 3, "&": 4, "+": 7, "-": 7, "*": 8, "/": 8}
_NOT, _COMPARE, _ATOM = 5, 6, 9


def quote(name: str) -> str:
    """A name as UVL needs it: bare when a plain identifier, else in double quotes."""
    if _PLAIN.match(name) and name not in RESERVED:
        return name
    if '"' in name or "\n" in name or not name:
        raise UnsupportedConstruct(f"the name {name!r} cannot be written in UVL")
    return f'"{name}"'


def number(value: int | float) -> str:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(value)
    if isinstance(value, int):
        return str(value)
    if value != value or value in (float("inf"), float("-inf")):
        raise UnsupportedConstruct(f"the number {value} cannot be written in UVL")
    text = repr(value)
    if "e" in text or "E" in text:
        text = format(Decimal(text), "f")
    return text if "." in text else text + ".0"


def string(value: str) -> str:
    if "'" in value or "\n" in value:
        raise UnsupportedConstruct(f"the string {value!r} cannot be written in UVL")
    return f"'{value}'"


def value(v: object) -> str:
    """An attribute value: bool, number, string, list or nested attributes."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return number(v)
    if isinstance(v, str):
        return string(v)
    if isinstance(v, list):
        return "[" + ", ".join(value(x) for x in v) + "]"
    if isinstance(v, dict):
        return attributes(v)
    raise TypeError(f"attribute value {v!r} cannot be written in UVL")


def attributes(attrs: dict[str, object], abstract: bool = False) -> str:
    items = ["abstract"] if abstract else []
    items += [quote(k) if v is True else f"{quote(k)} {value(v)}" for k, v in attrs.items()]
    return "{" + ", ".join(items) + "}"


def _cardinality(lower: int, upper: int | None) -> str:
    return f"[{lower}..{'*' if upper is None else upper}]"


# -- expressions ---------------------------------------------------------------------------


def _precedence(e: Expr) -> int:
    if isinstance(e, (Logic, Arith)):
        return _PRECEDENCE[e.op]
    if isinstance(e, Not):
        return _NOT
    if isinstance(e, Compare):
        return _COMPARE
    return _ATOM


def _operand(e: Expr, parent: int, right: bool) -> str:
    """Parenthesise when the child binds looser; on the right also when equal (left-assoc)."""
    p = _precedence(e)
    text = expression(e)
    return f"({text})" if p < parent or (right and p == parent) else text


def _binary(e: Logic | Arith | Compare) -> str:
    p = _precedence(e)
    if e.op not in ASSOCIATIVE or isinstance(e, Compare):
        return f"{_operand(e.left, p, False)} {e.op} {_operand(e.right, p, True)}"
    operands = run_of(e)
    if chain(e.op, operands) == e:
        # The shape the reader builds from a flat run: write the run flat.
        texts = [_operand(x, p, i > 0) for i, x in enumerate(operands)]
        return f" {e.op} ".join(texts)
    # Any other shape: a same-operator child in parentheses reads back as one operand.
    sides = [
        f"({expression(x)})" if _same_run(x, e) else _operand(x, p, right)
        for x, right in ((e.left, False), (e.right, True))
    ]
    return f" {e.op} ".join(sides)


def _same_run(child: Expr, parent: Logic | Arith | Compare) -> bool:
    return type(child) is type(parent) and child.op == parent.op


def _ref(feature: str, attribute: str | None) -> str:
    parts = [feature, *(attribute.split(".") if attribute else [])]
    return ".".join(quote(p) for p in parts)


def expression(e: Expr) -> str:
    """A constraint expression in UVL syntax."""
    if isinstance(e, Ref):
        return _ref(e.feature, e.attribute)
    if isinstance(e, Const):
        return value(e.value)
    if isinstance(e, Not):
        inner = expression(e.operand)
        return (
            f"!({inner})"
            if _precedence(e.operand) < _ATOM and not isinstance(e.operand, Not)
            else f"!{inner}"
        )
    if isinstance(e, (Logic, Arith, Compare)):
        return _binary(e)
    if isinstance(e, Aggregate):
        if e.args:
            args = ", ".join(expression(a) for a in e.args)
        elif e.scope is not None:
            args = f"{quote(e.attribute or '')}, {quote(e.scope)}"
        else:
            args = quote(e.attribute or "")
        return f"{e.function}({args})"
    raise TypeError(f"not a constraint expression: {e!r}")


# -- the model -----------------------------------------------------------------------------


def _feature(f: Feature, depth: int, out: list[str]) -> None:
    head = quote(f.name)
    if f.type is not FeatureType.BOOLEAN:
        head = f"{f.type.value} {head}"
    if f.cardinality is not None:
        head += f" cardinality {_cardinality(*f.cardinality)}"
    if f.abstract or f.attributes:
        head += " " + attributes(f.attributes, f.abstract)
    out.append("\t" * depth + head)
    for group in f.groups:
        _group(group, depth + 1, out)


def _group(g: Group, depth: int, out: list[str]) -> None:
    kind = _cardinality(g.lower, g.upper) if g.kind is GroupKind.CARDINALITY else g.kind.value
    out.append("\t" * depth + kind)
    for child in g.children:
        _feature(child, depth + 1, out)


def write_uvl(model: FeatureModel) -> str:
    """The model as canonical UVL text (ends with a newline)."""
    out: list[str] = []
    if model.namespace:
        parts = model.namespace.split(".")
        name = ".".join(quote(p) for p in parts) if all(parts) else quote(model.namespace)
        out += [f"namespace {name}", ""]
    if model.includes:
        out += ["include", *(f"\t{level}" for level in model.includes), ""]
    out.append("features")
    _feature(model.root, 1, out)
    if model.constraints:
        out += ["", "constraints", *(f"\t{expression(c.expr)}" for c in model.constraints)]
    return "\n".join(out) + "\n"
