"""The UVL writer's canonical form: layout, quoting, numbers and minimal parentheses."""

from __future__ import annotations

import pytest

from pimp_tui.errors import UnsupportedConstruct
from pimp_tui.variability.io import parse_uvl, write_uvl
from pimp_tui.variability.model import (
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
    Not,
    Ref,
)
from pimp_tui.variability.uvl_writer import expression, number, quote


def test_canonical_layout() -> None:
    text = (
        "namespace ns\ninclude\n  Boolean.*\nfeatures\n  R {abstract, Price 1}\n    or\n"
        "      A\n      Integer n cardinality [0..*] {values [1, 2]}\n    [1..2]\n      B\n"
        "      C\nconstraints\n  A => (B | C)\n"
    )
    assert write_uvl(parse_uvl(text)) == (
        "namespace ns\n\ninclude\n\tBoolean.*\n\nfeatures\n\tR {abstract, Price 1}\n\t\tor\n"
        "\t\t\tA\n\t\t\tInteger n cardinality [0..*] {values [1, 2]}\n\t\t[1..2]\n\t\t\tB\n"
        "\t\t\tC\n\nconstraints\n\tA => B | C\n"
    )


@pytest.mark.parametrize(
    ("name", "written"),
    [
        ("plain_Name2", "plain_Name2"),
        ("with space", '"with space"'),
        ("dotted.name", '"dotted.name"'),
        ("dash-ed", '"dash-ed"'),
        ("12B", '"12B"'),
        ("__Root__", '"__Root__"'),
        ("or", '"or"'),
        ("Integer", '"Integer"'),
        ("sum", '"sum"'),
        ("Brackets()[]{}", '"Brackets()[]{}"'),
    ],
)
def test_names_are_quoted_only_when_needed(name: str, written: str) -> None:
    assert quote(name) == written
    root = Feature("R", groups=[Group(GroupKind.OPTIONAL, [Feature(name)])])
    model = FeatureModel(root, [Constraint(Logic("=>", Ref(name), Ref("R")))])
    assert parse_uvl(write_uvl(model)) == model


def test_what_uvl_cannot_spell_is_refused_plainly() -> None:
    with pytest.raises(UnsupportedConstruct, match="cannot be written in UVL"):
        quote('say "hi"')
    with pytest.raises(UnsupportedConstruct, match="cannot be written in UVL"):
        write_uvl(FeatureModel(Feature("A", attributes={"s": "it's"})))


@pytest.mark.parametrize(
    ("value", "written"),
    [
        (3, "3"),
        (-3, "-3"),
        (0.5, "0.5"),
        (2.0, "2.0"),
        (1e-05, "0.00001"),
        (1e16, "10000000000000000.0"),
    ],
)
def test_numbers_have_no_exponent(value: float, written: str) -> None:
    assert number(value) == written
    assert type(parse_uvl(f"features\n    A {{x {written}}}\n").root.attributes["x"]) is type(value)


A, B, C = Ref("A"), Ref("B"), Ref("C")


@pytest.mark.parametrize(
    ("expr", "written"),
    [
        (Logic("&", Logic("|", A, B), C), "(A | B) & C"),
        (Logic("|", Logic("&", A, B), C), "A & B | C"),
        (Logic("&", A, Logic("&", B, C)), "A & (B & C)"),
        (Logic("&", Logic("&", A, B), C), "A & B & C"),
        (Logic("=>", A, Logic("=>", B, C)), "A => (B => C)"),
        (Logic("<=>", Logic("=>", A, B), C), "A => B <=> C"),
        (Not(Logic("&", A, B)), "!(A & B)"),
        (Not(Not(A)), "!!A"),
        (Not(Compare("<", Ref("n"), Const(2))), "!(n < 2)"),
        (
            Compare("==", Arith("*", Arith("+", Ref("n"), Const(1)), Const(2)), Const(4)),
            "(n + 1) * 2 == 4",
        ),
        (
            Compare("==", Arith("-", Ref("n"), Arith("-", Const(1), Const(-2))), Const(0.5)),
            "n - (1 - -2) == 0.5",
        ),
        (Compare("!=", Ref("s"), Const("x y")), "s != 'x y'"),
    ],
)
def test_minimal_parentheses(expr: object, written: str) -> None:
    assert expression(expr) == written
    model = parse_uvl(
        "features\n    A\n        optional\n            B\n            C\n"
        "            Integer n\n            String s\n"
        f"constraints\n    {written}\n"
    )
    assert model.constraints[0].expr == expr


def test_typed_domains_are_written_back() -> None:
    root = Feature(
        "R",
        groups=[
            Group(
                GroupKind.OPTIONAL,
                [
                    Feature(
                        "t", FeatureType.REAL, attributes={"min": 0.2, "max": 1.4, "step": 0.4}
                    ),
                    Feature("k", FeatureType.INTEGER, attributes={"values": [1, 50]}),
                ],
            )
        ],
    )
    model = FeatureModel(root)
    again = parse_uvl(write_uvl(model))
    assert again == model
    assert again.feature("t").domain() == (0.2, 0.6, 1.0, 1.4)
    assert again.feature("k").domain() == (1, 50)
