"""CNF encoding of a feature model, for SAT reasoning, exact counting and sampling.

Variables: one per feature (true iff selected), then one per value of each typed feature's
domain (true iff the feature is selected with that value), then auxiliary variables. Every
auxiliary variable is defined by an equivalence over the configuration variables, so each
configuration has exactly one satisfying assignment and a model count over all variables is the
number of valid configurations.

What the clauses say:

- the root is selected; a selected child implies its parent; a mandatory child is selected
  exactly when its parent is;
- a group [n..m] (alternative = [1..1], or = [1..*]) bounds the number of selected children
  when the parent is selected (none can be selected when it is not, since children imply their
  parent). At-most-one uses pairwise clauses (pysat.card) for small groups; larger bounds use a
  sequential counter whose auxiliaries are defined both ways (pysat.card's counters imply them in
  one direction only, which would multiply the models of one configuration);
- abstract features are ordinary variables; a feature cardinality [n..m] (clones) is reasoned
  about as the feature's presence only;
- a typed feature takes exactly one value of its finite domain when selected and none when not;
- Boolean cross-tree constraints become plain clauses when they distribute into a few, and are
  Tseitin-encoded in equivalence form otherwise;
- an arithmetic part (comparison, arithmetic, aggregate, attribute) is encoded by enumerating the
  combinations of the states (selection, or value for typed features) of the features it reads
  and excluding those under which it is false, with the semantics of `semantics.py`: a
  deselected feature counts as 0 and so do its attributes. More than MAX_COMBINATIONS
  combinations, or a typed feature without a finite domain, raise UnsupportedConstruct.

Each clause records where it comes from (`clause_origin`): a constraint's text as written, or
a tree relation such as "alternative group under A: exactly one of B, C".
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from pysat.card import CardEnc, EncType

from pimp_tui.errors import PimpError, UnsupportedConstruct
from pimp_tui.variability import semantics
from pimp_tui.variability.model import (
    Configuration,
    Const,
    Expr,
    Feature,
    FeatureModel,
    FeatureType,
    GroupKind,
    Logic,
    Not,
    Ref,
    Value,
)

MAX_COMBINATIONS = 2**18
"""Most feature-state combinations one arithmetic constraint may enumerate."""

DISTRIBUTE_LIMIT = 64
"""A Boolean constraint becomes at most this many plain clauses, else Tseitin clauses."""

PAIRWISE_LIMIT = 20
"""At-most-one over more literals than this uses a counter instead of pairwise clauses."""

Lit = int | bool
"""A literal, or a constant True/False folded away before it reaches a clause."""


@dataclass(eq=False)
class Encoding:
    """The clauses of a model and how its configurations map to variables."""

    clauses: list[list[int]]
    num_vars: int
    feature_var: dict[str, int]
    value_var: dict[str, dict[Value, int]]
    clause_origin: list[str]
    model: FeatureModel = field(repr=False)

    def config_vars(self) -> list[int]:
        """Feature and value variables: they alone determine every other variable."""
        out = list(self.feature_var.values())
        for values in self.value_var.values():
            out.extend(values.values())
        return out

    def assumptions(self, partial: Mapping[str, Value | None]) -> list[int]:
        """Literals fixing a partial configuration. Boolean features take True/False; typed
        features take a value of their domain, None (deselected) or True (selected, any value)."""
        features = {f.name: f for f in self.model.features()} if partial else {}
        out: list[int] = []
        for name, value in partial.items():
            if name not in self.feature_var:
                raise PimpError(f"unknown feature {name!r}")
            var = self.feature_var[name]
            if value is None or value is False:
                out.append(-var)
            elif value is True:
                out.append(var)
            elif name in self.value_var:
                out.append(self._value_literal(features[name], value))
            else:
                raise PimpError(f"{name} is Boolean: expected true or false, got {value!r}")
        return out

    def _value_literal(self, feature: Feature, value: Value) -> int:
        values = self.value_var[feature.name]
        if not isinstance(value, bool) and value in values:
            return values[value]
        try:
            cast = feature._cast(value)
        except (TypeError, ValueError):
            cast = None
        if cast is not None and cast in values:
            return values[cast]
        raise PimpError(f"{value!r} is not in the domain of {feature.name}")

    def decode(self, model_literals: Iterable[int]) -> Configuration:
        """The full configuration of a satisfying assignment."""
        true = {lit for lit in model_literals if lit > 0}
        config: Configuration = {}
        for name, var in self.feature_var.items():
            if name not in self.value_var:
                config[name] = var in true
                continue
            config[name] = None
            if var in true:
                for value, value_var in self.value_var[name].items():
                    if value_var in true:
                        config[name] = value
                        break
        return config


def encode(model: FeatureModel) -> Encoding:
    """Encode `model` as CNF (raises UnsupportedConstruct for what has no finite encoding)."""
    return _Encoder(model).run()


class _Encoder:
    def __init__(self, model: FeatureModel) -> None:
        self.model = model
        self.evaluator = semantics.Evaluator(model)
        self.clauses: list[list[int]] = []
        self.origins: list[str] = []
        self.num_vars = 0
        self.feature_var: dict[str, int] = {}
        self.value_var: dict[str, dict[Value, int]] = {}
        self.cache: dict[tuple, int] = {}
        """Auxiliary variables by definition and origin: shared within one constraint or
        relation only, so each origin's clauses stand alone when explaining a conflict."""

    def run(self) -> Encoding:
        features = list(self.model.features())
        for feature in features:
            self.feature_var[feature.name] = self.new_var()
        for feature in features:
            if feature.type is not FeatureType.BOOLEAN:
                self.value_var[feature.name] = {
                    value: self.new_var() for value in dict.fromkeys(_domain(feature))
                }
        root = self.model.root
        self.add([self.feature_var[root.name]], semantics.root_relation(root))
        for feature in features:
            self.encode_feature(feature)
        for constraint in self.model.constraints:
            text = constraint.text or semantics.render(constraint.expr)
            self.assert_expr(constraint.expr, True, text)
        return Encoding(
            clauses=self.clauses,
            num_vars=self.num_vars,
            feature_var=self.feature_var,
            value_var=self.value_var,
            clause_origin=self.origins,
            model=self.model,
        )

    # --- primitives -----------------------------------------------------------------------

    def new_var(self) -> int:
        self.num_vars += 1
        return self.num_vars

    def add(self, lits: Iterable[Lit], origin: str) -> None:
        """Add a clause, folding constants: a True literal drops it, False literals vanish."""
        clause: list[int] = []
        for lit in lits:
            if lit is True:
                return
            if lit is not False:
                clause.append(lit)
        self.clauses.append(clause)
        self.origins.append(origin)

    def and2(self, a: Lit, b: Lit, origin: str) -> Lit:
        if a is False or b is False:
            return False
        if a is True:
            return b
        if b is True or a == b:
            return a
        if a == -b:
            return False
        key = ("&", min(a, b), max(a, b), origin)
        if key not in self.cache:
            v = self.new_var()
            self.add([-v, a], origin)
            self.add([-v, b], origin)
            self.add([v, -a, -b], origin)
            self.cache[key] = v
        return self.cache[key]

    def or2(self, a: Lit, b: Lit, origin: str) -> Lit:
        return neg(self.and2(neg(a), neg(b), origin))

    def iff2(self, a: Lit, b: Lit, origin: str) -> Lit:
        if isinstance(a, bool):
            return b if a else neg(b)
        if isinstance(b, bool):
            return a if b else neg(a)
        if a == b:
            return True
        if a == -b:
            return False
        key = ("<=>", min(a, b), max(a, b), origin)
        if key not in self.cache:
            v = self.new_var()
            self.add([-v, -a, b], origin)
            self.add([-v, a, -b], origin)
            self.add([v, a, b], origin)
            self.add([v, -a, -b], origin)
            self.cache[key] = v
        return self.cache[key]

    def at_least(self, lits: list[int], k: int, origin: str) -> list[Lit]:
        """[r1..rk]: rj is true iff at least j of `lits` are (a sequential counter whose every
        auxiliary is an equivalence)."""
        counts: list[Lit] = [True] + [False] * k  # type: ignore[assignment]
        for x in lits:
            counts = [True] + [
                self.or2(counts[j], self.and2(counts[j - 1], x, origin), origin)
                for j in range(1, k + 1)
            ]
        return counts[1:]

    # --- the tree -------------------------------------------------------------------------

    def encode_feature(self, feature: Feature) -> None:
        var = self.feature_var[feature.name]
        for child in feature.children():
            self.add([-self.feature_var[child.name], var], semantics.child_relation(child, feature))
        for group in feature.groups:
            children = [self.feature_var[c.name] for c in group.children]
            if group.kind is GroupKind.MANDATORY:
                for child in group.children:
                    origin = semantics.mandatory_relation(child, feature)
                    self.add([-var, self.feature_var[child.name]], origin)
                continue
            lo, hi = group.bounds()
            self.bound(var, children, lo, hi, semantics.group_relation(group, feature))
        if feature.name in self.value_var:
            values = list(self.value_var[feature.name].values())
            origin = semantics.domain_relation(feature)
            for v in values:
                self.add([-v, var], origin)
            self.bound(var, values, 1, 1, origin)

    def bound(self, parent: int, lits: list[int], lo: int, hi: int, origin: str) -> None:
        """When `parent` is selected, between lo and hi of `lits` are true."""
        n = len(lits)
        hi = min(hi, n)
        if lo > hi:
            self.add([-parent], origin)
            return
        if lo >= 1:
            self.add([-parent, *lits], origin)
        if hi == 1 and n <= PAIRWISE_LIMIT:
            for clause in CardEnc.atmost(lits, bound=1, encoding=EncType.pairwise).clauses:
                self.add(clause, origin)
            return
        if lo <= 1 and hi >= n:
            return
        counts = self.at_least(lits, min(n, max(lo, hi + 1)), origin)
        if lo > 1:
            self.add([-parent, counts[lo - 1]], origin)
        if hi < n:
            self.add([-parent, neg(counts[hi])], origin)

    # --- constraints ----------------------------------------------------------------------

    def assert_expr(self, expr: Expr, positive: bool, origin: str) -> None:
        """Require `expr` (or its negation): as plain clauses when the Boolean expression
        distributes into a few; else conjunctions split and disjunctions become clauses over
        Tseitin literals."""
        distributed = self.distribute(expr, positive)
        if distributed is not None:
            for clause in distributed:
                self.add(sorted(clause, key=abs), origin)
            return
        if isinstance(expr, Not):
            self.assert_expr(expr.operand, not positive, origin)
            return
        if isinstance(expr, Logic):
            if expr.op == "&" and positive:
                self.assert_expr(expr.left, True, origin)
                self.assert_expr(expr.right, True, origin)
                return
            if expr.op == "|" and not positive:
                self.assert_expr(expr.left, False, origin)
                self.assert_expr(expr.right, False, origin)
                return
            if expr.op == "=>" and not positive:
                self.assert_expr(expr.left, True, origin)
                self.assert_expr(expr.right, False, origin)
                return
        leaves: list[tuple[Expr, bool]] = []
        _disjuncts(expr, positive, leaves)
        atoms = [(e, p) for e, p in leaves if _is_atom(e)]
        expanded = atoms[0] if atoms else None
        lits = [self.lit(e, p, origin) for e, p in leaves if (e, p) is not expanded]
        if expanded is None:
            self.add(lits, origin)
            return
        atom, wanted = expanded
        for combo, holds in self.combinations(atom, origin):
            if holds != wanted:
                self.add([*lits, *(neg(lit) for lit in combo)], origin)

    def distribute(self, expr: Expr, positive: bool) -> list[frozenset[int]] | None:
        """The clauses of a purely Boolean expression (negated when not `positive`), or None
        when it has an arithmetic part or needs more than DISTRIBUTE_LIMIT clauses."""
        if isinstance(expr, Ref) and expr.attribute is None:
            var = self.feature_var[self.evaluator.feature(expr.feature).name]
            return [frozenset([var if positive else -var])]
        if isinstance(expr, Const):
            return [] if bool(expr.value) == positive else [frozenset()]
        if isinstance(expr, Not):
            return self.distribute(expr.operand, not positive)
        if not isinstance(expr, Logic):
            return None
        a, b = expr.left, expr.right
        if expr.op == "<=>":
            first = self._disjunction((a, not positive), (b, True))
            second = self._disjunction((a, positive), (b, False))
            return _conjunction(first, second)
        either = {"&": not positive, "|": positive, "=>": positive}[expr.op]
        flip = expr.op == "=>"
        sides = ((a, positive != flip), (b, positive))
        if either:
            return self._disjunction(*sides)
        return _conjunction(self.distribute(*sides[0]), self.distribute(*sides[1]))

    def _disjunction(
        self, left: tuple[Expr, bool], right: tuple[Expr, bool]
    ) -> list[frozenset[int]] | None:
        first, second = self.distribute(*left), self.distribute(*right)
        if first is None or second is None or len(first) * len(second) > DISTRIBUTE_LIMIT:
            return None
        out = []
        for x in first:
            for y in second:
                clause = x | y
                if not any(-lit in clause for lit in clause):
                    out.append(clause)
        return out

    def lit(self, expr: Expr, positive: bool, origin: str) -> Lit:
        """A literal equivalent to `expr` (negated when not `positive`)."""
        value = self.lit_of(expr, origin)
        return value if positive else neg(value)

    def lit_of(self, expr: Expr, origin: str) -> Lit:
        if isinstance(expr, Ref) and expr.attribute is None:
            return self.feature_var[self.evaluator.feature(expr.feature).name]
        if isinstance(expr, Not):
            return neg(self.lit_of(expr.operand, origin))
        if isinstance(expr, Logic):
            left = self.lit_of(expr.left, origin)
            right = self.lit_of(expr.right, origin)
            if expr.op == "&":
                return self.and2(left, right, origin)
            if expr.op == "|":
                return self.or2(left, right, origin)
            if expr.op == "=>":
                return self.or2(neg(left), right, origin)
            if expr.op == "<=>":
                return self.iff2(left, right, origin)
            raise UnsupportedConstruct(f"unknown connective {expr.op!r} in {origin}")
        if not _is_atom(expr):
            return bool(self.evaluator.truth(expr, {}))
        key = ("atom", expr, origin)
        if key in self.cache:
            return self.cache[key]
        combos = list(self.combinations(expr, origin))
        outcomes = {holds for _, holds in combos}
        if len(outcomes) == 1:
            return outcomes.pop()
        v = self.new_var()
        for combo, holds in combos:
            self.add([*(neg(lit) for lit in combo), v if holds else -v], origin)
        self.cache[key] = v
        return v

    def combinations(self, expr: Expr, origin: str) -> Iterable[tuple[tuple[int, ...], bool]]:
        """Every combination of the states of the features `expr` reads, as the literals fixing
        it, with the truth of `expr` under it."""
        refs = self.evaluator.references(expr)
        names = list(refs)
        choices = [self.states(name, refs[name], origin) for name in names]
        total = 1
        for states in choices:
            total *= len(states)
        if total > MAX_COMBINATIONS:
            raise UnsupportedConstruct(
                f"the constraint {origin!r} combines {total:,} feature states; "
                f"at most {MAX_COMBINATIONS:,} can be enumerated"
            )
        for combo in itertools.product(*choices):
            config = {name: value for name, (value, _) in zip(names, combo, strict=True)}
            yield tuple(lit for _, lit in combo), self.evaluator.truth(expr, config)

    def states(self, name: str, needs_value: bool, origin: str) -> list[tuple[Value | None, int]]:
        var = self.feature_var[name]
        if name not in self.value_var:
            return [(True, var), (False, -var)]
        if not needs_value:
            return [(True, var), (None, -var)]
        return [(None, -var), *self.value_var[name].items()]


def _conjunction(
    first: list[frozenset[int]] | None, second: list[frozenset[int]] | None
) -> list[frozenset[int]] | None:
    if first is None or second is None or len(first) + len(second) > DISTRIBUTE_LIMIT:
        return None
    return first + second


def neg(lit: Lit) -> Lit:
    if isinstance(lit, bool):
        return not lit
    return -lit


def _is_atom(expr: Expr) -> bool:
    """An arithmetic or attribute part, encoded by enumeration rather than by Tseitin."""
    if isinstance(expr, Ref):
        return expr.attribute is not None
    return not isinstance(expr, (Not, Logic, Const))


def _disjuncts(expr: Expr, positive: bool, out: list[tuple[Expr, bool]]) -> None:
    """Flatten a disjunction into (expression, polarity) leaves."""
    if isinstance(expr, Not):
        _disjuncts(expr.operand, not positive, out)
    elif isinstance(expr, Logic) and expr.op == "|" and positive:
        _disjuncts(expr.left, True, out)
        _disjuncts(expr.right, True, out)
    elif isinstance(expr, Logic) and expr.op == "&" and not positive:
        _disjuncts(expr.left, False, out)
        _disjuncts(expr.right, False, out)
    elif isinstance(expr, Logic) and expr.op == "=>" and positive:
        _disjuncts(expr.left, False, out)
        _disjuncts(expr.right, True, out)
    else:
        out.append((expr, positive))


def _domain(feature: Feature) -> tuple[Value, ...]:
    domain = feature.domain()
    if domain is None:
        raise UnsupportedConstruct(
            f"{feature.type.value} feature {feature.name} has no finite domain "
            "(give it `values [...]` or `min`/`max`/`step` attributes)"
        )
    return domain
