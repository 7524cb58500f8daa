"""The UVL reader on the shipped test models and the UVL conformance-style cases
(tests/models/uvl-cases: one file per construct of each language level, and faulty files)."""

from __future__ import annotations

from pathlib import Path

import pytest

from pimp_tui.errors import ModelSyntaxError
from pimp_tui.variability.io import load_model, parse_uvl
from pimp_tui.variability.model import (
    Aggregate,
    Arith,
    Compare,
    Const,
    FeatureType,
    GroupKind,
    Logic,
    Not,
    Ref,
)

MODELS = Path(__file__).resolve().parents[1] / "models"
CASES = MODELS / "uvl-cases"
VALID = sorted(
    p
    for level in ("boolean_level", "arithmetic_level", "syntax")
    for p in (CASES / level).rglob("*.uvl")
)


@pytest.mark.parametrize(
    ("name", "features", "constraints"),
    [("shell.uvl", 16, 13), ("shell.xml", 16, 13), ("storage.uvl", 79, 23)],
)
def test_shipped_models_parse(name: str, features: int, constraints: int) -> None:
    model = load_model(MODELS / name)
    assert len(model.feature_names()) == features
    assert len(model.constraints) == constraints
    assert model.source == str(MODELS / name)


@pytest.mark.parametrize("path", VALID, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_conformance_cases_parse(path: Path) -> None:
    model = load_model(path)
    assert model.root.name
    for c in model.constraints:
        assert c.text and c.line > 0


@pytest.mark.parametrize(
    ("name", "line", "col", "message"),
    [
        ("illegal-name.uvl", 4, 13, "illegal name '4wd'"),
        ("missing-reference.uvl", 7, 14, "unknown feature 'Sunroof'"),
        ("unknown-attribute.uvl", 6, 10, "unknown attribute 'Price' of feature 'Soup'"),
    ],
)
def test_faulty_files_are_rejected_at_the_offending_token(
    name: str, line: int, col: int, message: str
) -> None:
    path = CASES / "faulty" / name
    with pytest.raises(ModelSyntaxError) as info:
        load_model(path)
    e = info.value
    assert (e.file, e.line, e.col) == (str(path), line, col)
    assert message in e.message
    assert str(e).startswith(f"{path}:{line}:{col}: ")


def test_tabs_quoted_names_and_constraint_text() -> None:
    model = load_model(MODELS / "storage.uvl")
    root = model.root
    assert root.name == "Storage" and root.abstract
    assert model.feature("NIO type").abstract and model.feature("B-tree").parent is model.feature(
        "Engine"
    )
    first = model.constraints[0]
    assert first.text == (
        "featureEvictor | featureEvictorDaemon | featureLookAheadCache"
        " | featureCacheStatistics => featureMemoryBudget"
    )
    assert first.line == 112
    assert isinstance(first.expr, Logic) and first.expr.op == "=>"
    assert model.feature("featureNIO").line == 33


def test_boolean_level_structure() -> None:
    model = load_model(CASES / "boolean_level" / "groups.uvl")
    car = model.root
    assert [g.kind for g in car.groups] == [GroupKind.MANDATORY, GroupKind.OPTIONAL]
    engine, gearbox = car.groups[0].children
    assert engine.groups[0].kind is GroupKind.OR
    assert gearbox.groups[0].kind is GroupKind.ALTERNATIVE
    assert engine.parent is car
    assert [c.expr for c in model.constraints] == [
        Logic("&", Ref("Car"), Ref("Engine")),
        Logic("|", Ref("Petrol"), Ref("Electric")),
        Logic("=>", Ref("Electric"), Ref("Automatic")),
        Logic("<=>", Ref("Radio"), Not(Ref("Manual"))),
    ]


def test_cardinalities_namespace_and_attributes() -> None:
    group = load_model(CASES / "boolean_level" / "cardinality.uvl").root.groups[0]
    assert (group.kind, group.lower, group.upper) == (GroupKind.CARDINALITY, 1, 3)
    root = load_model(CASES / "arithmetic_level" / "feature-cardinality.uvl").root
    assert root.cardinality == (1, 8)
    assert load_model(CASES / "boolean_level" / "namespace.uvl").namespace == "kitchen"
    book = load_model(CASES / "boolean_level" / "attributes.uvl").feature("Book")
    assert book.attributes == {
        "Title": "Dune",
        "Pages": 412,
        "Vendor": {"Name": "V", "Country": "NZ"},
        "Used": False,
    }


def test_quoted_names_and_string_features() -> None:
    model = load_model(CASES / "syntax" / "quoted-names.uvl")
    assert model.root.name == "Parts (v2) [beta] {x}"
    assert model.feature("tag{}").type is FeatureType.STRING
    assert model.feature("knob[]").attributes == {"Unit": "mm[]"}
    assert model.feature("dial{}").attributes == {"Unit": "deg{}"}


def test_arithmetic_precedence_and_aggregates() -> None:
    exprs = [c.expr for c in load_model(CASES / "arithmetic_level" / "expressions.uvl").constraints]
    kcal, cost, salad = Ref("Soup", "Kcal"), Ref("Soup", "Cost"), Ref("Salad", "Kcal")
    assert exprs[0] == Compare("==", Arith("-", Arith("+", kcal, salad), cost), Const(12))
    assert exprs[1] == Compare("==", Arith("-", kcal, Arith("-", salad, cost)), Const(6))
    assert exprs[2] == Compare("==", Arith("+", kcal, Arith("*", salad, cost)), Const(27))
    assert exprs[3] == Compare("==", Arith("-", kcal, Arith("/", salad, cost)), Const(7))
    assert exprs[6].left == Arith("*", Arith("/", kcal, salad), cost)
    assert exprs[7].left == Arith("/", kcal, Arith("*", salad, cost))
    agg = [
        c.expr
        for c in load_model(
            CASES / "arithmetic_level" / "aggregate_functions" / "aggregate.uvl"
        ).constraints
    ]
    assert agg == [
        Compare(">", Aggregate("sum", (), "Cost"), Const(25)),
        Compare("<", Aggregate("avg", (), "Cost"), Const(25)),
    ]
    length = load_model(
        CASES / "arithmetic_level" / "aggregate_functions" / "string-length.uvl"
    ).constraints
    assert length[1].expr == Compare(
        ">", Aggregate("len", (Ref("Password"),)), Aggregate("len", (Ref("User"),))
    )
    dash = load_model(CASES / "syntax" / "dash.uvl").constraints[0]
    assert dash.expr == Compare(">=", Arith("-", Ref("High"), Ref("Low")), Const(0))
    assert dash.text == "High-Low >= 0"


def test_comments_are_ignored_anywhere() -> None:
    model = load_model(CASES / "syntax" / "comments.uvl")
    assert [f.name for f in model.root.children()] == ["Soup", "Salad", "Bread"]
    assert [c.text for c in model.constraints] == [
        "Soup.Kcal + Salad.Kcal - Soup.Cost == 12",
        "Soup.Kcal - (Salad.Kcal - Soup.Cost) == 6",
    ]
    assert [c.line for c in model.constraints] == [11, 13]
    assert model.feature("Bread").attributes == {"Cost": 1, "Kcal": 2}


def test_byte_order_mark_crlf_and_declared_xml_encoding(tmp_path: Path) -> None:
    uvl = tmp_path / "m.uvl"
    uvl.write_bytes(b"\xef\xbb\xbffeatures\r\n    A\r\n        optional\r\n            B\r\n")
    assert load_model(uvl).feature_names() == ["A", "B"]
    xml = tmp_path / "m.xml"
    xml.write_bytes(
        b'<?xml version="1.0" encoding="ISO-8859-1"?>'
        b'<featureModel><struct><feature name="\xe9t\xe9"/></struct></featureModel>'
    )
    assert load_model(xml).root.name == "\u00e9t\u00e9"


def test_attribute_values_of_every_kind() -> None:
    model = parse_uvl(
        "features\n    A {i 3, n -2, f .5, g -0.25, e 1.5e2, t true, s 'a // not a comment',\n"
        "       l [1, 'x', [false]], d {k {deep 1}}, bare, \"quoted key\" 'q'} // comment\n"
    )
    assert model.root.attributes == {
        "i": 3,
        "n": -2,
        "f": 0.5,
        "g": -0.25,
        "e": 150.0,
        "t": True,
        "s": "a // not a comment",
        "l": [1, "x", [False]],
        "d": {"k": {"deep": 1}},
        "bare": True,
        "quoted key": "q",
    }
    assert isinstance(model.root.attributes["i"], int)
    assert isinstance(model.root.attributes["e"], float)


def test_constraint_attributes_join_the_constraints_in_file_order() -> None:
    model = parse_uvl(
        "features\n    A {constraint B => C}\n        optional\n"
        "            B {constraints [C, !B | C]}\n            C\n"
        "constraints\n    A\n"
    )
    assert [(c.text, c.line) for c in model.constraints] == [
        ("B => C", 2),
        ("C", 4),
        ("!B | C", 4),
        ("A", 7),
    ]
    assert model.root.attributes == {} and model.feature("B").attributes == {}


def test_include_levels_are_kept_verbatim() -> None:
    model = parse_uvl(
        'namespace a."b c"\ninclude\n    Boolean.*\n    Arithmetic.feature-cardinality\n'
        "    Type.string-constraints\nfeatures\n    A\n"
    )
    assert model.namespace == "a.b c"
    assert model.includes == [
        "Boolean.*",
        "Arithmetic.feature-cardinality",
        "Type.string-constraints",
    ]


AGGREGATES = (
    "features\n    A {Price 2}\n        optional\n            B {Price 2}\n"
    "            Integer n {values [1, 2]}\n            Integer m {values [3]}\n"
)


@pytest.mark.parametrize(
    ("written", "expr"),
    [
        ("sum(Price)", Aggregate("sum", (), "Price")),
        ("sum(Price, B)", Aggregate("sum", (), "Price", "B")),
        ("avg(B, Price)", Aggregate("avg", (), "Price", "B")),
        ("sum(B.Price)", Aggregate("sum", (Ref("B", "Price"),))),
        ("sum(n)", Aggregate("sum", (Ref("n"),))),
        ("avg(n, m)", Aggregate("avg", (Ref("n"), Ref("m")))),
        ("floor(B.Price / 3)", Aggregate("floor", (Arith("/", Ref("B", "Price"), Const(3)),))),
    ],
)
def test_aggregate_arguments(written: str, expr: Aggregate) -> None:
    """UVL writes sum(attribute, feature); the older sum(feature, attribute) is read too, and
    sum/avg over typed features' values."""
    model = parse_uvl(f"{AGGREGATES}constraints\n    {written} > 1\n")
    assert model.constraints[0].expr == Compare(">", expr, Const(1))


def test_constraint_attributes_are_read_once_the_tree_is_known() -> None:
    model = parse_uvl(
        "features\n    A {constraint sum(Cost, C) < 3}\n        optional\n            C {Cost 1}\n"
    )
    assert model.constraints[0].expr.left == Aggregate("sum", (), "Cost", "C")
