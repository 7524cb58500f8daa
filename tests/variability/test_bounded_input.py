"""Hostile model files: deep nesting, long chains, huge domains and XML entities get a clear
FILE:LINE:COL error (exit 2) or a correct result, never a traceback or unbounded work."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from pimp_tui.cli import main
from pimp_tui.errors import ModelSyntaxError, PimpError
from pimp_tui.services.analysis import count_text
from pimp_tui.services.model_edit import add_feature, set_domain
from pimp_tui.variability.featureide import write_featureide
from pimp_tui.variability.io import load_model, parse_featureide, parse_uvl
from pimp_tui.variability.limits import MAX_DEPTH, MAX_DOMAIN
from pimp_tui.variability.model import Logic, Ref, chain, depth
from pimp_tui.variability.reasoning import Reasoner
from pimp_tui.variability.uvl_writer import expression, write_uvl


def _check(tmp_path: Path, capsys, name: str, text: str) -> tuple[int, str, str]:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    code = main(["model", "check", str(path)])
    out, err = capsys.readouterr()
    return code, out, err


def _chain_tree(levels: int) -> str:
    """A feature tree `levels` features below the root, one optional child per level."""
    lines = ["features", "\tF0"]
    for i in range(1, levels + 1):
        lines += ["\t" * (2 * i) + "optional", "\t" * (2 * i + 1) + f"F{i}"]
    return "\n".join(lines) + "\n"


def _flat(n: int, op: str = "|") -> str:
    children = "".join(f"\t\t\tA{i}\n" for i in range(n))
    terms = f" {op} ".join(f"A{i}" for i in range(n))
    return f"features\n\tR\n\t\toptional\n{children}constraints\n\t{terms}\n"


# -- numeric domains ---------------------------------------------------------------------------


def test_a_million_value_domain_is_refused_where_it_is_written(tmp_path, capsys) -> None:
    text = "features\n\tR\n\t\toptional\n\t\t\tInteger x {min 0, max 1000000}\n"
    code, _, err = _check(tmp_path, capsys, "big.uvl", text)
    assert code == 2
    assert err.strip() == (
        f"{tmp_path / 'big.uvl'}:4:12: Integer feature x has 1,000,001 values; at most "
        f"{MAX_DOMAIN:,} can be reasoned about (narrow min/max or raise step)"
    )


def test_astronomic_domains_are_measured_not_enumerated() -> None:
    error = _uvl_error(
        "features\n\tR\n\t\toptional\n\t\t\tReal x {min 0, max 1e300, step 1e-300}\n"
    )
    assert "about 10^600 values" in error.message


def test_the_largest_allowed_domain_is_reasoned_about() -> None:
    text = f"features\n\tR\n\t\tmandatory\n\t\t\tInteger x {{min 1, max {MAX_DOMAIN}}}\n"
    model = parse_uvl(text)
    assert len(model.feature("x").domain() or ()) == MAX_DOMAIN
    reasoner = Reasoner(model)
    assert reasoner.can_complete({"x": MAX_DOMAIN}) and not reasoner.can_complete({"x": None})


@pytest.mark.parametrize(
    ("domain", "message"),
    [
        ("{values [1, 'a']}", "Integer feature x: 'a' is not a whole number"),
        ("{values [1, 2.5]}", "Integer feature x: 2.5 is not a whole number"),
        ("{min 0, max 10, step 0.5}", "Integer feature x: min and step must be whole numbers"),
        ("{min 0, max 1e999}", "the number 1e999 is too large"),
    ],
)
def test_unusable_integer_domains_are_reported(domain: str, message: str) -> None:
    error = _uvl_error(f"features\n\tR\n\t\toptional\n\t\t\tInteger x {domain}\n")
    assert error.line == 4
    assert message in error.message


def test_featureide_domains_are_bounded_too() -> None:
    xml = (
        '<featureModel><struct><and name="R"><feature name="x" type="Integer">'
        '<attribute name="min" type="long" value="0"/>'
        '<attribute name="max" type="long" value="99999999"/>'
        "</feature></and></struct></featureModel>"
    )
    with pytest.raises(ModelSyntaxError, match="has 100,000,000 values") as info:
        parse_featureide(xml, "m.xml")
    assert info.value.line == 1


def test_the_editor_refuses_a_huge_domain_and_keeps_the_old_one() -> None:
    model = parse_uvl("features\n\tR\n\t\toptional\n\t\t\tInteger x {values [1, 2]}\n")
    with pytest.raises(PimpError, match="has 1,000,001 values"):
        set_domain(model, "x", "Integer min 0 max 1000000")
    assert model.feature("x").domain() == (1, 2)


# -- nesting -------------------------------------------------------------------------------------


def _uvl_error(text: str) -> ModelSyntaxError:
    with pytest.raises(ModelSyntaxError) as info:
        parse_uvl(text, "m.uvl")
    return info.value


def test_the_deepest_allowed_tree_reads_writes_and_counts() -> None:
    model = parse_uvl(_chain_tree(MAX_DEPTH))
    assert parse_uvl(write_uvl(model)) == model
    assert parse_featureide(write_featureide(model)) == model
    assert Reasoner(model).count() == MAX_DEPTH + 1


def test_the_editor_grows_a_tree_only_to_the_depth_a_file_may_have() -> None:
    model = parse_uvl(_chain_tree(MAX_DEPTH - 1))
    deepest = add_feature(model, f"F{MAX_DEPTH - 1}", "Last")
    assert deepest.parent is model.feature(f"F{MAX_DEPTH - 1}")
    with pytest.raises(PimpError, match=f"Last is {MAX_DEPTH} levels deep"):
        add_feature(model, "Last", "TooDeep")
    assert parse_uvl(write_uvl(model)) == model


def test_one_level_deeper_is_refused_at_the_line_that_goes_too_deep() -> None:
    error = _uvl_error(_chain_tree(MAX_DEPTH + 1))
    assert error.line == 2 * (MAX_DEPTH + 1) + 2
    assert error.message == (
        f"nested too deeply: a feature tree may have at most {MAX_DEPTH} levels below its root"
    )


def test_a_thousand_levels_stop_at_the_limit(tmp_path, capsys) -> None:
    code, _, err = _check(tmp_path, capsys, "deep.uvl", _chain_tree(1_000))
    assert code == 2
    assert f"deep.uvl:{2 * (MAX_DEPTH + 1) + 2}:" in err and "Traceback" not in err


@pytest.mark.parametrize(
    ("constraint", "col", "message"),
    [
        (
            "(" * 10_000 + "A" + ")" * 10_000,
            MAX_DEPTH + 2,
            f"more than {MAX_DEPTH} nested brackets",
        ),
        ("!" * 10_000 + "A", 2, "constraint nested 10001 levels deep"),
        ("-" * 10_000 + "1 == A", 2, "constraint nested 10001 levels deep"),
        (" => ".join(["A"] * 100), 2, "constraint nested 100 levels deep"),
    ],
)
def test_deep_constraints_are_refused_at_their_start(
    constraint: str, col: int, message: str
) -> None:
    error = _uvl_error(f"features\n\tR\n\t\toptional\n\t\t\tA\nconstraints\n\t{constraint}\n")
    assert (error.line, error.col) == (6, col)
    assert message in error.message


def test_brackets_up_to_the_limit_are_fine() -> None:
    inner = "(" * (MAX_DEPTH - 1) + "A & B" + ")" * (MAX_DEPTH - 1)
    text = f"features\n\tR\n\t\toptional\n\t\t\tA\n\t\t\tB\nconstraints\n\t!{inner}\n"
    assert Reasoner(parse_uvl(text)).count() == 3


# -- long chains ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("op", "terms", "levels"), [("|", 10_000, 15), ("&", 2_000, 12)])
def test_a_long_chain_is_read_balanced(op: str, terms: int, levels: int) -> None:
    model = parse_uvl(_flat(terms, op))
    assert depth(model.constraints[0].expr) == levels  # log2(terms) operators over references
    assert parse_uvl(write_uvl(model)) == model
    assert parse_featureide(write_featureide(model)) == model
    reasoner = Reasoner(model)
    assert reasoner.is_satisfiable()
    assert reasoner.can_complete({"A0": False}) == (op == "|")


def test_a_long_disjunction_is_reasoned_about(tmp_path, capsys) -> None:
    code, out, _ = _check(tmp_path, capsys, "or.uvl", _flat(600))
    assert code == 0 and out.endswith("601 features, 1 constraints, satisfiable\n")
    reasoner = Reasoner(parse_uvl(_flat(600)))
    assert reasoner.count() == 2**600 - 1
    assert reasoner.core_features() == ["R"]


def test_a_ten_thousand_term_disjunction_is_counted(tmp_path, capsys) -> None:
    path = tmp_path / "or.uvl"
    path.write_text(_flat(10_000), encoding="utf-8")
    assert main(["model", "count", str(path)]) == 0
    assert capsys.readouterr().out.strip() == str(2**10_000 - 1)


def test_a_long_disjunction_of_conjunctions_is_counted() -> None:
    n = 2_000
    children = "".join(f"\t\t\tA{i}\n\t\t\tB{i}\n" for i in range(n))
    terms = " | ".join(f"(A{i} & B{i})" for i in range(n))
    model = parse_uvl(f"features\n\tR\n\t\toptional\n{children}constraints\n\t{terms}\n")
    assert Reasoner(model).count() == 4**n - 3**n  # every pair but those with no pair both set


def test_counts_of_more_digits_than_python_prints_are_printed_whole(tmp_path, capsys) -> None:
    path = tmp_path / "free.uvl"
    children = "".join(f"\t\t\tA{i}\n" for i in range(15_000))
    path.write_text(f"features\n\tR\n\t\toptional\n{children}", encoding="utf-8")
    assert main(["model", "count", str(path)]) == 0
    out = capsys.readouterr().out.strip()
    assert len(out) == 4516 and Decimal(out) == Decimal(2**15_000)  # int(out) would refuse
    assert count_text(2**15_000, grouped=True) == f"{Decimal(2**15_000):,}"
    assert count_text(1234567, grouped=True) == "1,234,567" and count_text(0) == "0"


def test_chains_are_balanced_with_the_extra_term_on_the_left() -> None:
    a, b, c, d, e = (Ref(n) for n in "ABCDE")
    assert chain("&", [a, b, c]) == Logic("&", Logic("&", a, b), c)
    assert chain("|", [a, b, c, d, e]) == Logic(
        "|", Logic("|", Logic("|", a, b), c), Logic("|", d, e)
    )
    assert chain("=>", [a, b, c, d]) == Logic("=>", Logic("=>", Logic("=>", a, b), c), d)


def test_other_shapes_of_a_chain_keep_their_parentheses() -> None:
    a, b, c, d = (Ref(n) for n in "ABCD")
    balanced = chain("|", [a, b, c, d])
    left_deep = Logic("|", Logic("|", Logic("|", a, b), c), d)
    assert expression(balanced) == "A | B | C | D"
    assert expression(left_deep) == "(A | B | C) | D"
    text = "features\n\tR\n\t\toptional\n\t\t\tA\n\t\t\tB\n\t\t\tC\n\t\t\tD\nconstraints\n\t"
    assert parse_uvl(text + "(A | B | C) | D\n").constraints[0].expr == left_deep
    assert parse_uvl(text + "A | B | C | D\n").constraints[0].expr == balanced


# -- FeatureIDE XML ------------------------------------------------------------------------------

_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY a "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa">
 <!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
 <!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">
 <!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">
 <!ENTITY e "&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;">
]>
<featureModel><struct><feature name="R"><description>&e;</description></feature></struct>
</featureModel>
"""


def test_entity_declarations_are_refused(tmp_path, capsys) -> None:
    code, _, err = _check(tmp_path, capsys, "lolz.xml", _LAUGHS)
    assert code == 2
    assert err.startswith(f"{tmp_path / 'lolz.xml'}:3:")
    assert err.strip().endswith(": entity declarations are not accepted (<!ENTITY a>)")


def test_text_split_into_many_pieces_is_read_whole() -> None:
    name = "&amp;" * 100_000  # expat hands each reference over as its own piece
    xml = f'<featureModel><struct><feature name="R"><description>{name}</description>'
    model = parse_featureide(xml + "</feature></struct></featureModel>")
    assert model.root.attributes["description"] == "&" * 100_000


def test_deeply_nested_xml_is_refused() -> None:
    xml = "<featureModel>" + "<x>" * 10_000 + "</x>" * 10_000 + "</featureModel>"
    with pytest.raises(ModelSyntaxError, match="elements nested more than"):
        parse_featureide(xml, "m.xml")


def test_deep_xml_rules_are_refused_at_the_rule() -> None:
    rule = "<not>" * 100 + "<var>R</var>" + "</not>" * 100
    xml = (
        '<featureModel><struct><feature name="R"/></struct>'
        f"<constraints><rule>{rule}</rule></constraints></featureModel>"
    )
    with pytest.raises(ModelSyntaxError, match="rule nested 101 levels deep"):
        parse_featureide(xml, "m.xml")


def test_a_ten_thousand_operand_disjunction_in_xml_is_balanced() -> None:
    features = "".join(f'<feature name="A{i}"/>' for i in range(10_000))
    terms = "".join(f"<var>A{i}</var>" for i in range(10_000))
    xml = (
        f'<featureModel><struct><and name="R">{features}</and></struct>'
        f"<constraints><rule><disj>{terms}</disj></rule></constraints></featureModel>"
    )
    model = parse_featureide(xml)
    assert depth(model.constraints[0].expr) == 15
    assert model.constraints[0].expr == chain("|", [Ref(f"A{i}") for i in range(10_000)])


def test_atmost1_over_many_operands_is_refused() -> None:
    terms = "".join(f"<var>A{i}</var>" for i in range(201))
    features = "".join(f'<feature name="A{i}"/>' for i in range(201))
    xml = (
        f'<featureModel><struct><and name="R">{features}</and></struct>'
        f"<constraints><rule><atmost1>{terms}</atmost1></rule></constraints></featureModel>"
    )
    with pytest.raises(ModelSyntaxError, match="<atmost1> over 201 operands; at most 200"):
        parse_featureide(xml, "m.xml")


def test_load_model_reports_the_file(tmp_path) -> None:
    path = tmp_path / "m.xml"
    path.write_text(_LAUGHS, encoding="utf-8")
    with pytest.raises(ModelSyntaxError) as info:
        load_model(path)
    assert info.value.file == str(path)
