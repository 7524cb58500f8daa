"""The feature-model metamodel: features, groups, numeric domains and constraint expressions.

Everything else (readers, writers, the CNF encoder, samplers, the TUI editor) works on these
types. Numeric and string features get a finite domain for reasoning from attributes written in
the model file itself, so it survives any round trip:

    Integer num_beams {values [1, 2, 4]}
    Real temperature {min 0.2, max 1.4, step 0.4}

`values` (a list) wins over `min`/`max`/`step`; `step` defaults to 1.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from enum import Enum

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
        """The finite domain of a typed feature, or None (Boolean, or no domain written)."""
        if self.type is FeatureType.BOOLEAN:
            return None
        values = self.attributes.get("values")
        if isinstance(values, list):
            return tuple(self._cast(v) for v in values)
        lo, hi = self.attributes.get("min"), self.attributes.get("max")
        if not isinstance(lo, (int, float)) or not isinstance(hi, (int, float)):
            return None
        step = self.attributes.get("step", 1)
        if not isinstance(step, (int, float)) or step <= 0:
            return None
        # Decimal keeps 0.1-steps exact: 0.1 * 3 must be 0.3, not 0.30000000000000004.
        d_lo, d_step = Decimal(str(lo)), Decimal(str(step))
        count = int((Decimal(str(hi)) - d_lo) / d_step) + 1
        return tuple(self._cast(d_lo + i * d_step) for i in range(max(count, 0)))

    def _cast(self, v: object) -> Value:
        if self.type is FeatureType.INTEGER:
            return int(v)  # type: ignore[arg-type]
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


def _freeze(value: object) -> object:
    if isinstance(value, Mapping):
        return tuple((k, _freeze(v)) for k, v in value.items())
    if isinstance(value, list):
        return tuple(_freeze(v) for v in value)
    return value
