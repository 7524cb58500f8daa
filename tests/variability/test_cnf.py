"""The CNF encoding: one satisfying assignment per configuration, origins, partial configs."""

from __future__ import annotations

from math import comb

import pytest
from hypothesis import given, settings
from pysat.solvers import Solver

from pimp_tui.errors import PimpError, UnsupportedConstruct
from pimp_tui.variability.cnf import MAX_COMBINATIONS, encode
from pimp_tui.variability.counting import count_models
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
    Ref,
)
from tests.variability.random_models import small_models, valid_configs


def _model(*groups: Group, constraints: tuple[Constraint, ...] = ()) -> FeatureModel:
    model = FeatureModel(Feature("A", groups=list(groups)), list(constraints))
    model.link_parents()
    return model


def _key(config: dict) -> tuple:
    return tuple(sorted(config.items()))


@given(small_models(max_features=6))
@settings(max_examples=60, deadline=None)
def test_satisfying_assignments_decode_to_exactly_the_valid_configurations(model) -> None:
    encoding = encode(model)
    with Solver(bootstrap_with=encoding.clauses) as solver:
        decoded = [_key(encoding.decode(m)) for m in solver.enum_models()]
    assert len(decoded) == len(set(decoded))
    assert set(decoded) == {_key(c) for c in valid_configs(model)}


def test_variables_and_origins() -> None:
    n = Feature("N", type=FeatureType.INTEGER, attributes={"values": [1, 2, 4]})
    model = _model(
        Group(GroupKind.ALTERNATIVE, [Feature("B"), Feature("C")]),
        Group(GroupKind.OPTIONAL, [n]),
        constraints=(Constraint(Logic("=>", Ref("B"), Ref("N")), "B => N"),),
    )
    encoding = encode(model)
    assert list(encoding.feature_var) == ["A", "B", "C", "N"]
    assert list(encoding.value_var["N"]) == [1, 2, 4]
    assert len(encoding.config_vars()) == 7
    assert len(encoding.clause_origin) == len(encoding.clauses)
    origins = set(encoding.clause_origin)
    assert "alternative group under A: exactly one of B, C" in origins
    assert "B is a child of A" in origins
    assert "B => N" in origins
    assert "A is the root" in origins
    assert count_models(encoding.clauses, encoding.num_vars) == 2 * 4 - 1


def test_assumptions_fix_partial_configurations() -> None:
    n = Feature("N", type=FeatureType.REAL, attributes={"min": 0.1, "max": 0.3, "step": 0.1})
    model = _model(Group(GroupKind.OPTIONAL, [Feature("B"), n]))
    encoding = encode(model)
    count = lambda partial: count_models(  # noqa: E731
        encoding.clauses, encoding.num_vars, encoding.assumptions(partial)
    )
    assert count({}) == 2 * 4
    assert count({"N": 0.3}) == 2
    assert count({"N": "0.2", "B": False}) == 1
    assert count({"N": None}) == 2
    assert count({"N": True}) == 6
    with pytest.raises(PimpError, match="not in the domain"):
        encoding.assumptions({"N": 0.5})
    with pytest.raises(PimpError, match="unknown feature"):
        encoding.assumptions({"Z": True})
    with pytest.raises(PimpError, match="Boolean"):
        encoding.assumptions({"B": 3})


def test_large_groups_and_domains_use_determined_counters() -> None:
    children = [Feature(f"C{i}") for i in range(30)]
    model = _model(Group(GroupKind.CARDINALITY, children, 2, 4))
    encoding = encode(model)
    expected = sum(comb(30, k) for k in range(2, 5))
    assert count_models(encoding.clauses, encoding.num_vars) == expected
    alternative = _model(Group(GroupKind.ALTERNATIVE, [Feature(f"C{i}") for i in range(40)]))
    encoding = encode(alternative)
    assert count_models(encoding.clauses, encoding.num_vars) == 40
    wide = Feature("W", type=FeatureType.INTEGER, attributes={"min": 0, "max": 99})
    encoding = encode(_model(Group(GroupKind.MANDATORY, [wide])))
    assert count_models(encoding.clauses, encoding.num_vars) == 100


def test_arithmetic_over_attributes_and_sums() -> None:
    b = Feature("B", attributes={"Price": 2})
    c = Feature("C", attributes={"Price": 5})
    model = FeatureModel(
        Feature("A", attributes={"Price": 2}, groups=[Group(GroupKind.OPTIONAL, [b, c])]),
        [
            Constraint(Compare("==", Aggregate("sum", (), "Price"), Const(7)), "sum(Price) == 7"),
            Constraint(Compare("==", Aggregate("avg", (), "Price"), Const(3.5)), "avg == 3.5"),
        ],
    )
    model.link_parents()
    encoding = encode(model)
    with Solver(bootstrap_with=encoding.clauses) as solver:
        configs = [encoding.decode(m) for m in solver.enum_models()]
    assert configs == [{"A": True, "B": False, "C": True}]


def test_feature_without_a_domain_is_unsupported() -> None:
    model = _model(Group(GroupKind.OPTIONAL, [Feature("S", type=FeatureType.STRING)]))
    with pytest.raises(UnsupportedConstruct, match="S has no finite domain"):
        encode(model)


def test_too_many_combinations_is_unsupported() -> None:
    wide = [
        Feature(f"X{i}", type=FeatureType.INTEGER, attributes={"min": 0, "max": 99})
        for i in range(3)
    ]
    pairs = Logic("|", Compare("<", Ref("X0"), Ref("X1")), Compare("==", Ref("X2"), Const(1)))
    model = _model(Group(GroupKind.OPTIONAL, wide), constraints=(Constraint(pairs, "pairs"),))
    encode(model)
    assert 101**3 > MAX_COMBINATIONS
    triple = Compare("<", Ref("X0"), Arith("+", Arith("+", Ref("X0"), Ref("X1")), Ref("X2")))
    model.constraints = [Constraint(triple, "X0 < X0 + X1 + X2")]
    with pytest.raises(UnsupportedConstruct, match="X0 < X0 \\+ X1 \\+ X2"):
        encode(model)


def test_aggregates_as_written_in_uvl() -> None:
    from pimp_tui.variability.io import parse_uvl

    model = parse_uvl(
        "features\n"
        "    A {Price 1}\n"
        "        optional\n"
        "            B {Price 2}\n"
        "                optional\n"
        "                    Integer N {values [1, 2]}\n"
        "                    C {Price 3}\n"
        "            String S {values ['ab', 'abc']}\n"
        "constraints\n"
        "    sum(Price, B) > 2\n"
        "    sum(N) > 1\n"
        "    len(S) == 3 | !S\n"
        "    floor(avg(Price) * 2) >= 4\n"
    )
    encoding = encode(model)
    with Solver(bootstrap_with=encoding.clauses) as solver:
        configs = [encoding.decode(m) for m in solver.enum_models()]
    base = {"A": True, "B": True, "N": 2, "C": True}
    assert sorted(configs, key=str) == sorted([{**base, "S": None}, {**base, "S": "abc"}], key=str)
