"""Checkers for chapter 15, GAT at scale: a uniform neighbour sampler and a part's halo."""

from __future__ import annotations

from collections.abc import Callable

import torch
from scipy.stats import chi2

from gattut.exercises._check import ExerciseError, call, passed
from gattut.graph.partition import halo as reference_halo

__all__ = ["check_halo", "check_sample_neighbours"]

# The uniformity test: R stars, each a centre with LEAVES leaves pointing into it.
_STARS, _LEAVES, _FANOUT = 600, 10, 3
_P_VALUE = 1e-4  # a right sampler fails it once in 10,000 seeds


def _edges(result, label: str) -> torch.Tensor:
    """The reader's ``(2, E)`` integer edges, or a sentence saying what they are instead."""
    if not isinstance(result, torch.Tensor) or result.dim() != 2 or result.shape[0] != 2:
        shape = tuple(result.shape) if isinstance(result, torch.Tensor) else type(result).__name__
        raise ExerciseError(f"{label} should be an edge_index of shape (2, E_s), got {shape}")
    if result.is_floating_point() or result.dtype == torch.bool:
        raise ExerciseError(f"{label} has dtype {result.dtype}; node ids must be integers (long)")
    return result.long()


def _small_graph() -> tuple[torch.Tensor, int]:
    """A directed graph with in-degrees 0 to 6, so fanouts cut some nodes and not others."""
    gen = torch.Generator().manual_seed(15)
    N = 12
    sources, targets = [], []
    for i in range(N):
        degree = i % 7  # node i has i mod 7 incoming edges, from distinct other nodes
        others = torch.tensor([j for j in range(N) if j != i])
        picked = others[torch.randperm(N - 1, generator=gen)[:degree]]
        sources.append(picked)
        targets.append(torch.full_like(picked, i))
    return torch.stack([torch.cat(sources), torch.cat(targets)]), N


def _check_one(fn: Callable, edge_index: torch.Tensor, N: int, targets: torch.Tensor,
               fanout: int) -> None:
    label = f"your sample_neighbours (fanout={fanout})"
    sampled = _edges(call(fn, edge_index, N, targets, fanout, torch.Generator().manual_seed(0),
                          what=label), label)  # fmt: skip
    pairs = {(int(j), int(i)) for j, i in edge_index.t()}
    got = [(int(j), int(i)) for j, i in sampled.t()]
    wanted = {int(t) for t in targets}
    for j, i in got:
        if (j, i) not in pairs:
            if (i, j) in pairs:
                raise ExerciseError(
                    f"{label} returned the edge {j} -> {i}, which points the wrong way: the graph "
                    f"has {i} -> {j}. Sample the sources j of the edges j -> i into each target i "
                    "(edge_index[0] are sources, edge_index[1] targets)"
                )
            raise ExerciseError(f"{label} returned the edge {j} -> {i}, which is not in the graph")
        if i not in wanted:
            raise ExerciseError(f"{label} returned an edge into node {i}, which is not a target")
    if len(set(got)) != len(got):
        twice = next(e for e in got if got.count(e) > 1)
        raise ExerciseError(
            f"{label} drew the edge {twice[0]} -> {twice[1]} twice: sample without replacement, "
            "each neighbour at most once per target"
        )
    degree = torch.bincount(edge_index[1], minlength=N)
    count = torch.bincount(sampled[1], minlength=N) if sampled.numel() else torch.zeros(N, dtype=torch.long)
    for i in wanted:
        expected = int(degree[i]) if fanout < 0 else min(int(degree[i]), fanout)
        if int(count[i]) != expected:
            rule = "all of its neighbours (fanout -1)" if fanout < 0 else (
                f"min(in-degree, fanout) = min({int(degree[i])}, {fanout})")
            raise ExerciseError(
                f"{label} gave target {i} {int(count[i])} neighbours; it should get {expected}, {rule}"
            )


def check_sample_neighbours(fn: Callable) -> str:
    """Check ``fn(edge_index, num_nodes, targets, fanout, generator) -> (2, E_s)``.

    The answer must return, for each target ``i``, ``min(deg(i), fanout)`` of the
    edges ``j -> i`` (all of them when ``fanout == -1``), drawn uniformly without
    replacement with ``generator``. The checker compares edge sets (order does not
    matter), checks that one seed gives one answer, and runs a chi-square test of
    uniformity on {stars} stars of {leaves} leaves.
    """
    edge_index, N = _small_graph()
    targets = torch.tensor([0, 3, 5, 6, 9, 11])
    for fanout in (2, 4, -1):
        _check_one(fn, edge_index, N, targets, fanout)
    first, second = (_edges(call(fn, edge_index, N, targets, 2, torch.Generator().manual_seed(7),
                                 what="your sample_neighbours"), "your sample")
                     for _ in range(2))  # fmt: skip
    if first.shape != second.shape or not torch.equal(first, second):
        raise ExerciseError(
            "two generators with the same seed gave different samples: draw every random number "
            "from the generator argument (torch.rand(..., generator=generator))"
        )
    # Uniformity: star s has centre s and leaves S + s L + 0, ..., S + s L + L - 1, listed in
    # that order, so a sampler that keeps the first (or lowest) neighbours shows up.
    S, L = _STARS, _LEAVES
    leaves = S + torch.arange(S * L)  # (S*L,) leaf ids
    centre = torch.arange(S).repeat_interleave(L)  # (S*L,)
    stars = torch.stack([leaves, centre])  # (2, S*L)
    label = f"your sample_neighbours on {S} stars of {L} leaves"
    sampled = _edges(call(fn, stars, S + S * L, torch.arange(S), _FANOUT,
                          torch.Generator().manual_seed(3), what=label), label)  # fmt: skip
    if sampled.shape[1] != S * _FANOUT:
        raise ExerciseError(f"{label} returned {sampled.shape[1]} edges, expected {S * _FANOUT}")
    position = (sampled[0] - S) % L  # (S*F,): which of its star's leaves each draw is
    counts = torch.bincount(position, minlength=L).double()
    p = _FANOUT / L
    expected = S * p
    # Without replacement a leaf's count is Binomial(S, p): its variance is S p (1 - p).
    statistic = float(((counts - expected) ** 2).sum() / (S * p * (1 - p)))
    p_value = float(chi2.sf(statistic, L - 1))
    if p_value < _P_VALUE:
        raise ExerciseError(
            f"the sample is not uniform: over {S} stars with fanout {_FANOUT}, the {L} leaves "
            f"were drawn {counts.long().tolist()} times, expected about {expected:.0f} each "
            f"(chi-square p = {p_value:.1e}). Each neighbour must be equally likely"
        )
    return passed(f"each target gets min(deg, fanout) distinct neighbours, uniformly "
                  f"(chi-square p = {p_value:.2f}).")


check_sample_neighbours.__doc__ = check_sample_neighbours.__doc__.format(stars=_STARS, leaves=_LEAVES)


def _directed_path_graph() -> tuple[torch.Tensor, int]:
    """A graph where in- and out-neighbourhoods differ: a directed cycle with chords."""
    N = 14
    ring = torch.stack([torch.arange(N), (torch.arange(N) + 1) % N])  # i -> i+1
    chords = torch.tensor([[0, 5, 9, 12], [7, 2, 13, 4]])
    return torch.cat([ring, chords], dim=1), N


def check_halo(fn: Callable) -> str:
    """Check ``fn(edge_index, num_nodes, nodes, num_hops) -> (h,)``: the ``L``-hop halo of a part.

    The halo is every node outside ``nodes`` that reaches some node of
    ``nodes`` in at most ``num_hops`` hops along the edges ``j -> i``
    (messages flow from sources to targets), in ascending order.
    """
    edge_index, N = _directed_path_graph()
    for nodes, hops in [(torch.tensor([0, 1]), 1), (torch.tensor([0, 1]), 2),
                        (torch.tensor([3, 8, 9]), 3), (torch.tensor([4]), 0)]:  # fmt: skip
        label = f"your halo of nodes {nodes.tolist()} with num_hops={hops}"
        got = call(fn, edge_index, N, nodes, hops, what=label)
        if not isinstance(got, torch.Tensor) or got.dim() != 1:
            shape = tuple(got.shape) if isinstance(got, torch.Tensor) else type(got).__name__
            raise ExerciseError(f"{label} should be a 1-D tensor of node ids, got {shape}")
        if got.is_floating_point() or got.dtype == torch.bool:
            raise ExerciseError(f"{label} has dtype {got.dtype}; node ids must be integers (long)")
        ids = got.long().tolist()
        expected = reference_halo(edge_index, N, nodes, hops).tolist()
        if len(set(ids)) != len(ids):
            raise ExerciseError(f"{label} lists a node twice: {ids}")
        inside = sorted(set(ids) & set(nodes.tolist()))
        if inside:
            raise ExerciseError(f"{label} contains nodes of the part itself ({inside}); "
                                "the halo is what the part must borrow, so leave them out")
        if sorted(ids) == expected and ids != expected:
            raise ExerciseError(f"{label} has the right nodes in the wrong order: sort them, {expected}")
        if ids == expected:
            continue
        flipped = reference_halo(edge_index.flip(0), N, nodes, hops).tolist()
        if sorted(ids) == flipped:
            raise ExerciseError(
                f"{label} follows the edges the wrong way (it found the nodes the part reaches). "
                "Messages flow j -> i, so the halo is the nodes that reach the part: step from "
                "each target to the sources of its incoming edges"
            )
        if hops > 1:
            closer = set(reference_halo(edge_index, N, nodes, hops - 1).tolist())
            if set(ids) == set(expected) - closer:
                raise ExerciseError(f"{label} keeps only the nodes exactly {hops} hops away; keep "
                                    f"every node within {hops} hops")
        for wrong in (hops - 1, hops + 1):
            if wrong >= 0 and sorted(ids) == reference_halo(edge_index, N, nodes, wrong).tolist():
                raise ExerciseError(f"{label} is the {wrong}-hop halo; count the hops again "
                                    f"(one hop per layer, {hops} in all)")
        missing, extra = sorted(set(expected) - set(ids)), sorted(set(ids) - set(expected))
        raise ExerciseError(f"{label} is wrong: missing {missing}, should not contain {extra}")
    return passed("the halo is every node outside the part within L in-hops of it.")
