"""Malformed UVL is a ModelSyntaxError at the offending token (1-based line:col), shown as
FILE:LINE:COL: message, exit status 2."""

from __future__ import annotations

from pathlib import Path

import pytest

from pimp_tui.errors import ModelSyntaxError
from pimp_tui.variability.io import load_model, parse_uvl

TREE = "features\n    A {Price 1}\n        optional\n            B {Price 2}\n            C\n"


def _error(text: str) -> ModelSyntaxError:
    with pytest.raises(ModelSyntaxError) as info:
        parse_uvl(text, "m.uvl")
    return info.value


@pytest.mark.parametrize(
    ("text", "line", "col", "message"),
    [
        # indentation
        (TREE + "          D\n", 6, 11, "wrong indentation: does not match any enclosing level"),
        ("features\n\tA\n\t\toptional\n\t    B\n", 4, 6, "tabs and spaces mixed"),
        ("features\n\tA\n\t\toptional\n    B\n", 4, 5, "tabs and spaces mixed"),
        ("features\n    A\n        B\n", 3, 9, "expected a group"),
        ("  features\n    A\n", 1, 3, "wrong indentation"),
        (TREE + "constraints\n    B\n      C\n", 8, 7, "wrong indentation"),
        # names
        (TREE + "            B\n", 6, 13, "duplicate feature name 'B' (first at line 4)"),
        (
            "features\n    A\n        optional\n            or\n",
            4,
            13,
            "group 'or' must be indented under its feature (quote it",
        ),
        ("features\n    A\n        optional\n            7up\n", 4, 13, "illegal name '7up'"),
        ('features\n    ""\n', 2, 5, "empty quoted name"),
        ('features\n    "A\n', 2, 5, "unterminated quoted name"),
        ("features\n    A\n    B\n", 3, 5, "exactly one root feature"),
        # references
        (
            TREE + "constraints\n    B.Pricee > 2\n",
            7,
            7,
            "unknown attribute 'Pricee' of feature 'B'",
        ),
        (TREE + "constraints\n    C.Price > 2\n", 7, 7, "unknown attribute 'Price' of feature 'C'"),
        (TREE + "constraints\n    B & X\n", 7, 9, "unknown feature 'X'"),
        (TREE + "constraints\n    sum(Cost) > 2\n", 7, 9, "no attribute or feature named 'Cost'"),
        (TREE + "constraints\n    sum(Price, Z) > 2\n", 7, 16, "unknown feature 'Z'"),
        (TREE + "constraints\n    avg(Cost, A) > 2\n", 7, 9, "no feature has an attribute 'Cost'"),
        ("features\n    A\n    mandatory\n        B\n", 3, 5, "group 'mandatory' must be indented"),
        ("features\n    A\n        optional\n        B\n", 4, 9, "expected a group"),
        ("features\n    A {constraint B}\n", 2, 19, "unknown feature 'B'"),
        # syntax
        (TREE + "constraints\n    B & | C\n", 7, 9, "found '|'"),
        (TREE + "constraints\n    (B & C\n", 7, 5, "'(' is never closed"),
        (TREE + "constraints\n    B & C)\n", 7, 10, "expected end of line, found ')'"),
        (TREE + "constraints\n    B.Price + 1\n", 7, 5, "expected a constraint"),
        (TREE + "constraints\n    (B | C) + 1 > 2\n", 7, 5, "found a Boolean expression"),
        (TREE + "constraints\n    B.Price > 1 > 0\n", 7, 17, "expected end of line"),
        (TREE + "constraints\n    B $ C\n", 7, 7, "unexpected character '$'"),
        (TREE + "constraints\n    B = C\n", 7, 7, "unexpected character '='"),
        ("features\n    A {x 'abc}\n", 2, 10, "unterminated quoted string"),
        ("features\n    A {x 1 y 2}\n", 2, 12, "expected ','"),
        ("features\n    A {x ]}\n", 2, 10, "expected an attribute value"),
        ("features\n    A\n        [3..1]\n            B\n", 3, 10, "lower bound above upper"),
        ("features\n    A cardinality [a]\n", 2, 20, "expected a whole number"),
        ("features\n    A /* open\n", 2, 7, "unterminated /* comment"),
        ("constraints\n    A\n", 1, 1, "expected the 'features' section"),
        (
            "imports\n    lib as l\nfeatures\n    A\n",
            1,
            1,
            "imports are resolved next to the model's file",
        ),
        ("features\n    A\nconstraints\n    A\nfeatures\n", 5, 1, "end of file"),
    ],
)
def test_errors_point_at_the_offending_token(text: str, line: int, col: int, message: str) -> None:
    e = _error(text)
    assert (e.line, e.col) == (line, col), str(e)
    assert message in e.message
    assert str(e) == f"m.uvl:{line}:{col}: {e.message}"
    assert e.exit_code == 2


def test_unreadable_files_are_user_errors(tmp_path: Path) -> None:
    bad = tmp_path / "latin1.uvl"
    bad.write_bytes(b"features\n    \xe9t\xe9\n")
    with pytest.raises(ModelSyntaxError, match="not UTF-8") as info:
        load_model(bad)
    assert (info.value.line, info.value.col) == (2, 5)
