"""Node features stored sparse: dropout on the stored values, and the product with a weight matrix.

Bag-of-words features of citation graphs are over 98% zeros (Cora: 2708 x
1433 with about 18 words a paper). Storing them as a sparse CSR matrix makes
the first layer's product ``x W^T`` and the input dropout cost
``O(nnz)`` instead of ``O(N F)``.

Why dropout on the stored values is the same as dense dropout. Dense dropout
multiplies every entry by ``m_nf / (1 - p)`` with independent
``m_nf ~ Bernoulli(1 - p)``. An entry that is zero stays zero whatever
``m_nf`` is, so the result depends only on the masks of the nonzero entries,
and those are independent Bernoulli draws with the same ``p``: exactly what
dropping the stored values draws. Same masks on the nonzeros give the same
matrix (tested), hence the same distribution of every later output.
"""

from __future__ import annotations

import warnings

import torch
import torch.nn.functional as F
from torch import Tensor

__all__ = ["check_features", "feature_dropout", "is_sparse", "linear"]


def is_sparse(x: Tensor) -> bool:
    """Whether ``x`` is a sparse COO or CSR tensor."""
    return x.layout in (torch.sparse_coo, torch.sparse_csr)


def _with_values(x: Tensor, values: Tensor) -> Tensor:
    """A sparse tensor with the structure of ``x`` and new stored values."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # CSR support calls itself "beta"
        if x.layout == torch.sparse_csr:
            return torch.sparse_csr_tensor(x.crow_indices(), x.col_indices(), values, x.shape,
                                           check_invariants=False)
        x = x.coalesce()
        return torch.sparse_coo_tensor(x.indices(), values, x.shape, is_coalesced=True)


def feature_dropout(x: Tensor, p: float, training: bool = True) -> Tensor:
    """Inverted dropout that works on dense and on sparse (COO/CSR) features.

    For sparse ``x``, each stored value is kept with probability ``1 - p`` and
    scaled by ``1 / (1 - p)``; the zeros are left alone, which is what dense
    dropout does to them too (see the module docstring).

    Shapes:
        x: (N, F) -> (N, F), same layout as x.
    """
    if not is_sparse(x):
        return F.dropout(x, p, training)
    if not training or p == 0.0:
        return x
    values = x.values() if x.layout == torch.sparse_csr else x.coalesce().values()
    return _with_values(x, F.dropout(values, p, training))


def linear(x: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """``x W^T + b`` for dense or sparse ``x`` (what ``nn.Linear`` does, for both layouts).

    Shapes:
        x: (N, F); weight: (K, F); bias: (K,) -> (N, K), dense.
    """
    if not is_sparse(x):
        return F.linear(x, weight, bias)
    out = torch.sparse.mm(x, weight.t())  # (N, F) @ (F, K) -> (N, K)
    return out if bias is None else out + bias


def check_features(x: Tensor, in_features: int | None, where: str) -> None:
    """Raise ``ValueError`` unless ``x`` is a finite ``(N, in_features)`` floating-point matrix.

    Shapes:
        x: (N, F), dense or sparse.
    """
    if not isinstance(x, Tensor) or x.dim() != 2:
        shape = tuple(x.shape) if isinstance(x, Tensor) else type(x).__name__
        raise ValueError(f"{where}: x must be (N, F) node features, got shape {shape}")
    if not x.is_floating_point():
        raise ValueError(f"{where}: x must be floating point, got dtype {x.dtype}")
    if in_features is not None and x.shape[1] != in_features:
        raise ValueError(
            f"{where}: x has {x.shape[1]} features per node but the layer expects {in_features}"
        )
    values = x if not is_sparse(x) else (x.values() if x.layout == torch.sparse_csr
                                          else x._values())
    if values.numel() and not bool(torch.isfinite(values).all()):
        raise ValueError(f"{where}: x has NaN or infinite feature values")
