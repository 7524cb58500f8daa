"""The reasoner against an independent brute-force reading of random models and of the shipped
test models (tests/models)."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pimp_tui.errors import PimpError
from pimp_tui.variability.io import load_model
from pimp_tui.variability.model import (
    Aggregate,
    Arith,
    Compare,
    Constraint,
    Expr,
    Feature,
    FeatureModel,
    FeatureType,
    Group,
    GroupKind,
    Logic,
    Not,
    Ref,
)
from pimp_tui.variability.reasoning import Reasoner
from tests.variability.random_models import (
    all_assignments,
    broken,
    on,
    small_models,
    tree_ok,
    valid_configs,
)

MODELS = Path(__file__).resolve().parents[1] / "models"


def _agrees(config: dict, partial: dict) -> bool:
    return all(
        config[k] is v or (config[k] == v and type(config[k]) is type(v))
        for k, v in partial.items()
    )


@given(small_models(), st.data())
@settings(max_examples=80, deadline=None)
def test_reasoner_matches_brute_force(model, data) -> None:
    reasoner = Reasoner(model)
    valid = valid_configs(model)
    assert reasoner.is_satisfiable() == bool(valid)
    assert reasoner.count() == len(valid)
    names = [f.name for f in model.features()]
    core = [n for n in names if valid and all(on(c, n) for c in valid)]
    dead = [n for n in names if valid and not any(on(c, n) for c in valid)]
    assert reasoner.core_features() == core
    assert reasoner.dead_features() == dead

    assignments = all_assignments(model)
    picked = data.draw(st.sampled_from(assignments))
    keys = data.draw(st.sets(st.sampled_from(names)))
    partial = {k: picked[k] for k in keys}
    matching = [c for c in valid if _agrees(c, partial)]
    assert reasoner.can_complete(partial) == bool(matching)
    assert reasoner.count(partial) == len(matching)
    for seed in (None, 0, 1):
        completed = reasoner.complete(partial, seed=seed)
        if not matching:
            assert completed is None
            continue
        assert completed in valid
        assert _agrees(completed, partial)


@given(small_models(), st.data())
@settings(max_examples=80, deadline=None)
def test_violations_name_exactly_the_broken_constraints(model, data) -> None:
    reasoner = Reasoner(model)
    config = data.draw(st.sampled_from(all_assignments(model)))
    found = reasoner.violations(config)
    texts = {c.text for c in model.constraints}
    assert {v for v in found if v in texts} == broken(model, config)
    tree_messages = [v for v in found if v not in texts]
    assert (not tree_messages) == tree_ok(model, config)
    assert reasoner.is_valid(config) == (tree_ok(model, config) and not broken(model, config))


@given(small_models(), st.data())
@settings(max_examples=60, deadline=None)
def test_conflicts_are_minimal_reasons(model, data) -> None:
    from pysat.solvers import Solver

    reasoner = Reasoner(model)
    names = [f.name for f in model.features()]
    picked = data.draw(st.sampled_from(all_assignments(model)))
    partial = {k: picked[k] for k in data.draw(st.sets(st.sampled_from(names)))}
    conflict = reasoner.conflict(partial)
    assert (conflict == []) == reasoner.can_complete(partial)
    encoding = reasoner.encoding

    def satisfiable(origins: list[str]) -> bool:
        clauses = [
            c for c, o in zip(encoding.clauses, encoding.clause_origin, strict=True) if o in origins
        ]
        with Solver(bootstrap_with=clauses) as solver:
            return solver.solve(assumptions=encoding.assumptions(partial))

    if conflict:
        assert not satisfiable(conflict)
        for origin in conflict:
            assert satisfiable([o for o in conflict if o != origin])


def _feature_model() -> FeatureModel:
    n = Feature("N", type=FeatureType.INTEGER, attributes={"values": [1, 2]})
    io = Feature("IO", groups=[Group(GroupKind.OPTIONAL, [n])])
    root = Feature(
        "FIOFeature",
        groups=[
            Group(GroupKind.ALTERNATIVE, [Feature("NIO"), io]),
            Group(GroupKind.MANDATORY, [Feature("Base")]),
            Group(GroupKind.OPTIONAL, [Feature("Log")]),
        ],
    )
    model = FeatureModel(root, [Constraint(Logic("=>", Ref("Log"), Ref("N")), "Log => N")])
    model.link_parents()
    return model


def test_violations_quote_tree_relations_and_constraints() -> None:
    reasoner = Reasoner(_feature_model())
    config = {"FIOFeature": True, "NIO": True, "IO": True, "N": None, "Base": False, "Log": True}
    assert reasoner.violations(config) == [
        "alternative group under FIOFeature: exactly one of NIO, IO",
        "Base is a mandatory child of FIOFeature",
        "Log => N",
    ]
    config = {"FIOFeature": True, "NIO": True, "IO": False, "N": 2, "Base": True, "Log": False}
    assert reasoner.violations(config) == ["N is a child of IO"]
    config["N"], config["IO"], config["NIO"] = 3, True, False
    assert reasoner.violations(config) == ["N takes one value of its domain when selected"]
    with pytest.raises(PimpError, match="lacks 1 feature"):
        reasoner.violations({k: v for k, v in config.items() if k != "Log"})


def test_core_dead_and_conflicts() -> None:
    model = _feature_model()
    model.constraints.append(Constraint(Not(Ref("NIO")), "!NIO"))
    reasoner = Reasoner(model)
    assert reasoner.core_features() == ["FIOFeature", "IO", "Base"]
    assert reasoner.dead_features() == ["NIO"]
    assert reasoner.count() == 3 + 2
    assert reasoner.conflict() == []
    model.constraints.append(Constraint(Not(Ref("IO")), "!IO"))
    void = Reasoner(model)
    assert not void.is_satisfiable()
    assert void.count() == 0
    assert void.core_features() == [] and void.dead_features() == []
    assert void.conflict() == [
        "FIOFeature is the root",
        "alternative group under FIOFeature: exactly one of NIO, IO",
        "!NIO",
        "!IO",
    ]


def test_conflict_with_a_partial_configuration() -> None:
    reasoner = Reasoner(_feature_model())
    assert reasoner.conflict({"Log": True}) == []
    assert reasoner.conflict({"Log": True, "IO": False}) == [
        "N is a child of IO",
        "Log => N",
    ]


def test_seeded_completion_is_reproducible_and_varied() -> None:
    reasoner = Reasoner(_feature_model())
    first = [reasoner.complete({}, seed=s) for s in range(20)]
    again = [reasoner.complete({}, seed=s) for s in range(20)]
    assert first == again
    assert len({tuple(sorted(c.items())) for c in first}) > 3


def _refs(expr: Expr) -> set[str]:
    if isinstance(expr, Ref):
        return {expr.feature}
    if isinstance(expr, Not):
        return _refs(expr.operand)
    if isinstance(expr, (Logic, Compare, Arith)):
        return _refs(expr.left) | _refs(expr.right)
    if isinstance(expr, Aggregate):
        return set().union(*(_refs(a) for a in expr.args))
    return set()


def _count_part_by_part(model: FeatureModel) -> int:
    """Brute-force count, one block of the root's parts at a time: parts that constraints link
    form one block, and the count of the model is the product of the blocks' counts."""
    parts = [(g.kind, p) for g in model.root.groups for p in g.children]
    assert all(kind in (GroupKind.MANDATORY, GroupKind.OPTIONAL) for kind, _ in parts)
    names = [{f.name for f in FeatureModel(p).features()} for _, p in parts]
    block = list(range(len(parts)))

    def find(i: int) -> int:
        while block[i] != i:
            i = block[i]
        return i

    for c in model.constraints:
        touched = [i for i, n in enumerate(names) if _refs(c.expr) & n]
        assert model.root.name not in _refs(c.expr)
        for i in touched[1:]:
            block[find(i)] = find(touched[0])
    total = 1
    for b in {find(i) for i in range(len(parts))}:
        members = [i for i in range(len(parts)) if find(i) == b]
        groups = [
            Group(kind, [parts[i][1] for i in members if parts[i][0] is kind])
            for kind in (GroupKind.MANDATORY, GroupKind.OPTIONAL)
        ]
        inside = set().union(*(names[i] for i in members))
        sub = FeatureModel(
            Feature("__block__", groups=[g for g in groups if g.children]),
            [c for c in model.constraints if _refs(c.expr) <= inside],
        )
        total *= len(valid_configs(sub))
    return total


@pytest.mark.parametrize("name", ["shell.uvl", "shell.xml", "storage.uvl"])
def test_shipped_models_count_as_brute_force_does(name: str) -> None:
    model = load_model(MODELS / name)
    reasoner = Reasoner(model)
    assert reasoner.count() == _count_part_by_part(load_model(MODELS / name))
    completed = reasoner.complete({}, seed=7)
    assert completed is not None and reasoner.is_valid(completed)


def test_partial_counts_split_the_total() -> None:
    reasoner = Reasoner(load_model(MODELS / "storage.uvl"))
    total = reasoner.count()
    assert total > 2**40
    for name in list(reasoner.encoding.feature_var)[1:80:7]:
        on_count = reasoner.count({name: True})
        assert on_count + reasoner.count({name: False}) == total
        assert (on_count == total) == (name in reasoner.core_features())
        assert (on_count == 0) == (name in reasoner.dead_features())
