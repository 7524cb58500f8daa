"""A lower bound on any t-wise sample's size: valid pairs no two of which fit together.

Two pairs that cannot share a configuration (a literal of one excludes a literal of the other)
need two configurations, so a set of mutually exclusive pairs bounds the sample size (the bound
SampLNS proves optima with), and each of its pairs can seed a configuration of its own in the
greedy. Finding the largest such set is a maximum clique problem on the graph whose vertices are
the valid pairs and whose edges join exclusive ones. Two steps keep it small and fast:

- Only undominated pairs are vertices. A pair excludes exactly the pairs that hold a literal one
  of its two literals excludes; when that literal set is contained in another pair's, the other
  excludes everything it does, and can take its place in a clique.
- A clique local search (add a vertex adjacent to the whole clique; else swap one in for the
  single member it is not adjacent to, which then rests a few steps; else restart from a random
  vertex and the part of the clique around it), for a counted number of steps, so that a run is
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
"""Undominated pairs the clique search works on at most (bounds its L x L table)."""
DOMINANCE_WORK = 400_000_000
"""Word comparisons the dominance test may spend (pairs x kept pairs x words per literal set)."""
CHUNK = 256
"""Literal sets tested for dominance at a time (bounds the temporary tables)."""
SEARCH_WORK = 20_000_000
"""Vertex updates the clique search may spend (steps x vertices)."""
MAX_STEPS = 20_000
"""Clique search steps at most."""
PATIENCE = 4_000
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
    conflict = ~(analysis.pair_valid | np.eye(n, dtype=bool))
    # For t = 3, only pairs some valid triple holds: a sample need not hold the others.
    needed = analysis.pair_valid if analysis.t == 2 else analysis.valid.any(axis=2)
    candidates = np.argwhere(np.triu(needed, 1))
    if not len(candidates):
        return np.zeros((0, 2), dtype=np.int64)
    # Most exclusive first: an upper bound on the literals a pair excludes.
    exclusive = conflict.sum(axis=1)
    weight = exclusive[candidates].sum(axis=1)
    candidates = candidates[np.argsort(-weight, kind="stable")[:MAX_CANDIDATES]]
    vertices = undominated(candidates, conflict)
    excluded = conflict[vertices[:, 0]] | conflict[vertices[:, 1]]
    adjacent = excluded[:, vertices[:, 0]] | excluded[:, vertices[:, 1]]
    clique = max_clique(adjacent, np.random.default_rng(rng.randrange(2**32)))
    return vertices[np.sort(clique)]


def undominated(candidates: np.ndarray, conflict: np.ndarray) -> np.ndarray:
    """The candidate pairs whose excluded literals no other candidate's strictly contain, those
    excluding most first, at most MAX_VERTICES (fewer when the dominance work runs out)."""
    words = _packed(conflict)
    sets = words[candidates[:, 0]] | words[candidates[:, 1]]
    distinct, first, inverse = np.unique(sets, axis=0, return_index=True, return_inverse=True)
    inverse = inverse.reshape(-1)
    sizes = _popcount(distinct)
    order = np.lexsort((first, -sizes))
    kept: list[int] = []
    work = 0
    for lo in range(0, len(order), CHUNK):
        chunk = order[lo : lo + CHUNK]
        inside = distinct[chunk]
        # A set is dominated by a larger kept one, or by a larger one of its own chunk (sets of
        # equal size are distinct, so neither contains the other).
        pool = np.concatenate([np.asarray(kept, dtype=np.int64), chunk])
        outside = ~distinct[pool]
        contained = sizes[pool][None, :] > sizes[chunk][:, None]
        for word in range(distinct.shape[1]):
            contained &= (inside[:, word, None] & outside[None, :, word]) == 0
        keep = chunk[~contained.any(axis=1)]
        kept += keep.tolist()[: MAX_VERTICES - len(kept)]
        work += len(chunk) * len(pool) * distinct.shape[1]
        if len(kept) >= MAX_VERTICES or work > DOMINANCE_WORK:
            break
    # Every pair of a kept class is a vertex: pairs with the same excluded literals may still
    # exclude one another.
    rank = np.full(len(distinct), len(distinct), dtype=np.int64)
    rank[np.asarray(kept, dtype=np.int64)] = np.arange(len(kept))
    members = np.flatnonzero(rank[inverse] < len(kept))
    members = members[np.argsort(rank[inverse[members]], kind="stable")][:MAX_VERTICES]
    return candidates[members]


def max_clique(adjacent: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A large clique of the graph (symmetric boolean matrix, no loops), by local search."""
    m = len(adjacent)
    if not m:
        return np.zeros(0, dtype=np.int64)
    apart = ~adjacent
    np.fill_diagonal(apart, False)
    inside = np.zeros(m, dtype=bool)
    missing = np.zeros(m, dtype=np.int64)
    """Per vertex, the clique members it is not adjacent to."""
    resting = np.zeros(m, dtype=np.int64)
    best = np.zeros(0, dtype=np.int64)
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


def _packed(rows: np.ndarray) -> np.ndarray:
    """Boolean rows as 64-bit words (padded), for fast set operations."""
    packed = np.packbits(rows, axis=1)
    pad = -packed.shape[1] % 8
    if pad:
        packed = np.pad(packed, ((0, 0), (0, pad)))
    return np.ascontiguousarray(packed).view(np.uint64)


def _popcount(words: np.ndarray) -> np.ndarray:
    return np.unpackbits(words.view(np.uint8), axis=1).sum(axis=1).astype(np.int64)
