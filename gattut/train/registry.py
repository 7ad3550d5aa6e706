"""Which model, which data and which settings: the names the command line and the ledger use.

=========  ===================================================================
dataset    what
=========  ===================================================================
cora       Planetoid Cora, 2,708 papers, 7 classes (transductive)
citeseer   Planetoid CiteSeer, 3,327 papers, 6 classes (transductive)
pubmed     Planetoid PubMed, 19,717 papers, 3 classes (transductive)
ppi        protein-protein interaction, 24 graphs, 121 labels (inductive)
csbm       a synthetic contextual SBM (no files needed; for smoke tests)
=========  ===================================================================

=========  ===================================================================
model      what
=========  ===================================================================
gat        the paper's GAT (PPI: the paper's three-layer residual GAT)
gatv2      the same two layers with GATv2's dynamic attention
gcn        Kipf & Welling's two-layer GCN
mlp        a two-layer perceptron that ignores the edges
=========  ===================================================================

Settings follow the papers: GAT and GATv2 use 8 heads of 8 features,
dropout 0.6, Adam lr 0.005 and L2 5e-4 (PubMed: 8 output heads, lr 0.01, L2
1e-3); GCN and the MLP use Kipf & Welling's lr 0.01, L2 5e-4, dropout 0.5,
16 (GCN) or 64 (MLP) hidden units. Every model is trained with the GAT
paper's early stopping (patience 100), so the comparison differs only in
the model.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from torch import nn

from gattut.data.graph import Graph
from gattut.graph.models import GAT, GCN, MLP, PPIGAT, GATv2
from gattut.train.loop import TrainConfig

__all__ = [
    "DATASETS",
    "INDUCTIVE",
    "LEDGER_DATASETS",
    "MODELS",
    "GATv2",
    "build_model",
    "check_name",
    "check_pair",
    "load_dataset",
    "paper_config",
]

# The one table of names; the command line, the ledger and the functions below check against it.
DATASETS = ("cora", "citeseer", "pubmed", "ppi", "csbm")
MODELS = ("gat", "gatv2", "gcn", "mlp")
INDUCTIVE = ("ppi",)  # several graphs, trained with fit_inductive
LEDGER_DATASETS = ("cora", "citeseer", "pubmed", "ppi")  # the papers' data (csbm is a smoke test)


def check_name(kind: str, name: str) -> str:
    """``name`` lowercased if it is a known ``kind`` ("dataset" or "model"); else ValueError listing them."""
    known = DATASETS if kind == "dataset" else MODELS
    key = str(name).strip().lower()
    if key not in known:
        raise ValueError(f"unknown {kind} {name!r}; choose one of: {', '.join(known)}")
    return key


def check_pair(model: str, dataset: str) -> tuple[str, str]:
    """Both names checked, and the pair one that is set up (PPI has the paper's GAT only)."""
    m, d = check_name("model", model), check_name("dataset", dataset)
    if d in INDUCTIVE and m != "gat":
        raise ValueError(f"model {model!r} is not set up for {d.upper()}; only 'gat' (the paper's PPI "
                         "model) is")
    return m, d


def load_dataset(name: str) -> Graph | tuple[list[Graph], list[Graph], list[Graph]]:
    """Load a dataset by name: one :class:`Graph`, or ``(train, val, test)`` graph lists for PPI.

    Planetoid features come back sparse (CSR), which the models take as is.

    Raises:
        ValueError: an unknown name.
        DataNotFoundError: the files are missing (the message says how to get them).
    """
    key = check_name("dataset", name)
    if key == "ppi":
        from gattut.data.ppi import load_ppi

        return load_ppi("train"), load_ppi("valid"), load_ppi("test")
    if key == "csbm":
        from gattut.data.synthetic import contextual_sbm

        return contextual_sbm(num_nodes=300, num_classes=3, p_in=0.05, p_out=0.005,
                              num_features=16, feature_noise=2.0, seed=0, train_per_class=10)
    from gattut.data.planetoid import load_planetoid

    return load_planetoid(key, sparse=True)


def build_model(model: str, dataset: str, in_features: int, num_classes: int,
                **overrides: Any) -> nn.Module:
    """The model ``model`` with the paper's settings for ``dataset``.

    ``overrides`` replace constructor arguments (``hidden=16``, ``dropout=0.5``).
    Seed (``gattut.set_seed``) before calling to fix the initial weights.
    """
    m, d = check_pair(model, dataset)
    if d == "ppi":
        return PPIGAT(in_features, num_classes, **overrides)
    if m in ("gat", "gatv2"):
        kwargs = {"hidden": 8, "heads": 8, "out_heads": 8 if d == "pubmed" else 1, "dropout": 0.6}
        if m == "gat":
            # The original code's model: one input mask per head, W h dropped before the sum,
            # a bias in each head's score, per-head Glorot bounds (see GAT's ``original``).
            kwargs["original"] = True
        kwargs.update(overrides)
        return (GAT if m == "gat" else GATv2)(in_features, num_classes, **kwargs)
    if m == "gcn":
        return GCN(in_features, num_classes, **{"hidden": 16, "dropout": 0.5, **overrides})
    return MLP(in_features, num_classes, **{"hidden": 64, "dropout": 0.5, **overrides})


def paper_config(model: str, dataset: str, **overrides: Any) -> TrainConfig:
    """The :class:`TrainConfig` the papers used for ``model`` on ``dataset``; ``overrides`` win."""
    m, d = check_pair(model, dataset)
    config = TrainConfig()  # GAT on Cora/CiteSeer: lr 0.005, L2 5e-4, patience 100
    if m in ("gat", "gatv2") and d == "pubmed":
        config = replace(config, lr=0.01, weight_decay=1e-3)
    elif m in ("gat", "gatv2") and d == "ppi":
        config = replace(config, lr=0.005, weight_decay=0.0, batch_size=2)
    elif m in ("gcn", "mlp"):
        config = replace(config, lr=0.01, weight_decay=5e-4)
    if m == "gat":
        # The original code's L2 term reaches the biases too (see make_optimizer).
        config = replace(config, decay_bias=True)
    return replace(config, **overrides)
