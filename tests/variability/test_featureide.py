"""FeatureIDE XML: the standard elements, the UVL extensions, and positioned errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from pimp_tui.errors import ModelSyntaxError
from pimp_tui.variability.io import load_model, parse_featureide, parse_uvl, write_featureide
from pimp_tui.variability.model import GroupKind, Logic, Not, Ref

MODELS = Path(__file__).resolve().parents[1] / "models"


def _xml(struct: str, constraints: str = "") -> str:
    return (
        "<?xml version='1.0'?>\n<featureModel>\n<struct>\n"
        f"{struct}\n</struct>\n<constraints>\n{constraints}\n</constraints>\n</featureModel>\n"
    )


def test_a_featureide_export_keeps_its_root() -> None:
    model = load_model(MODELS / "shell.xml")
    assert model.root.name == "__Root__" and model.root.abstract
    assert [g.kind for g in model.root.groups] == [GroupKind.OPTIONAL]
    assert len(model.root.groups[0].children) == 15
    first = model.constraints[0]
    assert first.expr == Logic("|", Ref("SHELL"), Not(Ref("SHELL_JOBS")))
    assert first.text == "SHELL | !SHELL_JOBS"
    assert first.line == 25


def test_groups_runs_and_nary_rules() -> None:
    model = parse_featureide(
        _xml(
            '<and name="R" abstract="true">'
            '<feature name="A" mandatory="true"/><feature name="B"/><feature name="C"/>'
            '<alt name="D" mandatory="true"><feature name="E"/><feature name="F"/></alt>'
            '<or name="G"><feature name="H"/><feature name="I"/></or>'
            "</and>",
            "<rule><description>why</description><conj><var>A</var><var>B</var><var>C</var>"
            "</conj></rule><rule><atmost1><var>E</var><var>H</var><var>I</var></atmost1></rule>"
            "<rule><eq><imp><var>A</var><var>B</var></imp><not><var>C</var></not></eq></rule>",
        )
    )
    root = model.root
    assert [(g.kind, [c.name for c in g.children]) for g in root.groups] == [
        (GroupKind.MANDATORY, ["A"]),
        (GroupKind.OPTIONAL, ["B", "C"]),
        (GroupKind.MANDATORY, ["D"]),
        (GroupKind.OPTIONAL, ["G"]),
    ]
    assert model.feature("D").groups[0].kind is GroupKind.ALTERNATIVE
    assert model.feature("G").groups[0].kind is GroupKind.OR
    conj, atmost, eq = (c.expr for c in model.constraints)
    assert conj == Logic("&", Logic("&", Ref("A"), Ref("B")), Ref("C"))
    assert (
        atmost
        == parse_uvl(
            "features\n R\n  optional\n   E\n   H\n   I\nconstraints\n"
            " !(E & H) & !(E & I) & !(H & I)\n"
        )
        .constraints[0]
        .expr
    )
    assert eq == Logic("<=>", Logic("=>", Ref("A"), Ref("B")), Not(Ref("C")))
    assert parse_featureide(write_featureide(model)) == model


def test_hidden_and_description_become_attributes() -> None:
    model = parse_featureide(
        _xml('<feature name="A" hidden="true"><description> the A </description></feature>')
    )
    assert model.root.attributes == {"hidden": True, "description": "the A"}
    assert parse_featureide(write_featureide(model)) == model


def test_boolean_models_are_written_in_plain_featureide() -> None:
    xml = write_featureide(load_model(MODELS / "storage.uvl"))
    for extension in ("<group", "<uvl>", "<attribute", "type=", "cardinality=", "<property"):
        assert extension not in xml


def test_uvl_only_constructs_use_the_extensions() -> None:
    model = parse_uvl(
        "namespace N\ninclude\n    Arithmetic.*\nfeatures\n"
        "    R cardinality [1..*]\n"
        "        [1..2]\n            Integer A {values [1, 2], tags ['x', 'y']}\n"
        "            B {Price 2.5}\n"
        "        alternative\n            C\n"
        "constraints\n    A > 1 => B.Price < 3 | C\n"
    )
    xml = write_featureide(model)
    assert '<group kind="cardinality" cardinality="1..2">' in xml
    assert '<group kind="alternative">' in xml
    assert 'cardinality="1..*"' in xml and 'type="Integer"' in xml
    assert """<attribute name="tags" type="uvl" value="['x', 'y']"/>""" in xml
    assert "<uvl>A &gt; 1</uvl>" in xml
    assert '<property key="uvl.namespace" value="N"/>' in xml
    assert parse_featureide(xml) == model


@pytest.mark.parametrize(
    ("text", "line", "col", "message"),
    [
        (
            "<featureModel><struct>\n  <and name='A'>\n</struct>",
            3,
            3,
            "malformed XML: mismatched tag",
        ),
        ("", 1, 1, "malformed XML: no element found"),
        ("<model/>", 1, 1, "expected <featureModel>"),
        ("<featureModel/>", 1, 1, "no <struct>"),
        (_xml("<feature/>"), 4, 1, "<feature> without a name"),
        (_xml('<and name="A">\n <feature name="A"/></and>'), 5, 2, "duplicate feature name 'A'"),
        (_xml('<feature name="A"/>', "<rule>\n<var>B</var></rule>"), 8, 1, "unknown feature 'B'"),
        (_xml('<feature name="A"/>', "<rule><imp><var>A</var></imp></rule>"), 7, 7, "<imp>"),
        (_xml('<feature name="A"/>', "<rule><uvl>A &amp;</uvl></rule>"), 7, 7, "expected"),
        (_xml('<feature name="A" type="Float"/>'), 4, 1, "unknown feature type 'Float'"),
        (
            _xml('<feature name="A"><attribute name="x" type="long" value="1.5"/></feature>'),
            4,
            19,
            "bad long value",
        ),
    ],
)
def test_xml_errors_are_positioned(text: str, line: int, col: int, message: str) -> None:
    with pytest.raises(ModelSyntaxError) as info:
        parse_featureide(text, "m.xml")
    e = info.value
    assert (e.file, e.line, e.col) == ("m.xml", line, col), str(e)
    assert message in e.message
