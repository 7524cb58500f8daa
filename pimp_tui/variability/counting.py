"""Exact model counting: exact integers in seconds on real product lines, never enumeration.

The formula is first simplified by unit propagation and split into independent components
(variables that share no clause count independently and multiply). Each component is counted by
a small DPLL counter with component caching when it is easy — feature trees mostly are — and by
Ganak (pyganak) when that counter exceeds its budget. Ganak spends a fixed second or more on
tree decompositions and preprocessing even for small formulas, which matters to callers that
count many times (conditional counts for uniform sampling).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence

from pyganak import Counter
from pysat.solvers import Solver

WORK_BUDGET = 100_000
"""Clauses the DPLL counter may visit on one component (about a second) before handing
the component to Ganak."""

LONG_CLAUSE = 16
"""A clause this long is split off by inclusion-exclusion rather than branched on literal by
literal (the feature models shipped and tested have clauses of at most 7 literals)."""

Clause = tuple[int, ...]


class _OverBudget(Exception):
    pass


def count_models(
    clauses: Sequence[Sequence[int]], num_vars: int, assumptions: Iterable[int] = ()
) -> int:
    """The number of assignments of variables 1..num_vars satisfying `clauses` and the
    `assumptions` literals."""
    formula = [tuple(c) for c in clauses]
    if any(not c for c in formula):
        return 0
    units = list(assumptions)
    simplified = _propagate(formula, units)
    if simplified is None:
        return 0
    rest, assigned = simplified
    mentioned = {abs(lit) for c in rest for lit in c}
    total = 2 ** (num_vars - len(assigned) - len(mentioned))
    hard: list[Clause] = []
    for component in _components(rest):
        try:
            total *= _Dpll().count(component)
        except (_OverBudget, RecursionError):
            hard.extend(component)
        if total == 0:
            return 0
    return total * _ganak(hard) if hard else total


def _ganak(clauses: list[Clause]) -> int:
    """Count with Ganak over the variables the clauses mention, renumbered densely."""
    names = sorted({abs(lit) for c in clauses for lit in c})
    index = {v: i + 1 for i, v in enumerate(names)}
    renamed = [[index[abs(lit)] if lit > 0 else -index[abs(lit)] for lit in c] for c in clauses]
    # Ganak prints to stdout on an unsatisfiable formula; a SAT call answers that case quietly.
    with Solver(name="g4", bootstrap_with=renamed) as solver:
        if not solver.solve():
            return 0
    counter = Counter()
    counter.new_vars(len(names))
    counter.add_clauses(renamed)
    return int(counter.count())


class _Dpll:
    """Exhaustive DPLL counting with unit propagation, components and a component cache."""

    def __init__(self) -> None:
        self.work = 0
        self.cache: dict[frozenset[Clause], int] = {}

    def count(self, clauses: list[Clause]) -> int:
        """Models of `clauses` over exactly the variables they mention."""
        if len(clauses) == 1:
            return _one_clause(clauses[0])
        key = frozenset(clauses)
        if key in self.cache:
            return self.cache[key]
        self.work += len(clauses)
        if self.work > WORK_BUDGET:
            raise _OverBudget
        occurs = _occurrences(clauses)
        weight: dict[int, int] = defaultdict(int)
        for lit, where in occurs.items():
            weight[abs(lit)] += len(where)
        longest = max(clauses, key=len)
        if len(longest) >= LONG_CLAUSE:
            total = self._split_off(clauses, longest, len(weight))
        else:
            total = 0
            var = max(weight, key=weight.__getitem__)
            for lit in (var, -var):
                simplified = _propagate(clauses, [lit], occurs)
                if simplified is not None:
                    total += self._free_times_components(*simplified, len(weight))
        self.cache[key] = total
        return total

    def _free_times_components(self, rest: list[Clause], assigned: set[int], n: int) -> int:
        """Models over `n` variables of which `assigned` are fixed and `rest` constrains some
        of the others (the remaining ones are free)."""
        mentioned = {abs(x) for c in rest for x in c}
        total = 2 ** (n - len(assigned) - len(mentioned))
        for component in _components(rest):
            total *= self.count(component)
            if total == 0:
                break
        return total

    def _split_off(self, clauses: list[Clause], long: Clause, n: int) -> int:
        """Models of `clauses` over their `n` variables, by inclusion-exclusion on one long
        clause: the models of the others, less those of the others where every literal of the
        clause is false. Branching would go one level deeper per literal; without the clause
        the rest often falls apart into small components (a disjunction of conjunctions)."""
        rest = list(clauses)
        rest.remove(long)
        total = self._free_times_components(rest, set(), n)
        violated = _propagate(rest, [-lit for lit in long])
        if violated is None:
            return total
        return total - self._free_times_components(*violated, n)


def _one_clause(clause: Clause) -> int:
    """Models of one clause over the variables it mentions: all but the one assignment that
    falsifies every literal (none if it holds a literal and its negation). A long disjunction
    is counted at once: branching on it would go one level deeper per literal."""
    literals = set(clause)
    variables = {abs(lit) for lit in literals}
    return 2 ** len(variables) - (0 if len(variables) < len(literals) else 1)


def _occurrences(clauses: list[Clause]) -> dict[int, list[int]]:
    occurs: dict[int, list[int]] = defaultdict(list)
    for i, c in enumerate(clauses):
        for lit in c:
            occurs[lit].append(i)
    return occurs


def _propagate(
    clauses: list[Clause], units: list[int], occurs: dict[int, list[int]] | None = None
) -> tuple[list[Clause], set[int]] | None:
    """Unit propagation: the remaining clauses (satisfied ones dropped, false literals removed)
    and the assigned variables, or None on a conflict. `clauses` hold no unit clause unless
    `occurs` is None."""
    queue = list(units)
    if occurs is None:
        occurs = _occurrences(clauses)
        queue.extend(c[0] for c in clauses if len(c) == 1)
    value: dict[int, bool] = {}
    while queue:
        lit = queue.pop()
        var = abs(lit)
        if var in value:
            if value[var] != (lit > 0):
                return None
            continue
        value[var] = lit > 0
        for i in occurs.get(-lit, ()):
            free: list[int] = []
            for x in clauses[i]:
                state = value.get(abs(x))
                if state is None:
                    free.append(x)
                elif state == (x > 0):
                    break
            else:
                if not free:
                    return None
                if len(free) == 1:
                    queue.append(free[0])
    touched = set()  # type: ignore[var-annotated]
    for var in value:
        touched.update(occurs.get(var, ()))
        touched.update(occurs.get(-var, ()))
    rest: list[Clause] = []
    for i, c in enumerate(clauses):
        if i not in touched:
            rest.append(c)
            continue
        kept: list[int] = []
        for x in c:
            state = value.get(abs(x))
            if state is None:
                kept.append(x)
            elif state == (x > 0):
                break
        else:
            rest.append(tuple(kept))
    return rest, set(value)


def _components(clauses: list[Clause]) -> list[list[Clause]]:
    """Group clauses into sets sharing no variable."""
    by_var: dict[int, list[int]] = defaultdict(list)
    for i, c in enumerate(clauses):
        for lit in c:
            by_var[lit if lit > 0 else -lit].append(i)
    seen = [False] * len(clauses)
    groups: list[list[Clause]] = []
    for start in range(len(clauses)):
        if seen[start]:
            continue
        seen[start] = True
        stack, members = [start], []
        while stack:
            i = stack.pop()
            members.append(i)
            for lit in clauses[i]:
                for j in by_var.pop(lit if lit > 0 else -lit, ()):
                    if not seen[j]:
                        seen[j] = True
                        stack.append(j)
        groups.append([clauses[i] for i in sorted(members)])
    return groups
