"""The feature-model metamodel: features, groups, numeric domains and constraint expressions.

Everything else (readers, writers, the CNF encoder, samplers, the TUI editor) works on these
types. Numeric and string features get a finite domain for reasoning from attributes written in
the model file itself, so it survives any round trip:

    Integer num_beams {values [1, 2, 4]}
    Real temperature {min 0.2, max 1.4, step 0.4}

`values` (a list) wins over `min`/`max`/`step`; `step` defaults to 1.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from enum import Enum

from pimp_tui.errors import UnsupportedConstruct
from pimp_tui.variability.limits import MAX_DOMAIN

Value = bool | int | float | str
"""A configuration value: bool for Boolean features, the value itself for the others."""

Configuration = dict[str, Value | None]
"""Feature name -> value. Boolean features map to True/False; a numeric or string feature maps
to its value when selected and to None when deselected. A partial configuration omits keys."""


class FeatureType(str, Enum):
    BOOLEAN = "Boolean"
    INTEGER = "Integer"
    REAL = "Real"
    STRING = "String"


class GroupKind(str, Enum):
    MANDATORY = "mandatory"
    OPTIONAL = "optional"
    ALTERNATIVE = "alternative"
    OR = "or"
    CARDINALITY = "cardinality"


# --- constraint expressions -------------------------------------------------------------------


@dataclass(frozen=True)
class Ref:
    """A feature (`attribute` None) or one of its attributes (`B.Price`)."""

    feature: str
    attribute: str | None = None


@dataclass(frozen=True)
class Const:
    value: Value


@dataclass(frozen=True)
class Not:
    operand: Expr


@dataclass(frozen=True)
class Logic:
    """Boolean connective: op is one of '&', '|', '=>', '<=>'."""

    op: str
    left: Expr
    right: Expr


@dataclass(frozen=True)
class Compare:
    """Arithmetic comparison: op is one of '==', '!=', '<', '<=', '>', '>='."""

    op: str
    left: Expr
    right: Expr


@dataclass(frozen=True)
class Arith:
    """Arithmetic: op is one of '+', '-', '*', '/'."""

    op: str
    left: Expr
    right: Expr


@dataclass(frozen=True)
class Aggregate:
    """An aggregate function, as written:

    - `sum(attr)` / `avg(attr)`: `attribute` over all features that have it (no args);
    - `sum(attr, F)`: the same within F's subtree (`scope` F);
    - `sum(F.attr)`: args `(Ref(F, attr),)`;
    - `sum(F)`, `avg(F, G)`: the values of typed features, args `(Ref(F), ...)`;
    - `len(F)`: args `(Ref(F),)`; `floor(x)`, `ceil(x)`: args `(x,)`.
    """

    function: str
    args: tuple[Expr, ...]
    attribute: str | None = None
    scope: str | None = None


Expr = Ref | Const | Not | Logic | Compare | Arith | Aggregate


ASSOCIATIVE = frozenset({"&", "|", "+", "*"})
"""Operators whose chains readers build as balanced trees (see `chain`)."""


def chain(op: str, operands: Sequence[Expr]) -> Expr:
    """`a op b op c ...` as readers build it: a balanced tree for an associative operator (the
    left half gets the extra term, so three terms are `(a op b) op c`), left-nested otherwise.

    Balancing keeps a long disjunction from nesting deeply: every recursive step that follows
    (writers, CNF encoding, comparison) handles 10,000 terms in 14 levels."""
    kind = Logic if op in ("&", "|", "=>", "<=>") else Arith
    if op not in ASSOCIATIVE:
        result = operands[0]
        for operand in operands[1:]:
            result = kind(op, result, operand)
        return result
    if len(operands) == 1:
        return operands[0]
    mid = (len(operands) + 1) // 2
    return kind(op, chain(op, operands[:mid]), chain(op, operands[mid:]))


def run_of(expr: Logic | Arith) -> list[Expr]:
    """The operands of the maximal run of `expr.op` below `expr`, left to right."""
    out: list[Expr] = []
    stack: list[Expr] = [expr]
    while stack:
        e = stack.pop()
        if type(e) is type(expr) and e.op == expr.op:
            stack += [e.right, e.left]
        else:
            out.append(e)
    return out


def nodes(expr: Expr) -> Iterator[tuple[Expr, int]]:
    """Every node of the expression with its level (the top is 1), without recursion."""
    stack: list[tuple[Expr, int]] = [(expr, 1)]
    while stack:
        e, level = stack.pop()
        yield e, level
        if isinstance(e, Not):
            stack.append((e.operand, level + 1))
        elif isinstance(e, (Logic, Compare, Arith)):
            stack += [(e.left, level + 1), (e.right, level + 1)]
        elif isinstance(e, Aggregate):
            stack += [(a, level + 1) for a in e.args]


def depth(expr: Expr) -> int:
    """Levels of the expression tree (a reference or a constant is 1)."""
    return max(level for _, level in nodes(expr))


@dataclass
class Constraint:
    expr: Expr
    text: str = ""
    """The constraint as written in the model file (quoted back in explanations)."""
    line: int = 0


# --- features and groups ----------------------------------------------------------------------


@dataclass(eq=False)
class Group:
    kind: GroupKind
    children: list[Feature] = field(default_factory=list)
    lower: int = 0
    upper: int | None = None
    """Bounds for CARDINALITY groups; None means '*'."""

    def bounds(self) -> tuple[int, int]:
        """How many children may be selected when the parent is."""
        n = len(self.children)
        if self.kind is GroupKind.ALTERNATIVE:
            return 1, 1
        if self.kind is GroupKind.OR:
            return 1, n
        if self.kind is GroupKind.MANDATORY:
            return n, n
        if self.kind is GroupKind.OPTIONAL:
            return 0, n
        return self.lower, n if self.upper is None else min(self.upper, n)


@dataclass(eq=False)
class Feature:
    name: str
    type: FeatureType = FeatureType.BOOLEAN
    abstract: bool = False
    attributes: dict[str, object] = field(default_factory=dict)
    """Attributes other than `abstract`, in file order; nested dicts for nested attributes."""
    groups: list[Group] = field(default_factory=list)
    cardinality: tuple[int, int | None] | None = None
    """Feature cardinality [n..m] (clones); None when absent."""
    parent: Feature | None = field(default=None, repr=False)
    line: int = 0

    def children(self) -> Iterator[Feature]:
        for group in self.groups:
            yield from group.children

    def is_numeric(self) -> bool:
        return self.type in (FeatureType.INTEGER, FeatureType.REAL)

    def domain(self) -> tuple[Value, ...] | None:
        """The finite domain of a typed feature, or None (Boolean, or no domain written).

        Raises UnsupportedConstruct when `domain_error()` names a problem."""
        problem = self.domain_error()
        if problem is not None:
            raise UnsupportedConstruct(problem)
        values = self.attributes.get("values")
        if isinstance(values, list):
            return tuple(self._cast(v) for v in values)
        span = self._range()
        if span is None:
            return None
        lo, step, count = span
        return tuple(self._cast(lo + i * step) for i in range(count))

    def domain_size(self) -> int | None:
        """How many values `domain()` holds, computed without enumerating them."""
        if self.type is FeatureType.BOOLEAN:
            return None
        values = self.attributes.get("values")
        if isinstance(values, list):
            return len(values)
        span = self._range()
        return None if span is None else span[2]

    def domain_error(self) -> str | None:
        """Why the written domain cannot be used for reasoning (too many values, or values
        not of the feature's type), or None when it can."""
        size = self.domain_size()
        if size is None:
            return None
        if size > MAX_DOMAIN:
            return (
                f"{self.type.value} feature {self.name} has {count_text(size)} values; at most "
                f"{MAX_DOMAIN:,} can be reasoned about (narrow min/max or raise step)"
            )
        values = self.attributes.get("values")
        if isinstance(values, list):
            wrong = [v for v in values if not self._fits(v)]
            if wrong:
                kind = self.type.value
                return f"{kind} feature {self.name}: {wrong[0]!r} is not a {self._kind()}"
            return None
        if self.type is FeatureType.INTEGER:
            lo, step, _ = self._range() or (Decimal(0), Decimal(1), 0)
            if lo != lo.to_integral_value() or step != step.to_integral_value():
                return f"Integer feature {self.name}: min and step must be whole numbers"
        return None

    def _range(self) -> tuple[Decimal, Decimal, int] | None:
        """(min, step, count) of a min/max/step domain, or None when none is written."""
        lo, hi = self.attributes.get("min"), self.attributes.get("max")
        step = self.attributes.get("step", 1)
        if not all(_is_number(v) for v in (lo, hi, step)) or step <= 0:  # type: ignore[operator]
            return None
        # Decimal keeps 0.1-steps exact: 0.1 * 3 must be 0.3, not 0.30000000000000004.
        d_lo, d_step = Decimal(str(lo)), Decimal(str(step))
        count = int((Decimal(str(hi)) - d_lo) / d_step) + 1
        return d_lo, d_step, max(count, 0)

    def _fits(self, v: object) -> bool:
        if self.type is FeatureType.STRING:
            return isinstance(v, (str, int, float))
        if self.type is FeatureType.INTEGER:
            return _is_number(v) and (isinstance(v, int) or float(v).is_integer())  # type: ignore[arg-type]
        return _is_number(v)

    def _kind(self) -> str:
        return {FeatureType.INTEGER: "whole number", FeatureType.REAL: "number"}.get(
            self.type, "string"
        )

    def _cast(self, v: object) -> Value:
        if self.type is FeatureType.INTEGER:
            return int(v)  # type: ignore[call-overload]
        if self.type is FeatureType.REAL:
            return float(v)  # type: ignore[arg-type]
        return str(v)


# --- the model ---------------------------------------------------------------------------------


@dataclass(eq=False)
class FeatureModel:
    root: Feature
    constraints: list[Constraint] = field(default_factory=list)
    namespace: str | None = None
    includes: list[str] = field(default_factory=list)
    """Language levels from an `include` section, kept verbatim for the writer."""
    source: str | None = None
    """The path the model was read from, for messages."""

    def features(self) -> Iterator[Feature]:
        """All features, depth first, the root first."""
        stack = [self.root]
        while stack:
            feature = stack.pop()
            yield feature
            stack.extend(reversed(list(feature.children())))

    def feature(self, name: str) -> Feature:
        for f in self.features():
            if f.name == name:
                return f
        raise KeyError(name)

    def feature_names(self) -> list[str]:
        return [f.name for f in self.features()]

    def link_parents(self) -> None:
        """Set every feature's `parent`; call after building or editing the tree."""
        self.root.parent = None
        for f in self.features():
            for child in f.children():
                child.parent = f

    def structure(self) -> tuple:
        """A comparable value of everything the model means (not where it was read from)."""

        def feat(f: Feature) -> tuple:
            return (
                f.name,
                f.type.value,
                f.abstract,
                _freeze(f.attributes),
                f.cardinality,
                tuple(
                    (g.kind.value, g.lower, g.upper, tuple(feat(c) for c in g.children))
                    for g in f.groups
                ),
            )

        return (
            feat(self.root),
            tuple(c.expr for c in self.constraints),
            self.namespace,
            tuple(self.includes),
        )

    def __eq__(self, other: object) -> bool:
        return isinstance(other, FeatureModel) and self.structure() == other.structure()

    __hash__ = None  # type: ignore[assignment]


def count_text(n: int) -> str:
    """A count for a message: exact up to 15 digits, else its order of magnitude."""
    return f"{n:,}" if n < 10**15 else f"about 10^{len(str(n)) - 1}"


def _is_number(value: object) -> bool:
    """A finite int or float (not a bool)."""
    if isinstance(value, bool):
        return False
    return isinstance(value, int) or (isinstance(value, float) and math.isfinite(value))


def _freeze(value: object) -> object:
    if isinstance(value, Mapping):
        return tuple((k, _freeze(v)) for k, v in value.items())
    if isinstance(value, list):
        return tuple(_freeze(v) for v in value)
    return value
