"""UVL `imports`: imported models are read next to the importing file and composed under their
alias, names qualified (`alias.Feature`); cycles, missing files and misplaced imports are
reported at FILE:LINE:COL (tests/models/imports)."""

from __future__ import annotations

from pathlib import Path

import pytest

from pimp_tui.cli import main
from pimp_tui.errors import ModelSyntaxError
from pimp_tui.variability.featureide import write_featureide
from pimp_tui.variability.io import load_model, parse_featureide, parse_uvl
from pimp_tui.variability.limits import MAX_COMPOSED, MAX_IMPORT_DEPTH
from pimp_tui.variability.model import Aggregate, Compare, Const, Ref
from pimp_tui.variability.reasoning import Reasoner
from pimp_tui.variability.uvl_writer import write_uvl

IMPORTS = Path(__file__).resolve().parents[1] / "models" / "imports"


def test_composed_names_keep_their_namespace() -> None:
    model = load_model(IMPORTS / "composition" / "computer.uvl")
    names = model.feature_names()
    assert names[:3] == ["Computer", "cpu.CPU", "cpu.Brand"]
    assert {
        "cpu.intel.Intel",
        "cpu.intel.Turbo",
        "cpu.vendor_amd.AMD",
        "cpu.vendor_amd.Zen",
    } <= set(names)
    assert model.feature("cpu.intel.Intel").parent is model.feature("cpu.Brand")
    # the importing file's own constraints first, then each imported model's, renamed
    assert [c.text for c in model.constraints] == [
        "SSD => Strong",
        "Weak => !cpu.intel.Turbo",
        "cpu.intel.Turbo.watts + cpu.Bits64.bits > 60",
        '"cpu.intel.Turbo" => "cpu.Bits64"',
        '"cpu.vendor_amd.Zen" => "cpu.Bits64"',
        '"cpu.intel.Turbo" => "cpu.intel.Hyperthreading"',
    ]
    watts = model.constraints[2].expr.left.left  # type: ignore[union-attr]
    assert watts == Ref("cpu.intel.Turbo", "watts")


def test_a_composed_model_is_reasoned_about_as_one() -> None:
    reasoner = Reasoner(load_model(IMPORTS / "composition" / "computer.uvl"))
    # Bits64 is forced by `watts + bits > 60`; Intel (3 ways) or AMD (2) by PSU and SSD
    assert reasoner.count() == 14
    assert reasoner.dead_features() == ["cpu.Bits32"]
    assert not reasoner.can_complete({"Weak": True, "cpu.intel.Turbo": True})


def test_imports_resolve_relative_to_the_importing_file() -> None:
    model = load_model(IMPORTS / "nested" / "main.uvl")
    assert model.feature_names() == [
        "Root",
        "board.Board",
        "board.Slot",
        "board.c.Chip",
        "board.c.Fast",
        "board.c.Slow",
    ]
    assert Reasoner(model).count() == 11


def test_typed_imports_keep_domains_attributes_and_their_own_scope() -> None:
    model = load_model(IMPORTS / "typed" / "order.uvl")
    assert model.feature("ice.Scoops").domain() == (1, 2, 3)
    assert model.feature("ice.Cup").attributes == {"Price": 6}
    own_sum = model.constraints[2].expr.left  # type: ignore[union-attr]
    assert own_sum == Aggregate("sum", (), "Price", "ice.Icecream")
    assert model.constraints[0].expr.left == Compare("<=", Ref("ice.Scoops"), Const(2))  # type: ignore[union-attr]
    # sum(Price) <= 11 stays within the imported model: Topping {Price 10} is free
    reasoner = Reasoner(model)
    assert reasoner.count() == 100
    assert reasoner.can_complete({"Topping": True, "ice.Cup": True})


@pytest.mark.parametrize("path", ["composition/computer.uvl", "nested/main.uvl", "typed/order.uvl"])
def test_composed_models_survive_round_trips_as_one_file(path: str, tmp_path: Path) -> None:
    model = load_model(IMPORTS / path)
    assert parse_uvl(write_uvl(model)) == model
    assert parse_featureide(write_featureide(model)) == model
    assert main(["model", "convert", str(IMPORTS / path), str(tmp_path / "one.uvl")]) == 0
    assert load_model(tmp_path / "one.uvl") == model


def _error(path: Path) -> str:
    with pytest.raises(ModelSyntaxError) as info:
        load_model(path)
    return str(info.value)


@pytest.mark.parametrize(
    ("name", "where", "message"),
    [
        (
            "cycle_a.uvl",
            "cycle_b.uvl:2:2",
            "import cycle: cycle_a.uvl imports cycle_b.uvl imports cycle_a.uvl",
        ),
        ("missing.uvl", "missing.uvl:2:2", "cannot import 'not_there': "),
        ("not_the_root.uvl", "not_the_root.uvl:6:4", "only the root of 'p' can be placed"),
        ("unknown_imported.uvl", "unknown_imported.uvl:8:2", "unknown feature 'p.Y'"),
    ],
)
def test_faulty_imports_are_reported_where_they_are_written(
    name: str, where: str, message: str
) -> None:
    error = _error(IMPORTS / "faulty" / name)
    assert error.startswith(str(IMPORTS / "faulty" / where) + ": ")
    assert message in error


def test_the_cli_reports_a_cycle_in_one_line(capsys) -> None:
    assert main(["model", "check", str(IMPORTS / "faulty" / "cycle_a.uvl")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "import cycle" in err


def _write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def test_a_file_importing_itself_is_a_cycle(tmp_path: Path) -> None:
    path = _write(tmp_path, "me.uvl", "imports\n\tme\nfeatures\n\tA\n\t\toptional\n\t\t\tme.A\n")
    assert _error(path) == f"{path}:2:2: import cycle: me.uvl imports me.uvl"


def test_errors_inside_an_imported_file_name_that_file(tmp_path: Path) -> None:
    _write(tmp_path, "lib.uvl", "features\n\tL\n\t\toptional\n\t\t\t3D\n")
    path = _write(tmp_path, "main.uvl", "imports\n\tlib\nfeatures\n\tA\n")
    assert _error(path).startswith(f"{tmp_path / 'lib.uvl'}:4:4: illegal name '3D'")


@pytest.mark.parametrize(
    ("tree", "message"),
    [
        ("\t\t\tlib.L\n\t\t\tlib.L\n", "duplicate feature name 'lib.L'"),
        ("\t\t\tlib.L {abstract}\n", "an imported feature is defined in its own file"),
        ("\t\t\tlib.L\n\t\t\t\toptional\n\t\t\t\t\tX\n", "defined in its own file"),
        ("\t\t\tother.L\n", "'other.L' names no imported model"),
    ],
)
def test_an_import_is_placed_once_and_as_it_is(tmp_path: Path, tree: str, message: str) -> None:
    _write(tmp_path, "lib.uvl", "features\n\tL\n")
    path = _write(tmp_path, "main.uvl", f"imports\n\tlib\nfeatures\n\tA\n\t\toptional\n{tree}")
    assert message in _error(path)


def test_an_import_chain_longer_than_the_limit_is_refused(tmp_path: Path) -> None:
    for i in range(MAX_IMPORT_DEPTH + 2):
        body = f"imports\n\tm{i + 1}\nfeatures\n\tR{i}\n\t\toptional\n\t\t\tm{i + 1}.R{i + 1}\n"
        _write(tmp_path, f"m{i}.uvl", body)
    _write(tmp_path, f"m{MAX_IMPORT_DEPTH + 2}.uvl", f"features\n\tR{MAX_IMPORT_DEPTH + 2}\n")
    assert f"imports nested more than {MAX_IMPORT_DEPTH} files deep" in _error(tmp_path / "m0.uvl")


def test_repeated_imports_stop_at_the_composition_limit(tmp_path: Path) -> None:
    """Each file places the next one eight times: 8^10 features if nothing stopped it."""
    aliases = "abcdefgh"
    for i in range(10):
        imports = "".join(f"\tm{i + 1} as {a}\n" for a in aliases)
        places = "".join(f"\t\t\t{a}.R\n" for a in aliases)
        _write(tmp_path, f"m{i}.uvl", f"imports\n{imports}features\n\tR\n\t\toptional\n{places}")
    _write(tmp_path, "m10.uvl", "features\n\tR\n")
    error = _error(tmp_path / "m0.uvl")
    assert f"more than {MAX_COMPOSED:,} features and constraint nodes" in error


def test_import_names_are_words_of_a_path(tmp_path: Path) -> None:
    path = _write(tmp_path, "main.uvl", 'imports\n\t"../secret" as s\nfeatures\n\tA\n')
    assert "name a model file by its path's words" in _error(path)
