"""Round trips: read -> write -> read gives an equal model, in UVL, in FeatureIDE XML and
across the two, on every shipped test model and on random models covering the whole metamodel."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pimp_tui.variability.io import (
    load_model,
    parse_featureide,
    parse_uvl,
    save_model,
    write_featureide,
    write_uvl,
)
from pimp_tui.variability.model import (
    Aggregate,
    Arith,
    Compare,
    Const,
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
from pimp_tui.variability.uvl_parser import RESERVED
from pimp_tui.variability.uvl_writer import expression

MODELS = Path(__file__).resolve().parents[1] / "models"
FILES = sorted(
    p for p in MODELS.rglob("*") if p.suffix in (".uvl", ".xml") and "faulty" not in p.parts
)


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_shipped_models_survive_every_round_trip(path: Path) -> None:
    model = load_model(path)
    assert parse_uvl(write_uvl(model)) == model
    assert parse_featureide(write_featureide(model)) == model
    assert parse_uvl(write_uvl(parse_featureide(write_featureide(model)))) == model
    assert parse_featureide(write_featureide(parse_uvl(write_uvl(model)))) == model


def test_save_then_load_by_extension(tmp_path: Path) -> None:
    model = load_model(MODELS / "storage.uvl")
    for name in ("copy.uvl", "copy.xml"):
        save_model(model, tmp_path / name)
        assert load_model(tmp_path / name) == model


def test_uvl_and_featureide_exports_differ_only_in_the_root_name() -> None:
    uvl, xml = load_model(MODELS / "shell.uvl"), load_model(MODELS / "shell.xml")
    assert xml.root.name == "__Root__" and uvl.root.name == "Root"
    assert '"__Root__"' in write_uvl(xml)
    xml.root.name = "Root"
    assert xml == uvl


# -- random models -------------------------------------------------------------------------

_plain_names = st.from_regex(r"[A-Za-z][A-Za-z0-9_]{0,5}", fullmatch=True)
_odd_names = st.text(
    st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters='"'),
    min_size=1,
    max_size=6,
)
_names = st.one_of(_plain_names, _plain_names, _odd_names, st.sampled_from(sorted(RESERVED)))
_keys = _plain_names.filter(lambda k: k not in ("abstract", "constraint", "constraints"))
_strings = st.text(
    st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="'"), max_size=6
)
_floats = st.floats(allow_nan=False, allow_infinity=False, width=64)
_ints = st.integers(-1000, 1000)
_scalars = st.one_of(st.booleans(), _ints, _floats, _strings)
_values = st.recursive(
    _scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(_keys, inner, max_size=3)),
    max_leaves=6,
)


def _domain(draw: st.DrawFn, ftype: FeatureType) -> dict[str, object]:
    if ftype is FeatureType.STRING:
        return {"values": draw(st.lists(_strings, min_size=1, max_size=3))}
    number = _ints if ftype is FeatureType.INTEGER else _floats
    if draw(st.booleans()):
        return {"values": draw(st.lists(number, min_size=1, max_size=3))}
    lo = draw(number)
    return {"min": lo, "max": lo + draw(st.integers(0, 5)), "step": 1}


@st.composite
def _features(draw: st.DrawFn) -> list[Feature]:
    names = draw(st.lists(_names, min_size=1, max_size=7, unique=True))
    features = []
    for name in names:
        ftype = draw(st.sampled_from(list(FeatureType)))
        attrs = {} if ftype is FeatureType.BOOLEAN else _domain(draw, ftype)
        extra = draw(st.dictionaries(_keys, _values, max_size=2))
        attrs.update({k: v for k, v in extra.items() if k not in attrs})
        card = draw(st.none() | st.tuples(st.integers(0, 3), st.none() | st.integers(3, 5)))
        features.append(Feature(name, ftype, draw(st.booleans()), attrs, cardinality=card))
    for i, feature in enumerate(features[1:], 1):
        parent = features[draw(st.integers(0, i - 1))]
        if parent.groups and draw(st.booleans()):
            group = parent.groups[draw(st.integers(0, len(parent.groups) - 1))]
        else:
            group = Group(draw(st.sampled_from(list(GroupKind))))
            if group.kind is GroupKind.CARDINALITY:
                group.lower = draw(st.integers(0, 3))
                group.upper = draw(st.none() | st.integers(group.lower, 4))
            parent.groups.append(group)
        group.children.append(feature)
    return features


def _terms(features: list[Feature]) -> st.SearchStrategy[Expr]:
    numeric = [f for f in features if f.is_numeric()]
    strings = [f for f in features if f.type is FeatureType.STRING]
    attrs = [(f.name, k) for f in features for k, v in f.attributes.items()]
    leaves = [st.builds(Const, st.one_of(_ints, _floats, _strings))]
    if numeric:
        leaves.append(st.sampled_from([Ref(f.name) for f in numeric]))
    if attrs:
        leaves.append(st.sampled_from([Ref(f, a) for f, a in attrs]))
        leaves.append(
            st.builds(
                Aggregate,
                st.sampled_from(["sum", "avg"]),
                st.just(()),
                st.sampled_from([a for _, a in attrs]),
                st.none() | st.sampled_from([f.name for f in features]),
            )
        )
        leaves.append(st.sampled_from([Aggregate("sum", (Ref(f, a),)) for f, a in attrs]))
    if strings:
        leaves.append(st.sampled_from([Aggregate("len", (Ref(f.name),)) for f in strings]))
    # sum(F) and avg(F, G) add up typed features' values; a name that is also an attribute
    # would read as sum(attribute), so those are left out.
    values = [Ref(f.name) for f in numeric if f.name not in {a for _, a in attrs}]
    if values:
        refs = st.sampled_from(values)
        leaves.append(st.builds(lambda r: Aggregate("sum", (r,)), refs))
        leaves.append(st.builds(lambda r, q: Aggregate("avg", (r, q)), refs, refs))
    return st.recursive(
        st.one_of(leaves),
        lambda inner: st.one_of(
            st.builds(Arith, st.sampled_from("+-*/"), inner, inner),
            st.builds(lambda f, x: Aggregate(f, (x,)), st.sampled_from(["floor", "ceil"]), inner),
        ),
        max_leaves=4,
    )


def _formulas(features: list[Feature]) -> st.SearchStrategy[Expr]:
    terms = _terms(features)
    leaves = st.one_of(
        st.sampled_from([Ref(f.name) for f in features]),
        st.builds(Const, st.booleans()),
        st.builds(Compare, st.sampled_from(["==", "!=", "<", "<=", ">", ">="]), terms, terms),
    )
    return st.recursive(
        leaves,
        lambda inner: st.one_of(
            st.builds(Not, inner),
            st.builds(Logic, st.sampled_from(["&", "|", "=>", "<=>"]), inner, inner),
        ),
        max_leaves=6,
    )


@st.composite
def models(draw: st.DrawFn) -> FeatureModel:
    features = draw(_features())
    constraints = draw(st.lists(_formulas(features), max_size=3))
    model = FeatureModel(
        features[0],
        [Constraint(e) for e in constraints],
        draw(st.none() | _plain_names.filter(lambda n: n not in RESERVED)),
        draw(
            st.lists(st.sampled_from(["Boolean.*", "Arithmetic.feature-cardinality"]), max_size=2)
        ),
    )
    model.link_parents()
    return model


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(models())
def test_random_models_survive_write_then_parse(model: FeatureModel) -> None:
    text = write_uvl(model)
    assert parse_uvl(text) == model, text
    xml = write_featureide(model)
    assert parse_featureide(xml) == model, xml


@settings(max_examples=30, deadline=None)
@given(models())
def test_constraint_text_is_the_line_as_written(model: FeatureModel) -> None:
    text = write_uvl(model)
    lines = text.splitlines()
    for c in parse_uvl(text).constraints:
        assert lines[c.line - 1].strip() == c.text == expression(c.expr)
