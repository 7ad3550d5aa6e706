"""The graph container: node features, edges, labels and split masks in one checked object.

A :class:`Graph` holds

=============  ==============================  ==============================================
field          shape / dtype                   meaning
=============  ==============================  ==============================================
``x``          (N, F) float, dense or sparse   node features (sparse COO/CSR is allowed:
                                               citation features are >98% zeros)
``edge_index`` (2, E) long                     ``edge_index[0]`` = source ``j``,
                                               ``edge_index[1]`` = target ``i`` (``j -> i``)
``y``          (N,) long or (N, C) float       class per node, or a 0/1 multi-label matrix
``*_mask``     (N,) bool                       train / validation / test nodes
``graph_id``   (N,) long                       which graph of a batch each node belongs to
=============  ==============================  ==============================================

Every field is checked when the object is built (``__post_init__`` calls
:meth:`Graph.validate`), so a wrong shape or an out-of-range node id fails
here with a message naming the field, not later inside a scatter kernel.

Edges are directed. An undirected graph stores each edge twice, once per
direction, as PyTorch Geometric does.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import Any

import torch
from torch import Tensor

__all__ = ["Graph", "batch_graphs"]

_MASKS = ("train_mask", "val_mask", "test_mask")


def _is_sparse(x: Tensor) -> bool:
    return x.layout in (torch.sparse_coo, torch.sparse_csr)


def _stored_values(x: Tensor) -> Tensor:
    """Return the stored entries of a sparse tensor (or the tensor itself if dense)."""
    if x.layout == torch.sparse_coo:
        return x._values()  # the uncoalesced values are still every stored entry
    if x.layout == torch.sparse_csr:
        return x.values()
    return x


@dataclass
class Graph:
    """One graph (or a disjoint union of graphs) with features, labels and masks.

    Args:
        x: node features, ``(N, F)`` floating point; dense, sparse COO or sparse CSR.
        edge_index: ``(2, E)`` integer tensor; row 0 holds sources ``j``, row 1 targets ``i``.
            Any integer dtype is accepted and stored as ``torch.long``.
        y: labels, ``(N,)`` integer classes in ``[0, C)`` or ``(N, C)`` float 0/1 multi-labels.
        train_mask, val_mask, test_mask: ``(N,)`` bool, ``True`` = node belongs to the split.
        num_nodes: ``N``; inferred from ``x`` when left out, and must agree with it when given.
        graph_id: ``(N,)`` long, the graph each node came from in a batch (see :func:`batch_graphs`).
        name: a label for printing (``"cora"``).

    Shapes:
        x: (N, F); edge_index: (2, E); y: (N,) or (N, C); masks and graph_id: (N,).

    Raises:
        ValueError: naming the field and the shape, dtype or value seen and expected.
    """

    x: Tensor
    edge_index: Tensor
    y: Tensor | None = None
    train_mask: Tensor | None = None
    val_mask: Tensor | None = None
    test_mask: Tensor | None = None
    num_nodes: int | None = None
    graph_id: Tensor | None = None
    name: str | None = None

    def __post_init__(self) -> None:
        if isinstance(self.x, Tensor) and self.x.dim() >= 1 and self.num_nodes is None:
            self.num_nodes = int(self.x.shape[0])
        if (
            isinstance(self.edge_index, Tensor)
            and not self.edge_index.is_floating_point()
            and not self.edge_index.is_complex()
            and self.edge_index.dtype not in (torch.bool, torch.long)
        ):
            # int32 (from NumPy on some platforms) is fine to read; store one dtype.
            self.edge_index = self.edge_index.long()
        self.validate()

    # ------------------------------------------------------------------ checks
    def validate(self) -> Graph:
        """Check every field; return ``self`` so calls chain.

        Raises:
            ValueError: for a wrong shape or dtype of any field, node ids that
                are negative or ``>= num_nodes``, a row count of ``x`` that
                disagrees with ``num_nodes``, NaN or infinite features, labels
                out of range, or masks that are not ``(N,)`` bool.
        """
        x, ei = self.x, self.edge_index
        if not isinstance(x, Tensor) or x.dim() != 2:
            shape = tuple(x.shape) if isinstance(x, Tensor) else type(x).__name__
            raise ValueError(f"Graph.x must be a 2-D (N, F) tensor, got {shape}")
        if not x.is_floating_point():
            raise ValueError(f"Graph.x must be floating point (N, F), got dtype {x.dtype}")
        N = self.num_nodes
        if not isinstance(N, int) or isinstance(N, bool) or N < 0:
            raise ValueError(f"Graph.num_nodes must be a non-negative int, got {N!r}")
        if x.shape[0] != N:
            raise ValueError(
                f"Graph.x has {x.shape[0]} rows but num_nodes is {N}: x must be (num_nodes, F)"
            )
        values = _stored_values(x)
        if values.numel() and not bool(torch.isfinite(values).all()):
            bad = int((~torch.isfinite(values)).sum())
            raise ValueError(f"Graph.x has {bad} NaN or infinite feature values")

        if not isinstance(ei, Tensor) or ei.dim() != 2 or ei.shape[0] != 2:
            shape = tuple(ei.shape) if isinstance(ei, Tensor) else type(ei).__name__
            raise ValueError(f"Graph.edge_index must have shape (2, E), got {shape}")
        if ei.dtype != torch.long:
            raise ValueError(f"Graph.edge_index must be an integer tensor, got dtype {ei.dtype}")
        if ei.numel():
            lo, hi = int(ei.min()), int(ei.max())
            if lo < 0:
                raise ValueError(f"Graph.edge_index has negative node id {lo}")
            if hi >= N:
                raise ValueError(
                    f"Graph.edge_index has node id {hi} but num_nodes is {N} (ids must be < {N})"
                )

        if self.y is not None:
            self._validate_labels(self.y, N)
        for name in _MASKS:
            mask = getattr(self, name)
            if mask is None:
                continue
            if not isinstance(mask, Tensor) or mask.dtype != torch.bool or tuple(mask.shape) != (N,):
                got = (tuple(mask.shape), mask.dtype) if isinstance(mask, Tensor) else type(mask)
                hint = ("; a 0/1 integer mask would index nodes 0 and 1, use mask.bool()"
                        if isinstance(mask, Tensor) and not mask.is_floating_point() else "")
                raise ValueError(f"Graph.{name} must be a ({N},) bool tensor, got {got}{hint}")
        if self.graph_id is not None:
            gid = self.graph_id
            if not isinstance(gid, Tensor) or gid.dtype != torch.long or tuple(gid.shape) != (N,):
                got = (tuple(gid.shape), gid.dtype) if isinstance(gid, Tensor) else type(gid)
                raise ValueError(f"Graph.graph_id must be a ({N},) long tensor, got {got}")
            if gid.numel() and int(gid.min()) < 0:
                raise ValueError(f"Graph.graph_id has negative id {int(gid.min())}")
        return self

    @staticmethod
    def _validate_labels(y: Tensor, N: int) -> None:
        if not isinstance(y, Tensor) or y.dim() not in (1, 2) or y.shape[0] != N:
            shape = tuple(y.shape) if isinstance(y, Tensor) else type(y).__name__
            raise ValueError(f"Graph.y must be ({N},) classes or ({N}, C) multi-labels, got {shape}")
        if y.dim() == 1:
            if y.is_floating_point() or y.dtype == torch.bool:
                raise ValueError(f"Graph.y of shape ({N},) must hold integer classes, got {y.dtype}")
            if y.numel() and int(y.min()) < 0:
                raise ValueError(f"Graph.y has label {int(y.min())}: classes must be in [0, C)")
        else:
            if not y.is_floating_point():
                raise ValueError(f"Graph.y of shape {tuple(y.shape)} must be float 0/1, got {y.dtype}")
            if y.numel() and not bool(((y == 0) | (y == 1)).all()):
                raise ValueError("Graph.y multi-labels must be 0 or 1; found other values")

    # -------------------------------------------------------------- properties
    @property
    def num_edges(self) -> int:
        """``E``, the number of (directed) edges."""
        return int(self.edge_index.shape[1])

    @property
    def num_features(self) -> int:
        """``F``, the width of ``x``."""
        return int(self.x.shape[1])

    @property
    def num_classes(self) -> int:
        """``C``: ``max(y) + 1`` for class labels, ``y.shape[1]`` for multi-labels."""
        if self.y is None:
            raise ValueError("Graph.num_classes needs labels, but y is None")
        if self.y.dim() == 2:
            return int(self.y.shape[1])
        return int(self.y.max()) + 1 if self.y.numel() else 0

    @property
    def batch(self) -> Tensor:
        """PyG's name for ``graph_id``; all zeros for a single graph."""
        if self.graph_id is None:
            return torch.zeros(self.num_nodes, dtype=torch.long, device=self.edge_index.device)
        return self.graph_id

    @property
    def num_graphs(self) -> int:
        """How many graphs this batch holds (1 for a single graph)."""
        if self.graph_id is None or self.graph_id.numel() == 0:
            return 1
        return int(self.graph_id.max()) + 1

    @property
    def is_sparse(self) -> bool:
        """Whether ``x`` is stored as a sparse (COO or CSR) tensor."""
        return _is_sparse(self.x)

    def to(self, device: str | torch.device) -> Graph:
        """Return a copy with every tensor moved to ``device`` (no re-validation needed)."""
        moved = {
            f.name: (getattr(self, f.name).to(device) if isinstance(getattr(self, f.name), Tensor)
                     else getattr(self, f.name))
            for f in fields(self)
        }
        out = object.__new__(Graph)
        out.__dict__.update(moved)
        return out

    def to_dense(self) -> Graph:
        """Return a copy whose ``x`` is a dense tensor."""
        if not self.is_sparse:
            return self
        return replace(self, x=self.x.to_dense())

    def __repr__(self) -> str:
        parts = [f"num_nodes={self.num_nodes}", f"num_edges={self.num_edges}",
                 f"num_features={self.num_features}"]
        if self.y is not None:
            parts.append(f"num_classes={self.num_classes}")
        for name in _MASKS:
            mask = getattr(self, name)
            if mask is not None:
                parts.append(f"{name}={int(mask.sum())}")
        if self.graph_id is not None:
            parts.append(f"num_graphs={self.num_graphs}")
        if self.is_sparse:
            parts.append("x=sparse")
        label = f"{self.name!r}, " if self.name else ""
        return f"Graph({label}{', '.join(parts)})"

    # ------------------------------------------------------------- conversions
    def to_pyg(self) -> Any:
        """Return a ``torch_geometric.data.Data`` with the same tensors (``graph_id`` -> ``batch``)."""
        Data = _import_pyg().data.Data
        kwargs: dict[str, Any] = {"x": self.x, "edge_index": self.edge_index,
                                  "num_nodes": self.num_nodes}
        if self.y is not None:
            kwargs["y"] = self.y
        for name in _MASKS:
            if getattr(self, name) is not None:
                kwargs[name] = getattr(self, name)
        if self.graph_id is not None:
            kwargs["batch"] = self.graph_id
        return Data(**kwargs)

    @classmethod
    def from_pyg(cls, data: Any, name: str | None = None) -> Graph:
        """Build a :class:`Graph` from a ``torch_geometric.data.Data`` (``batch`` -> ``graph_id``)."""
        get = getattr(data, "get", None)

        def field(key: str) -> Any:
            return get(key, None) if get is not None else getattr(data, key, None)

        x = field("x")
        if x is None:
            raise ValueError("from_pyg: data.x is missing; a Graph needs node features")
        return cls(
            x=x, edge_index=field("edge_index"), y=field("y"),
            train_mask=field("train_mask"), val_mask=field("val_mask"),
            test_mask=field("test_mask"), num_nodes=int(x.shape[0]),
            graph_id=field("batch"), name=name,
        )

    def to_networkx(self) -> Any:
        """Return a ``networkx.DiGraph``; node ``n`` carries ``x`` (a list) and ``y`` when present.

        A ``DiGraph`` keeps one copy of each directed edge, so duplicate edges
        collapse; an undirected graph appears as both directions.
        """
        import networkx as nx

        G = nx.DiGraph()
        x = self.x.to_dense() if self.is_sparse else self.x
        for n in range(self.num_nodes):
            attrs: dict[str, Any] = {"x": x[n].tolist()}
            if self.y is not None:
                attrs["y"] = self.y[n].tolist()
            G.add_node(n, **attrs)
        G.add_edges_from(self.edge_index.t().tolist())
        return G

    @classmethod
    def from_networkx(cls, G: Any, x: Tensor | None = None, y: Tensor | None = None,
                      feature_key: str = "x", label_key: str = "y",
                      name: str | None = None) -> Graph:
        """Build a :class:`Graph` from a networkx graph.

        Nodes are numbered in ``G.nodes`` order. An undirected graph gives both
        directions of every edge. Features come from ``x``, else from the node
        attribute ``feature_key``, else a single constant feature ``1.0``;
        labels from ``y``, else ``label_key`` when every node has it.
        """
        nodes = list(G.nodes)
        index = {node: k for k, node in enumerate(nodes)}
        pairs = [(index[u], index[v]) for u, v in G.edges()]
        if not G.is_directed():
            pairs += [(v, u) for u, v in pairs if u != v]
        edge_index = (torch.tensor(pairs, dtype=torch.long).t() if pairs
                      else torch.zeros(2, 0, dtype=torch.long))
        data = G.nodes
        if x is None:
            if nodes and all(feature_key in data[n] for n in nodes):
                x = torch.tensor([list(data[n][feature_key]) for n in nodes],
                                 dtype=torch.get_default_dtype())
            else:
                x = torch.ones(len(nodes), 1)
        if y is None and nodes and all(label_key in data[n] for n in nodes):
            y = torch.tensor([data[n][label_key] for n in nodes])
            if y.is_floating_point() and y.dim() == 1:
                y = y.long()
        return cls(x=x, edge_index=edge_index, y=y, name=name)


def _import_pyg() -> Any:
    try:
        import torch_geometric
        import torch_geometric.data  # noqa: F401  (Data lives in the submodule)
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(
            "This needs PyTorch Geometric: pip install torch-geometric "
            "(gattut itself runs without it)"
        ) from exc
    return torch_geometric


def batch_graphs(graphs: list[Graph]) -> Graph:
    """Join graphs into one disjoint union, as for PPI-style inductive training.

    Node ids of graph ``g`` are shifted by the node count of the graphs before
    it, so no edge crosses between graphs; ``graph_id`` records which graph
    each node came from. Labels and masks are concatenated when every graph
    has them, and dropped otherwise.

    Shapes:
        graphs[g].x: (N_g, F) -> x: (sum N_g, F); edge_index: (2, sum E_g); graph_id: (sum N_g,).
    """
    if not graphs:
        raise ValueError("batch_graphs needs at least one graph, got an empty list")
    widths = {g.num_features for g in graphs}
    if len(widths) != 1:
        raise ValueError(f"batch_graphs: graphs have different feature widths {sorted(widths)}")
    offsets, total = [], 0
    for g in graphs:
        offsets.append(total)
        total += g.num_nodes
    sparse = any(g.is_sparse for g in graphs)
    # A mix of dense and sparse parts is joined as sparse COO, the layout torch.cat supports.
    xs = [g.x.to_sparse_coo() if sparse and g.x.layout != torch.sparse_coo else g.x
          for g in graphs]
    x = torch.cat(xs, dim=0)  # (sum N_g, F)
    edge_index = torch.cat([g.edge_index + off for g, off in zip(graphs, offsets)], dim=1)

    def joined(attr: str) -> Tensor | None:
        parts = [getattr(g, attr) for g in graphs]
        return torch.cat(parts, dim=0) if all(p is not None for p in parts) else None

    graph_id = torch.cat([
        torch.full((g.num_nodes,), k, dtype=torch.long, device=g.edge_index.device)
        for k, g in enumerate(graphs)
    ])
    return Graph(
        x=x, edge_index=edge_index, y=joined("y"), train_mask=joined("train_mask"),
        val_mask=joined("val_mask"), test_mask=joined("test_mask"), num_nodes=total,
        graph_id=graph_id, name=None,
    )
