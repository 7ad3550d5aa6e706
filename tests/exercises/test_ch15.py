"""The chapter 15 checkers accept right answers and explain wrong ones in words."""

import pytest
import torch

from gattut.exercises import ExerciseError, ch15
from gattut.graph.partition import halo


def _sample(edge_index, num_nodes, targets, fanout, generator, *, first=False, replace=False,
            flip=False, extra=0, global_rng=False):
    j, i = edge_index.flip(0) if flip else edge_index
    is_target = torch.zeros(num_nodes, dtype=torch.bool)
    is_target[targets] = True
    j, i = j[is_target[i]], i[is_target[i]]  # (E_t,) edges into the targets
    if fanout < 0:
        return torch.stack([j, i])
    if replace:  # fanout draws per target, with replacement
        deg = torch.bincount(i, minlength=num_nodes)
        starts = torch.cumsum(deg, 0) - deg
        order = torch.argsort(i, stable=True)
        t = targets[deg[targets] > 0].repeat_interleave(fanout)
        pick = starts[t] + (torch.rand(len(t), generator=generator) * deg[t]).long()
        return torch.stack([j[order][pick], t])
    key = torch.zeros(len(i)) if first else (
        torch.rand(len(i)) if global_rng else torch.rand(len(i), generator=generator))
    order = torch.argsort(key, stable=True)
    order = order[torch.argsort(i[order], stable=True)]  # by target, random within a target
    i_sorted = i[order]
    counts = torch.bincount(i_sorted, minlength=num_nodes)
    rank = torch.arange(len(i_sorted)) - (torch.cumsum(counts, 0) - counts)[i_sorted]
    keep = rank < fanout + extra
    return torch.stack([j[order][keep], i_sorted[keep]])


def test_sampler_checker_accepts_a_right_sampler():
    assert "passed" in ch15.check_sample_neighbours(_sample)


@pytest.mark.parametrize(
    "options, words",
    [
        ({"first": True}, "not uniform"),
        ({"replace": True}, "twice"),
        ({"flip": True}, "wrong way"),
        ({"extra": 1}, "should get"),
        ({"global_rng": True}, "same seed"),
    ],
)
def test_sampler_checker_explains_mistakes(options, words):
    def wrong(*args):
        return _sample(*args, **options)

    with pytest.raises(ExerciseError, match=words):
        ch15.check_sample_neighbours(wrong)


@pytest.mark.parametrize(
    "wrong, words",
    [
        (lambda e, n, t, f, g: _sample(e, n, t, f, g).float(), "integers"),
        (lambda e, n, t, f, g: _sample(e, n, t, f, g).t(), r"\(2, E_s\)"),
        (lambda e, n, t, f, g: torch.stack([(e[0] + 1) % n, e[1]]), "not in the graph"),
        (lambda e, n, t, f, g: e, "not a target"),
        (lambda e, n, t, f, g: 1 / 0, "ZeroDivisionError"),
    ],
)
def test_sampler_checker_names_bad_output(wrong, words):
    with pytest.raises(ExerciseError, match=words):
        ch15.check_sample_neighbours(wrong)


def _bfs_halo(edge_index, num_nodes, nodes, num_hops, *, exactly=False, keep_part=False):
    reached, frontier = set(nodes.tolist()), set(nodes.tolist())
    rings = []
    for _ in range(num_hops):
        frontier = {int(j) for j, i in edge_index.t() if int(i) in frontier} - reached
        reached |= frontier
        rings.append(frontier)
    out = (rings[-1] if rings else set()) if exactly else reached - (set() if keep_part else set(nodes.tolist()))
    return torch.tensor(sorted(out), dtype=torch.long)


def test_halo_checker_accepts_a_right_halo():
    assert "passed" in ch15.check_halo(_bfs_halo)
    assert "passed" in ch15.check_halo(halo)


@pytest.mark.parametrize(
    "wrong, words",
    [
        (lambda e, n, v, h: _bfs_halo(e.flip(0), n, v, h), "wrong way"),
        (lambda e, n, v, h: _bfs_halo(e, n, v, h, keep_part=True), "part itself"),
        (lambda e, n, v, h: _bfs_halo(e, n, v, h, exactly=True), "exactly"),
        (lambda e, n, v, h: _bfs_halo(e, n, v, h + 1), "hop halo"),
        (lambda e, n, v, h: _bfs_halo(e, n, v, h).flip(0), "wrong order"),
        (lambda e, n, v, h: torch.cat([_bfs_halo(e, n, v, h)] * 2), "twice"),
        (lambda e, n, v, h: _bfs_halo(e, n, v, h).float(), "integers"),
        (lambda e, n, v, h: _bfs_halo(e, n, v, h)[None], "1-D"),
        (lambda e, n, v, h: _bfs_halo(e, n, v, h)[1 if h > 1 else 0 :], "missing"),
    ],
)
def test_halo_checker_explains_mistakes(wrong, words):
    with pytest.raises(ExerciseError, match=words):
        ch15.check_halo(wrong)
