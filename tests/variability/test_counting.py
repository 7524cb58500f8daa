"""Exact model counting: agrees with enumeration, honours assumptions, exact beyond 2**64."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pimp_tui.variability import counting
from pimp_tui.variability.cnf import encode
from pimp_tui.variability.counting import count_models
from tests.variability.random_models import small_models, valid_configs


def _brute(clauses: list[list[int]], num_vars: int, assumptions: list[int]) -> int:
    count = 0
    for bits in itertools.product([False, True], repeat=num_vars):
        true = {v + 1 if b else -(v + 1) for v, b in enumerate(bits)}
        if all(a in true for a in assumptions) and all(true & set(c) for c in clauses):
            count += 1
    return count


clause_sets = st.integers(1, 6).flatmap(
    lambda n: st.tuples(
        st.just(n),
        st.lists(
            st.lists(
                st.integers(1, n).flatmap(lambda v: st.sampled_from([v, -v])),
                min_size=1,
                max_size=3,
            ),
            max_size=8,
        ),
        st.lists(st.integers(1, n).flatmap(lambda v: st.sampled_from([v, -v])), max_size=2),
    )
)


@given(clause_sets)
@settings(max_examples=150, deadline=None)
def test_count_equals_enumeration(case: tuple[int, list[list[int]], list[int]]) -> None:
    num_vars, clauses, assumptions = case
    assert count_models(clauses, num_vars, assumptions) == _brute(clauses, num_vars, assumptions)


@given(clause_sets)
@settings(max_examples=150, deadline=None)
def test_clauses_split_off_by_inclusion_exclusion_count_as_enumeration(
    case: tuple[int, list[list[int]], list[int]],
) -> None:
    num_vars, clauses, assumptions = case
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(counting, "LONG_CLAUSE", 2)  # every clause of two literals or more
        assert count_models(clauses, num_vars, assumptions) == _brute(
            clauses, num_vars, assumptions
        )


def test_unconstrained_variables_count_as_free() -> None:
    assert count_models([], 3) == 8
    assert count_models([[1, 2]], 5) == 3 * 8


def test_unsatisfiable_and_empty_clause_count_zero(capfd) -> None:
    assert count_models([[1], [-1]], 2) == 0
    assert count_models([[]], 2) == 0
    assert count_models([[1, 2]], 2, assumptions=[-1, -2]) == 0
    assert capfd.readouterr().out == ""


def test_counts_beyond_machine_integers_are_exact() -> None:
    assert count_models([[1, 2]], 100) == 3 * 2**98


def test_long_clauses_are_counted_without_one_branch_per_literal() -> None:
    n = 10_000
    every = list(range(1, n + 1))
    assert count_models([every], n + 2) == (2**n - 1) * 4
    assert count_models([every, [-v for v in every]], n) == 2**n - 2
    assert count_models([every], n, assumptions=[-1, -2]) == 2 ** (n - 2) - 1
    assert count_models([[1, 1, 2], [3, -3, 4]], 4) == 3 * 4


@given(small_models())
@settings(max_examples=80, deadline=None)
def test_count_of_an_encoding_equals_enumerated_configurations(model) -> None:
    encoding = encode(model)
    assert count_models(encoding.clauses, encoding.num_vars) == len(valid_configs(model))
