"""A lower bound on any t-wise sample's size: valid pairs no two of which fit together.

Two pairs that cannot share a configuration (a literal of one excludes a literal of the other)
need two configurations, so a set of mutually exclusive pairs bounds the sample size (the bound
SampLNS proves optima with), and each of its pairs can seed a configuration of its own in the
greedy. Finding the largest such set is a maximum clique problem on the graph whose vertices are
the valid pairs and whose edges join exclusive ones. Two steps find a large one:

- A start built from alternatives (see `alternative_pairs`), which on models ruled by a few
  alternative groups is often the largest already.
- A clique local search over the start's pairs and the most exclusive others, from the start
  and from nothing (add a vertex adjacent to the whole clique; else swap one in for the single
  member it is not adjacent to, which then rests a few steps; else restart from a random vertex
  and the part of the clique around it), for a counted number of steps, so that a run is
  deterministic for a seed.

A 3-wise sample holds every pair some valid triple holds, so such pairs bound it too.
"""

from __future__ import annotations

import random

import numpy as np

from pimp_tui.sampling.interactions import Analysis

MAX_CANDIDATES = 100_000
"""Valid pairs considered at most (the most exclusive ones) on large models."""
MAX_VERTICES = 2_500
"""Pairs the clique search works on at most (bounds its table of vertex pairs)."""
STARTS = 400
"""Literal cliques grown at most."""
CHUNK = 8192
"""Candidate pairs checked against the chosen ones at a time (bounds the temporary tables)."""
RESTARTS = 8
"""Orders of the plain extension tried at most."""
WORK = 50_000_000
"""Candidate pairs x bound size the restarts of the plain extension may spend together."""
SEARCH_WORK = 20_000_000
"""Vertex updates the clique search may spend (steps x vertices)."""
MAX_STEPS = 20_000
"""Clique search steps at most."""
PATIENCE = 1_000
"""Steps the clique search goes on without finding a larger clique."""
SWAPS_WEIGHED = 16
"""Swaps drawn per step, of which the one leaving most vertices addable is made."""
REST = 7
"""Steps a vertex swapped out of the clique waits at least before it may come back."""
RESTART = 0.02
"""Chance that a step restarts instead of swapping: leaves a plateau the swaps cycle on."""


def lower_bound(analysis: Analysis, rng: random.Random) -> tuple[int, np.ndarray]:
    """(bound, seed pairs): a bound on any sample's size and mutually exclusive pairs proving it
    (indices into `analysis.free`, shape (k, 2))."""
    none = np.zeros((0, 2), dtype=np.int64)
    if analysis.t == 1:
        variables = [abs(x) for x in analysis.free]
        return (2 if len(set(variables)) < len(variables) else 1), none
    seeds = exclusive_pairs(analysis, rng)
    return max(1, len(seeds)), seeds


def exclusive_pairs(analysis: Analysis, rng: random.Random) -> np.ndarray:
    """Valid pairs (indices into `analysis.free`) that pairwise cannot share a configuration."""
    n = len(analysis.free)
    valid = analysis.pair_valid
    conflict = ~(valid | np.eye(n, dtype=bool))
    # For t = 3, only pairs some valid triple holds: a sample need not hold the others.
    needed = valid if analysis.t == 2 else analysis.valid.any(axis=2)
    candidates = np.argwhere(np.triu(needed, 1))
    if not len(candidates):
        return np.zeros((0, 2), dtype=np.int64)
    # Most exclusive first: an upper bound on the literals a pair excludes.
    exclusive = conflict.sum(axis=1)
    weight = exclusive[candidates].sum(axis=1)
    order = np.argsort(-weight, kind="stable")[:MAX_CANDIDATES]
    candidates, weight = candidates[order], weight[order]
    start = alternative_pairs(candidates, weight, valid, needed, rng)  # type: ignore[arg-type]
    # The search's vertices: the start's pairs, then the most exclusive others.
    known = {tuple(p) for p in start.tolist()}
    others = [i for i, p in enumerate(candidates.tolist()) if tuple(p) not in known]
    vertices = np.concatenate([start, candidates[others[: MAX_VERTICES - len(start)]]])
    excluded = conflict[vertices[:, 0]] | conflict[vertices[:, 1]]
    adjacent = excluded[:, vertices[:, 0]] | excluded[:, vertices[:, 1]]
    generator = np.random.default_rng(rng.randrange(2**32))
    # From the start, and from nothing: the start's basin is sometimes a local optimum.
    clique = max(
        (max_clique(adjacent, generator, first) for first in (np.arange(len(start)), [])),  # type: ignore[arg-type, var-annotated]
        key=len,
    )
    return vertices[np.sort(clique)]


def alternative_pairs(
    candidates: np.ndarray,
    weight: np.ndarray,
    valid: np.ndarray,
    needed: np.ndarray,
    rng: random.Random,
) -> np.ndarray:
    """Mutually exclusive pairs built from alternatives: for a set A of mutually exclusive
    literals (a CPU choice) and, for each a in A, a set B_a of mutually exclusive literals that
    fit with a (a buffer size valid for that CPU), the pairs {(a, b) : a in A, b in B_a}
    exclude one another; from greedy cliques of the literal conflict graph, extended pair by
    pair. `candidates` are the `needed` pairs, most exclusive first, `weight` how exclusive."""
    n = len(valid)
    ok = valid | np.eye(n, dtype=bool)
    conflict = ~ok
    weight = weight.astype(np.float64)
    cliques = literal_cliques(conflict, rng)
    best = np.zeros((0, 2), dtype=np.int64)
    for first in sorted(cliques, key=len, reverse=True)[:8]:
        pairs = []
        for a in first.tolist():
            partners = max(
                (c[valid[a, c]] for c in cliques),
                key=len,
                default=np.zeros(0, dtype=np.int64),
            )
            own = greedy_clique(conflict, valid[a])
            if len(own) > len(partners):
                partners = own
            pairs += [(min(a, b), max(a, b)) for b in partners.tolist() if needed[a, b]]
        grown = _extend(np.asarray(pairs, dtype=np.int64).reshape(-1, 2), candidates, ok)
        if len(grown) > len(best):
            best = grown
    # Without alternatives to build on, a few orders of the most exclusive pairs first.
    shuffler = np.random.default_rng(rng.randrange(2**32))
    tries = max(1, min(RESTARTS, WORK // (len(candidates) * max(len(best), 8))))
    for attempt in range(tries):
        noise = shuffler.random(len(candidates)) * attempt * (weight.std() + 1.0)
        shuffled = candidates[np.argsort(-(weight + noise), kind="stable")]
        plain = _extend(np.zeros((0, 2), dtype=np.int64), shuffled, ok)
        if len(plain) > len(best):
            best = plain
    return best


def literal_cliques(conflict: np.ndarray, rng: random.Random) -> list[np.ndarray]:
    """Distinct greedy cliques of mutually exclusive literals, from the most exclusive literals
    and from random ones."""
    n = len(conflict)
    degree = conflict.sum(axis=1)
    # Most exclusive literals first; a literal already in a clique starts none of its own.
    starts = sorted(range(n), key=lambda x: (-int(degree[x]), rng.random()))
    covered = np.zeros(n, dtype=bool)
    seen: dict[tuple[int, ...], np.ndarray] = {}
    for s in starts:
        if covered[s]:
            continue
        members = np.concatenate(([s], greedy_clique(conflict, conflict[s])))
        members.sort()
        covered[members] = True
        seen.setdefault(tuple(members.tolist()), members)
        if len(seen) >= STARTS:
            break
    return list(seen.values())


def greedy_clique(conflict: np.ndarray, allowed: np.ndarray) -> np.ndarray:
    """Mutually exclusive literals among `allowed`, each time the one excluding most others."""
    members = []
    cand = allowed.copy()
    while cand.any():
        idx = np.flatnonzero(cand)
        x = int(idx[np.argmax(conflict[np.ix_(idx, idx)].sum(axis=1))])
        members.append(x)
        cand &= conflict[x]
    return np.asarray(members, dtype=np.int64)


def _extend(chosen: np.ndarray, candidates: np.ndarray, ok: np.ndarray) -> np.ndarray:
    """`chosen` (mutually exclusive pairs) plus candidates that exclude all of them, greedily."""
    alive = np.ones(len(candidates), dtype=bool)
    if len(chosen):
        rows, inverse = np.unique(chosen, return_inverse=True)
        a, b = inverse.reshape(-1, 2).T
        near = ok[rows]
        for lo in range(0, len(candidates), CHUNK):
            c, d = candidates[lo : lo + CHUNK, 0], candidates[lo : lo + CHUNK, 1]
            fits = near[:, c] & near[:, d]
            alive[lo : lo + CHUNK] = ~(fits[a] & fits[b]).any(axis=0)
    out = [tuple(p) for p in chosen.tolist()]
    c, d = candidates[:, 0], candidates[:, 1]
    while True:
        idx = np.flatnonzero(alive)
        if not len(idx):
            break
        x, y = candidates[idx[0]].tolist()
        out.append((x, y))
        alive[idx] &= ~(ok[x, c[idx]] & ok[x, d[idx]] & ok[y, c[idx]] & ok[y, d[idx]])
    return np.asarray(out, dtype=np.int64).reshape(-1, 2)


def max_clique(adjacent: np.ndarray, rng: np.random.Generator, start: np.ndarray) -> np.ndarray:
    """A large clique of the graph (symmetric boolean matrix, no loops), by local search from
    the clique `start` (vertex indices)."""
    m = len(adjacent)
    if not m:
        return np.zeros(0, dtype=np.int64)
    apart = ~adjacent
    np.fill_diagonal(apart, False)
    inside = np.zeros(m, dtype=bool)
    inside[start] = True
    missing = apart[:, inside].sum(axis=1)
    """Per vertex, the clique members it is not adjacent to."""
    resting = np.zeros(m, dtype=np.int64)
    best = np.flatnonzero(inside)
    found = 0
    for step in range(min(MAX_STEPS, max(100, SEARCH_WORK // m))):
        if step - found > PATIENCE:
            break
        addable = np.flatnonzero(~inside & (missing == 0))
        if len(addable):
            # The vertex that keeps most others addable, ties at random.
            kept = adjacent[np.ix_(addable, addable)].sum(axis=1)
            top = addable[kept == kept.max()]
            v = int(top[rng.integers(len(top))])
            inside[v] = True
            missing += apart[v]
            if inside.sum() > len(best):
                best, found = np.flatnonzero(inside), step
            continue
        swappable = np.flatnonzero(~inside & (missing == 1) & (resting <= step))
        if len(swappable) and rng.random() >= RESTART:
            # Of a few swaps drawn at random, the one that leaves most vertices addable.
            if len(swappable) > SWAPS_WEIGHED:
                swappable = rng.choice(swappable, SWAPS_WEIGHED, replace=False)
            members = np.flatnonzero(inside)
            out = members[np.argmax(apart[np.ix_(swappable, members)], axis=1)]
            free = ~inside & ((missing == 0) | (missing == 1))
            gain = (adjacent[swappable] & free & ((missing == 0) | apart[out])).sum(axis=1)
            top = np.flatnonzero(gain == gain.max())
            pick = int(top[rng.integers(len(top))])
            v, u = int(swappable[pick]), int(out[pick])
            inside[u] = False
            missing -= apart[u]
            resting[u] = step + REST + int(rng.integers(REST + 1))
            inside[v] = True
            missing += apart[v]
            continue
        v = int(rng.integers(m))
        inside &= adjacent[v]
        inside[v] = True
        missing = apart[:, inside].sum(axis=1)
    return best
