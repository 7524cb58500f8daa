"""The UVL reader on the shared benchmark models and the UVL conformance files."""

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

MODELS = Path(__file__).resolve().parents[3] / "shared" / "benchmarks" / "featuremodels"
CONFORMANCE = MODELS / "uvl-conformance"
VALID = sorted(
    p
    for level in ("boolean_level", "arithmetic_level", "syntax")
    for p in (CONFORMANCE / level).rglob("*.uvl")
)


@pytest.mark.parametrize(
    ("name", "features", "constraints"),
    [("toybox.uvl", 16, 13), ("toybox.xml", 16, 13), ("berkeleydb.uvl", 76, 20)],
)
def test_benchmark_models_parse(name: str, features: int, constraints: int) -> None:
    model = load_model(MODELS / name)
    assert len(model.feature_names()) == features
    assert len(model.constraints) == constraints
    assert model.source == str(MODELS / name)


def test_conformance_files_are_all_there() -> None:
    assert len(VALID) >= 13


@pytest.mark.parametrize("path", VALID, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_conformance_files_parse(path: Path) -> None:
    model = load_model(path)
    assert model.root.name
    for c in model.constraints:
        assert c.text and c.line > 0


@pytest.mark.parametrize(
    ("name", "line", "col", "message"),
    [
        ("illegalname.uvl", 4, 13, "illegal name '12B'"),
        ("missingreference.uvl", 7, 5, "unknown feature 'C'"),
        ("wrong_attribute_name.uvl", 1, 1, "imports are not supported"),
    ],
)
def test_faulty_files_are_rejected_at_the_offending_token(
    name: str, line: int, col: int, message: str
) -> None:
    path = CONFORMANCE / "faulty" / name
    with pytest.raises(ModelSyntaxError) as info:
        load_model(path)
    e = info.value
    assert (e.file, e.line, e.col) == (str(path), line, col)
    assert message in e.message
    assert str(e).startswith(f"{path}:{line}:{col}: ")


def test_berkeleydb_tree_and_constraint_text() -> None:
    model = load_model(MODELS / "berkeleydb.uvl")
    root = model.root
    assert root.name == "BerkeleyDb" and root.abstract
    first = model.constraints[0]
    assert first.text == (
        "featureEvictor | featureEvictorDaemon | featureLookAheadCache"
        " | featureStatisticsEnvCaching => featureMemoryBudget"
    )
    assert first.line == 119
    assert isinstance(first.expr, Logic) and first.expr.op == "=>"
    assert model.feature("featureNIO").line == 18


def test_boolean_level_structure() -> None:
    model = load_model(CONFORMANCE / "boolean_level" / "boolean.uvl")
    a = model.root
    assert [g.kind for g in a.groups] == [GroupKind.MANDATORY]
    b, e = a.groups[0].children
    assert b.groups[0].kind is GroupKind.OR and e.groups[0].kind is GroupKind.ALTERNATIVE
    assert b.parent is a
    assert [c.expr for c in model.constraints] == [
        Logic("&", Ref("A"), Ref("B")),
        Logic("|", Ref("C"), Ref("D")),
        Logic("=>", Ref("E"), Ref("G")),
        Logic("<=>", Ref("A"), Ref("B")),
    ]


def test_cardinalities_namespace_and_attributes() -> None:
    group = load_model(CONFORMANCE / "boolean_level" / "cardinality.uvl").root.groups[0]
    assert (group.kind, group.lower, group.upper) == (GroupKind.CARDINALITY, 2, 3)
    root = load_model(CONFORMANCE / "arithmetic_level" / "feature-cardinality.uvl").root
    assert root.cardinality == (1, 4)
    assert load_model(CONFORMANCE / "boolean_level" / "namespace.uvl").namespace == (
        "nicenamespace"
    )
    b = load_model(CONFORMANCE / "boolean_level" / "attributes.uvl").feature("B")
    assert b.attributes == {
        "Fun": "yes",
        "Name": "B",
        "Package": {"Name": "P", "Content": "Even more fun"},
        "Price": 5,
    }


def test_quoted_names_and_string_features() -> None:
    model = load_model(CONFORMANCE / "syntax" / "brackets.uvl")
    assert model.root.name == "Brackets()[]{}"
    assert model.feature("B[]").type is FeatureType.STRING
    assert model.feature("C{}").attributes == {"Function": "Fun{}"}


def test_arithmetic_precedence_and_aggregates() -> None:
    exprs = [
        c.expr for c in load_model(CONFORMANCE / "arithmetic_level" / "expressions.uvl").constraints
    ]
    fun, price, cfun = Ref("B", "Fun"), Ref("B", "Price"), Ref("C", "Fun")
    assert exprs[0] == Compare("==", Arith("-", Arith("+", fun, cfun), price), Const(16))
    assert exprs[2] == Compare("==", Arith("+", fun, Arith("*", cfun, price)), Const(24))
    assert exprs[18].left == Arith("*", Arith("/", fun, cfun), price)
    agg = [
        c.expr
        for c in load_model(
            CONFORMANCE / "arithmetic_level" / "aggregate_functions" / "aggregate.uvl"
        ).constraints
    ]
    assert agg[0] == Compare(">", Aggregate("sum", (), "Price"), Const(2))
    length = load_model(
        CONFORMANCE / "arithmetic_level" / "aggregate_functions" / "lengthAggregation.uvl"
    ).constraints
    assert length[2].expr == Compare(
        "==", Aggregate("len", (Ref("B"),)), Aggregate("len", (Ref("C"),))
    )
    dash = load_model(CONFORMANCE / "syntax" / "dash.uvl").constraints[0]
    assert dash.expr == Compare("==", Arith("-", Ref("A"), Ref("B")), Const(0))
    assert dash.text == "A-B == 0"


def test_comments_are_ignored_anywhere() -> None:
    model = load_model(CONFORMANCE / "syntax" / "comments.uvl")
    assert [f.name for f in model.root.children()] == ["B", "C", "D"]
    assert model.constraints[1].text == "B.Fun + (C.Fun - B.Price) == 16"
    assert not isinstance(model.constraints[0].expr, Not)


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
