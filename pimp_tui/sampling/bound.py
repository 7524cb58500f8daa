"""A lower bound on any t-wise sample's size: valid pairs no two of which fit together.

Two pairs that cannot share a configuration (a literal of one excludes a literal of the other)
need two configurations, so a set of mutually exclusive pairs bounds the sample size, and each of
its pairs can seed a configuration of its own in the greedy. Real models owe most of their
exclusive pairs to alternatives: for a set A of mutually exclusive literals (a CPU choice) and,
for each a in A, a set B_a of mutually exclusive literals that fit with a (a buffer-size choice
valid for that CPU), the pairs {(a, b) : a in A, b in B_a} exclude one another. Such a set is
built from greedy cliques of the literal conflict graph, then extended pair by pair.

Pairs cover 3-wise samples too, so the pair bound holds for t = 3.
"""

from __future__ import annotations

import random

import numpy as np

from pimp_tui.sampling.interactions import Analysis

MAX_CANDIDATES = 100_000
"""Pairs the extension step considers (the most exclusive ones) on large models."""
STARTS = 400
"""Literal cliques grown at most."""
CHUNK = 8192
"""Candidate pairs checked against the chosen ones at a time (bounds the temporary tables)."""
RESTARTS = 8
"""Orders of the plain extension tried at most."""
WORK = 50_000_000
"""Candidate pairs x bound size the restarts of the plain extension may spend together."""


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
    ok = valid | np.eye(n, dtype=bool)
    conflict = ~ok
    candidates = np.argwhere(np.triu(valid, 1))
    if not len(candidates):
        return np.zeros((0, 2), dtype=np.int64)
    exclusive = conflict.sum(axis=1)
    weight = exclusive[candidates].sum(axis=1)
    order = np.argsort(-weight, kind="stable")[:MAX_CANDIDATES]
    candidates, weight = candidates[order], weight[order].astype(np.float64)

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
            pairs += [(min(a, b), max(a, b)) for b in partners.tolist()]
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
