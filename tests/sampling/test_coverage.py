from __future__ import annotations

import pytest

from pimp_tui.sampling.coverage import coverage
from tests.sampling.helpers import every_configuration, interactions


@pytest.mark.parametrize("t", [1, 2, 3])
def test_coverage_of_partial_samples_matches_enumeration(shop, t):
    space = every_configuration(shop)
    valid = interactions(shop, space, t)
    for part in (space[:1], space[:5], space[::7], space):
        result = coverage(shop, part, t)
        covered = interactions(shop, part, t)
        assert result.valid == len(valid)
        assert result.covered == len(covered)
        assert {tuple(sorted(m)) for m in result.missing} == {
            tuple(sorted(m)) for m in valid - covered
        }


def test_invalid_configurations_cover_nothing(shop):
    config = every_configuration(shop)[0]
    broken = dict(config, Payment=False)
    result = coverage(shop, [broken], 2)
    assert result.covered == 0 and result.invalid_configurations == [0]
    assert "invalid" in result.summary()
