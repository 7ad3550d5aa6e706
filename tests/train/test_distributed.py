"""Data-parallel training on torch.distributed (gattut.train.distributed).

The process tests start real processes (gloo on 127.0.0.1, one thread each)
on a tiny graph, twice: two torchrun agents as two nodes, then two processes
from run_processes that run every other check (starting processes costs
seconds each, so the checks share them).
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pytest
import torch
from torch.nn.parallel import DistributedDataParallel as DDP

from gattut.__main__ import main
from gattut.data.synthetic import contextual_sbm
from gattut.graph.models import GAT
from gattut.graph.partition import halo, hop_distance
from gattut.graph.sampling import NeighborSampler
from gattut.train.checkpoint import CheckpointMismatchError
from gattut.train.distributed import (
    DistContext,
    _holdings,
    _train_worker,
    choose_backend,
    fit_distributed,
    free_port,
    init_distributed,
    launched_by_torchrun,
    rank_seed,
    run_processes,
    split_by_parts,
    split_nodes,
    train_on_processes,
)
from gattut.train.loop import TrainConfig, make_optimizer
from gattut.utils import set_seed

ROOT = Path(__file__).resolve().parents[2]


# ----------------------------------------------------------------- no processes
def test_auto_backend_is_gloo_on_cpu_and_nccl_needs_gpus():
    assert choose_backend("auto", "cpu") == "gloo"
    assert choose_backend("gloo", "cpu") == "gloo"
    if not torch.cuda.is_available():
        assert choose_backend("auto", "auto") == "gloo"
        with pytest.raises(ValueError, match="backend nccl needs CUDA GPUs, but torch sees no CUDA GPU"):
            choose_backend("nccl")
    with pytest.raises(ValueError, match="unknown backend 'mpi'"):
        choose_backend("mpi")


def test_torchrun_is_detected_from_its_environment():
    assert launched_by_torchrun({"RANK": "0", "WORLD_SIZE": "2", "LOCAL_RANK": "0"})
    assert not launched_by_torchrun({"LOCAL_RANK": "0"})


@pytest.mark.parametrize("env, match", [
    ({"WORLD_SIZE": "2"}, "RANK is not set; start the processes with torchrun"),
    ({"RANK": "2", "WORLD_SIZE": "2"}, r"RANK=2 must be in \[0, WORLD_SIZE=2\)"),
    ({"RANK": "x", "WORLD_SIZE": "2"}, "RANK='x' is not an integer"),
])
def test_init_distributed_names_a_bad_environment(env, match):
    with pytest.raises(ValueError, match=match):
        init_distributed("gloo", "cpu", environ=env)


def test_split_nodes_gives_equal_disjoint_shares_that_cover_every_node():
    nodes = torch.arange(10, 33)  # 23 nodes over 4 ranks: shares of 6, one node of 3 trained twice
    shares = [split_nodes(nodes, 4, r, seed=3) for r in range(4)]
    assert [s.shape[0] for s in shares] == [6, 6, 6, 6]
    assert all(s.unique().numel() == 6 for s in shares)  # no node twice in one share
    assert set(torch.cat(shares).tolist()) == set(nodes.tolist())
    assert torch.equal(shares[2], split_nodes(nodes, 4, 2, seed=3))  # every rank agrees
    mask = torch.zeros(40, dtype=torch.bool)
    mask[nodes] = True
    assert torch.equal(split_nodes(mask, 4, 1, seed=3), shares[1])  # a mask works too


def test_split_by_parts_keeps_each_share_inside_its_part():
    membership = torch.tensor([1, 1, 0, 0, 2, 2, 1, 0, 2, 0, 1, 2])  # 3 parts of 4 nodes
    shares = [split_by_parts(torch.arange(12), membership, 3, r) for r in range(3)]
    assert [sorted(membership[s].tolist()) for s in shares] == [[0] * 4, [1] * 4, [2] * 4]
    assert sorted(torch.cat(shares).tolist()) == list(range(12))


@pytest.mark.parametrize("call, match", [
    (lambda: split_nodes(torch.arange(3), 4, 0), "world size 4 is larger than the training set "
                                                 r"\(3 nodes\)"),
    (lambda: split_nodes(torch.arange(3), 2, 2), r"rank must be an int in \[0, 2\), got 2"),
    (lambda: split_nodes(torch.arange(3), 0, 0), "world_size must be an int >= 1, got 0"),
    (lambda: split_nodes(torch.rand(3), 2, 0), "nodes must be a 1-D tensor of node ids"),
    (lambda: split_by_parts(torch.arange(5), torch.zeros(3, dtype=torch.long), 2, 0),
     "node id 4 has no part"),
])
def test_split_errors_are_named(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_rank_seeds_differ_across_ranks_and_seeds():
    seeds = {rank_seed(s, r) for s in range(3) for r in range(3)}
    assert len(seeds) == 9 and rank_seed(0, 1) == rank_seed(0, 1)


def test_free_port_can_be_bound():
    import socket

    port = free_port()
    with socket.socket() as s:
        s.bind(("127.0.0.1", port))


# ----------------------------------------------------------------- DDP = one process
GLOBAL_BATCH, STEPS = 24, 3
CLI = ["train", "--dataset", "csbm", "--model", "gat", "--fanouts", "4,4", "--batch-size", "8",
       "--device", "cpu", "--no-progress"]


def _graph():
    return contextual_sbm(num_nodes=90, num_classes=3, p_in=0.1, p_out=0.01, num_features=6,
                          seed=2, train_per_class=10)


def _model() -> GAT:
    torch.manual_seed(0)
    return GAT(6, 3, hidden=4, heads=2, dropout=0.0)  # dropout off: the runs must agree exactly


def _batches(fanouts, world_size):
    """Per step, per rank: the rank's half of a fixed global batch and its sampled blocks."""
    g = _graph()
    sampler = NeighborSampler(g.edge_index, g.num_nodes, fanouts)
    order = torch.randperm(g.num_nodes, generator=torch.Generator().manual_seed(1))
    out = []
    for step in range(STEPS):
        batch = order[step * GLOBAL_BATCH:(step + 1) * GLOBAL_BATCH]  # the global batch
        halves = batch.chunk(world_size)
        out.append([sampler.sample(h, torch.Generator().manual_seed(100 * step + r))
                    for r, h in enumerate(halves)])
    return g, out


def _loss(model, g, blocks):
    logits = model(g.x[blocks[0].src], blocks)  # (B, C)
    return torch.nn.functional.cross_entropy(logits, g.y[blocks[-1].dst])


def _ddp_steps(rank: int, world_size: int, fanouts: list[int]) -> dict[str, torch.Tensor]:
    """One rank: its half of each global batch, through DDP, ``STEPS`` Adam steps."""
    g, steps = _batches(fanouts, world_size)
    model = DDP(_model())
    optimizer = make_optimizer(model.module, TrainConfig())
    for per_rank in steps:
        optimizer.zero_grad()
        _loss(model, g, per_rank[rank]).backward()  # DDP averages the gradients here
        optimizer.step()
    return {k: v.detach().clone() for k, v in model.module.state_dict().items()}


def _one_process(fanouts: list[int], world_size: int, whole: bool) -> dict[str, torch.Tensor]:
    """The same steps in one process: the mean of the ranks' losses, or the whole batch at once."""
    g, steps = _batches(fanouts, world_size)
    model = _model()
    optimizer = make_optimizer(model, TrainConfig())
    for per_rank in steps:
        optimizer.zero_grad()
        if whole:  # with every neighbour the halves' blocks are one batch's: sample it whole
            targets = torch.cat([blocks[-1].dst for blocks in per_rank])
            blocks = NeighborSampler(g.edge_index, g.num_nodes, fanouts).sample(targets)
            loss = _loss(model, g, blocks)
        else:
            loss = sum(_loss(model, g, blocks) for blocks in per_rank) / world_size
        loss.backward()
        optimizer.step()
    return model.state_dict()


def _fit(max_epochs: int, split: str = "random", **kw):
    """fit_distributed on the tiny graph with the paper's GAT (dropout on): result and weights."""
    set_seed(0)
    model = GAT(6, 3, hidden=4, heads=2, dropout=0.6)
    config = TrainConfig(device="cpu", progress=False, max_epochs=max_epochs, **kw)
    result = fit_distributed(model, _graph(), config, fanouts=[3, 3], batch_size=4, split=split)
    return result, {k: v.clone() for k, v in model.state_dict().items()}


def _fit_recording_inference(max_epochs: int, split: str):
    """_fit, recording the rows each layer of each evaluation computed (its targets_per_layer)."""
    import gattut.graph.inference as inference

    original, calls = inference.layerwise_inference, []

    def recording(*args, **kw):
        targets = kw.get("targets_per_layer")
        calls.append(None if targets is None else [t.clone() for t in targets])
        return original(*args, **kw)

    inference.layerwise_inference = recording  # fit_distributed imports it when called
    try:
        return _fit(max_epochs, split=split), calls
    finally:
        inference.layerwise_inference = original


def _all(rank: int, world_size: int, folder: str, torchrun_dir: str):
    """Everything the tests below check, in one pair of processes (starting one costs seconds).

    Last, the command line resumes the run the two torchrun agents started
    (``torchrun_dir``), as ``torchrun -m gattut train ... --resume`` would.
    """
    context = init_distributed("gloo", "cpu")  # already in the group: the context only
    ddp = _ddp_steps(rank, world_size, [-1, -1]), _ddp_steps(rank, world_size, [3, 2])
    file = f"{folder}/run.pt"
    whole = _fit(4)
    _fit(2, checkpoint=file, checkpoint_every=1)
    resumed = _fit(4, checkpoint=file, checkpoint_every=1, resume=True)
    try:  # the same checkpoint with another split is another run: every rank refuses it
        _fit(6, split="metis", checkpoint=file, resume=True)
        other_split = None
    except CheckpointMismatchError as exc:
        other_split = str(exc)
    metis, evaluated = _fit_recording_inference(2, split="metis")
    # What train_on_processes runs in each process (here in processes started already).
    paper = _train_worker(rank, world_size, "gcn", "csbm", None, 0, [3, 3], 8, "random",
                          {"max_epochs": 2})
    part, share, scored = _holdings(_graph(), 0, context, "metis", 2)
    held = {"n_id": part.n_id, "share": part.to_global(share), "scored": part.n_id[scored],
            "halo_ok": torch.equal(part.halo, halo(_graph().edge_index, 90, part.nodes, 2)),
            "local": {s: (getattr(_graph(), f"{s}_mask")[part.n_id] & scored).nonzero().flatten()
                      for s in ("val", "test")},
            "edge_index": part.edge_index, "num_local": part.num_nodes, "evaluated": evaluated}
    files = sorted(p.name for p in Path(folder).iterdir())
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):  # main() leaves the group when it ends
        code = main([*CLI, "--epochs", "4", "--checkpoint", f"{torchrun_dir}/run.pt", "--resume",
                     "--json", f"{torchrun_dir}/resumed.json"])
    return {"context": context, "ddp": ddp, "whole": whole, "resumed": resumed, "metis": metis,
            "paper": paper, "held": held, "other_split": other_split, "files": files,
            "cli": (code, out.getvalue(), err.getvalue())}


@pytest.fixture(scope="module")
def two_ranks(tmp_path_factory, two_nodes):
    """Two gloo processes from run_processes: DDP steps on halves of fixed batches, fit_distributed
    runs, and the command line resuming the two torchrun agents' run."""
    folder = tmp_path_factory.mktemp("ranks")
    out = run_processes(_all, 2, (str(folder), str(two_nodes["dir"])))
    return [{**r, "ddp": r["ddp"][0], "ddp_sampled": r["ddp"][1]} for r in out]


def test_two_processes_with_half_a_batch_each_equal_one_process_on_the_whole_batch(two_ranks):
    whole = _one_process([-1, -1], 2, whole=True)
    start = _model().state_dict()
    for state in (two_ranks[0]["ddp"], two_ranks[1]["ddp"]):
        for name, value in whole.items():
            torch.testing.assert_close(state[name], value, rtol=1e-6, atol=1e-6)
            assert not torch.equal(value, start[name])  # three steps moved every tensor
    for name in whole:
        assert torch.equal(two_ranks[0]["ddp"][name], two_ranks[1]["ddp"][name])  # across ranks


def test_ddp_averages_the_ranks_gradients_on_sampled_blocks(two_ranks):
    mean_of_ranks = _one_process([3, 2], 2, whole=False)
    for name, value in mean_of_ranks.items():
        torch.testing.assert_close(two_ranks[0]["ddp_sampled"][name], value, rtol=1e-6, atol=1e-6)
        assert torch.equal(two_ranks[0]["ddp_sampled"][name], two_ranks[1]["ddp_sampled"][name])


def test_each_spawned_rank_knows_its_place(two_ranks):
    contexts = [r["context"] for r in two_ranks]
    assert all(isinstance(c, DistContext) for c in contexts)
    assert [(c.rank, c.world_size, c.backend, str(c.device), c.is_main) for c in contexts] == [
        (0, 2, "gloo", "cpu", True), (1, 2, "gloo", "cpu", False)]


def test_fit_distributed_keeps_the_ranks_identical_and_resumes_exactly(two_ranks):
    for key in ("whole", "resumed", "metis"):
        (r0, s0), (r1, s1) = two_ranks[0][key], two_ranks[1][key]
        assert all(torch.equal(s0[k], s1[k]) for k in s0), key  # one model on every rank
        same = {k: v for k, v in r0.to_dict().items() if k != "time_per_epoch"}
        assert same == {k: v for k, v in r1.to_dict().items() if k != "time_per_epoch"}
    for rank in (0, 1):
        (whole, w), (resumed, r) = two_ranks[rank]["whole"], two_ranks[rank]["resumed"]
        assert all(torch.equal(w[k], r[k]) for k in w) and resumed.epochs_run == 4
        assert resumed.history == whole.history
    assert two_ranks[0]["files"] == ["run.pt"]  # rank 0's checkpoint, nothing else
    for rank in (0, 1):  # resumed with another split: refused by name, old and new value
        assert "split='random' (now 'metis')" in two_ranks[rank]["other_split"]


@pytest.mark.parametrize("key", ["whole", "metis"])
def test_each_rank_scoring_its_part_gives_the_whole_graphs_numbers(two_ranks, key):
    result, weights = two_ranks[0][key]
    model = GAT(6, 3, hidden=4, heads=2, dropout=0.6)
    model.load_state_dict(weights)
    g = _graph()
    with torch.no_grad():
        logits = model.eval()(g.x, g.edge_index)  # (N, C): the whole graph in one process
    test = g.test_mask
    loss = torch.nn.functional.cross_entropy(logits[test], g.y[test])
    assert result.test_loss == pytest.approx(float(loss), rel=1e-6, abs=1e-6)
    assert result.test_metric == pytest.approx(float((logits[test].argmax(1) == g.y[test]).float().mean()))


def test_each_rank_holds_its_part_its_share_and_their_halo(two_ranks):
    held = [r["held"] for r in two_ranks]
    scored = torch.cat([h["scored"] for h in held])
    assert sorted(scored.tolist()) == list(range(90))  # every node scored by one rank
    shares = [h["share"] for h in held]
    assert shares[0].shape == shares[1].shape  # equal shares: the ranks step together
    assert sorted(torch.cat(shares).tolist()) == _graph().train_mask.nonzero().flatten().tolist()
    for h in held:
        assert h["halo_ok"] and set(h["share"].tolist()) <= set(h["n_id"].tolist())


def test_the_paper_model_trained_by_each_rank_of_train_on_processes(two_ranks):
    (r0, w0), (r1, w1) = two_ranks[0]["paper"], two_ranks[1]["paper"]
    assert r0["epochs_run"] == 2 and r0["test_metric"] == r1["test_metric"]
    assert w0.keys() == w1.keys() and all(torch.equal(w0[k], w1[k]) for k in w0)


@pytest.mark.parametrize("kw, match", [
    ({"model": "gin"}, "unknown model 'gin'"),
    ({"fanouts": [3, 0]}, "fanouts must be >= 1 or -1"),
    ({"batch_size": 0}, "batch_size must be an int >= 1"),
    ({"world_size": 0}, "world_size must be an int >= 1, got 0"),
])
def test_train_on_processes_refuses_bad_settings_before_starting_any(kw, match):
    args = {"model": "gcn", "dataset": "csbm", "world_size": 2, "fanouts": [3, 3],
            "batch_size": 8, **kw}
    with pytest.raises(ValueError, match=match):
        train_on_processes(**args)


@pytest.mark.parametrize("kw, match", [
    ({"context": DistContext(0, 31, 0, "gloo", torch.device("cpu"))},
     r"world size 31 is larger than the training set \(30 nodes\)"),
    ({"split": "halves"}, "split must be 'random' or 'metis', got 'halves'"),
    ({"fanouts": [3]}, "fanouts needs one value per layer: the model has 2 layers"),
    ({"batch_size": 0}, "batch_size must be an int >= 1"),
    ({"config": TrainConfig(compile=True)}, "compile is not supported"),
])
def test_fit_distributed_refuses_bad_settings_before_any_collective(kw, match):
    args = {"fanouts": [3, 3], "batch_size": 4, "config": TrainConfig(device="cpu"), **kw}
    with pytest.raises(ValueError, match=match):
        fit_distributed(_model(), _graph(), **args)


def test_fit_distributed_needs_a_process_group():
    with pytest.raises(ValueError, match="no process group: start the processes with torchrun"):
        _fit(1)


# ----------------------------------------------------------------- torchrun
_SCRIPT = '''
import sys
import torch
sys.path.insert(0, {tests!r})
from train.test_distributed import _ddp_steps
from gattut.__main__ import main
from gattut.train.distributed import init_distributed

ctx = init_distributed("gloo", "cpu")
torch.save(_ddp_steps(ctx.rank, ctx.world_size, [-1, -1]), {out!r} + f"/rank{{ctx.rank}}.pt")
sys.exit(main(sys.argv[1:]))  # the command line joins the same group
'''


def _torchrun(*args, cwd):
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(ROOT)}
    return subprocess.Popen([sys.executable, "-m", "torch.distributed.run", *args], cwd=cwd, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


@pytest.fixture(scope="module")
def two_nodes(tmp_path_factory):
    """Two torchrun agents as two nodes (c10d rendezvous on 127.0.0.1), one process each: DDP steps
    on halves of fixed batches, then the command line trains 2 epochs and writes a checkpoint."""
    folder = tmp_path_factory.mktemp("nodes")
    script = folder / "two_nodes.py"
    script.write_text(_SCRIPT.format(tests=str(ROOT / "tests"), out=str(folder)))
    port = free_port()
    agents = [_torchrun("--nnodes", "2", "--nproc-per-node", "1", "--node-rank", str(node),
                        "--rdzv-backend", "c10d", "--rdzv-endpoint", f"127.0.0.1:{port}",
                        "--rdzv-id", "gattut-test", str(script), *CLI, "--epochs", "2",
                        "--checkpoint", "run.pt", "--json", "two.json", cwd=folder)
              for node in (0, 1)]
    outs = [a.communicate(timeout=240) for a in agents]
    assert [a.returncode for a in agents] == [0, 0], [err[-3000:] for _, err in outs]
    return {"dir": folder, "outs": outs}


def test_two_torchrun_agents_as_two_nodes_agree_with_one_process(two_nodes):
    folder = two_nodes["dir"]
    # Both ranks took the steps one process takes on the whole batches.
    whole = _one_process([-1, -1], 2, whole=True)
    for rank in (0, 1):
        state = torch.load(folder / f"rank{rank}.pt")
        for name, value in whole.items():
            torch.testing.assert_close(state[name], value, rtol=1e-6, atol=1e-6)
    # The command line ran on both; rank 0 alone printed and wrote the checkpoint.
    summaries = [out.count("csbm gat: test accuracy") for out, _ in two_nodes["outs"]]
    assert sorted(summaries) == [0, 1]
    assert json.loads((folder / "two.json").read_text())["runs"][0]["epochs_run"] == 2


def test_the_command_line_in_a_process_group_resumes_the_two_node_run(two_nodes, two_ranks):
    """``main`` in the group of run_processes (what ``torchrun -m gattut`` runs) continues the
    run the two torchrun agents checkpointed; rank 0 alone prints."""
    (code0, out0, err0), (code1, out1, _) = two_ranks[0]["cli"], two_ranks[1]["cli"]
    assert (code0, code1) == (0, 0), err0[-3000:]
    assert (out0 + out1).count("csbm gat: test accuracy") == 1 and "test accuracy" in out0
    resumed = json.loads((two_nodes["dir"] / "resumed.json").read_text())
    assert resumed["runs"][0]["epochs_run"] == 4


def test_the_command_line_refuses_to_resume_with_another_world_size(two_nodes, two_ranks,
                                                                     monkeypatch, capsys):
    """One process (a torchrun of one: RANK and WORLD_SIZE set) resuming the two-process run:
    one line, exit 2, naming the world size it was written with and the one now."""
    monkeypatch.setenv("RANK", "0")
    monkeypatch.setenv("WORLD_SIZE", "1")
    monkeypatch.setenv("LOCAL_RANK", "0")
    monkeypatch.setenv("MASTER_ADDR", "127.0.0.1")
    monkeypatch.setenv("MASTER_PORT", str(free_port()))
    file = two_nodes["dir"] / "run.pt"
    before = file.read_bytes()
    assert main([*CLI, "--epochs", "6", "--checkpoint", str(file), "--resume"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "world_size=2 (now 1)" in err, err
    assert file.read_bytes() == before and not torch.distributed.is_initialized()


def test_each_rank_evaluates_at_layer_k_only_the_nodes_within_L_minus_1_minus_k_hops(two_ranks):
    for r in two_ranks:
        held = r["held"]
        assert held["evaluated"], "fit_distributed did not evaluate through layerwise_inference"
        expected = {}
        for split, nodes in held["local"].items():  # the split's nodes this rank scores
            hops = hop_distance(held["edge_index"], held["num_local"], nodes, 1)  # (N_r,)
            expected[split] = [torch.nonzero(hops >= 0).flatten().tolist(),  # layer 0: them + 1 hop
                               nodes.tolist()]  # layer 1: them alone
            assert len(expected[split][0]) < held["num_local"]  # not the part and its whole halo
        seen = []
        for targets in held["evaluated"]:
            assert targets is not None, "the evaluation computed every local node at every layer"
            got = [t.tolist() for t in targets]
            assert got in expected.values()
            seen.append("val" if got == expected["val"] else "test")
        assert seen[0] == "val" and seen[-1] == "test"  # each epoch validates; the end tests
