"""Small feature models for sampler tests: enumerable, with typed features and constraints."""

from __future__ import annotations

from pathlib import Path

import pytest

from pimp_tui.variability.io import load_model, parse_uvl
from pimp_tui.variability.model import FeatureModel

SHOP_UVL = """features
    Shop {abstract}
        mandatory
            Payment
                alternative
                    Card
                    Cash
                    Voucher
        optional
            Search
            Integer beams {values [1, 2, 4]}
            Real temp {min 0.2, max 1.0, step 0.4}
constraints
    Voucher => Search
    beams > 1 => !Cash
"""
"""64 valid configurations; an alternative group, typed features, a numeric constraint."""


@pytest.fixture
def shop() -> FeatureModel:
    return parse_uvl(SHOP_UVL, "shop.uvl")


@pytest.fixture
def shop_path(tmp_path: Path) -> Path:
    path = tmp_path / "shop.uvl"
    path.write_text(SHOP_UVL)
    return path


@pytest.fixture
def shell() -> FeatureModel:
    """A Kconfig-derived model: 15 optional features under an abstract root, 13 clauses."""
    return load_model(Path(__file__).resolve().parents[1] / "models" / "shell.uvl")
