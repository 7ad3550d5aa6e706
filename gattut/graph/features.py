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

__all__ = ["check_features", "dropout", "feature_dropout", "grouped_linear", "is_sparse", "linear",
           "stacked_linear"]


def is_sparse(x: Tensor) -> bool:
    """Whether ``x`` is a sparse COO or CSR tensor."""
    return x.layout in (torch.sparse_coo, torch.sparse_csr)


def _with_values(x: Tensor, values: Tensor) -> Tensor:
    """A sparse tensor with the structure of ``x`` and new stored values."""
    if x.layout == torch.sparse_csr:
        return _csr(x.crow_indices(), x.col_indices(), values, tuple(x.shape))
    x = x.coalesce()
    return torch.sparse_coo_tensor(x.indices(), values, x.shape, is_coalesced=True)


def dropout(x: Tensor, p: float, training: bool = True) -> Tensor:
    """Inverted dropout, ``x * m / (1 - p)`` with ``m ~ Bernoulli(1 - p)`` per entry, like ``F.dropout``.

    The mask is drawn as ``uniform(0, 1) >= p``, which has the same
    distribution as ``F.dropout``'s Bernoulli draw and is several times faster
    on a CPU (PyTorch's CPU ``bernoulli_`` draws one number at a time).

    Shapes:
        x: any -> same as x.
    """
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability must be in [0, 1], got {p}")
    if not training or p == 0.0:
        return x
    if p == 1.0:
        return x * 0.0
    keep = (torch.rand_like(x) >= p).to(x.dtype).mul_(1.0 / (1.0 - p))  # 0 or 1/(1-p)
    return x * keep


def feature_dropout(x: Tensor, p: float, training: bool = True) -> Tensor:
    """Inverted dropout that works on dense and on sparse (COO/CSR) features.

    For sparse ``x``, each stored value is kept with probability ``1 - p`` and
    scaled by ``1 / (1 - p)``; the zeros are left alone, which is what dense
    dropout does to them too (see the module docstring).

    Shapes:
        x: (N, F) -> (N, F), same layout as x.
    """
    if not is_sparse(x):
        return dropout(x, p, training)
    if not training or p == 0.0:
        return x
    values = x.values() if x.layout == torch.sparse_csr else x.coalesce().values()
    return _with_values(x, dropout(values, p, training))


class _StructureCache:
    """What ``build(crow, col, *extra)`` derives from the last CSR index arrays seen (one entry).

    Input dropout gives a new CSR tensor at every step, but with the same
    index arrays (only the values change), so a structure derived from them
    (the transpose's, the block-diagonal copies') is built once. The cache
    holds references to the index arrays, so their memory cannot be reused
    by another tensor while it is cached.
    """

    def __init__(self, build) -> None:
        self._build, self._key, self._refs, self._value = build, None, None, None

    def get(self, crow: Tensor, col: Tensor, *extra):
        key = (crow.data_ptr(), col.data_ptr(), crow.numel(), col.numel(), crow.device, *extra)
        if key != self._key:
            self._value = self._build(crow, col, *extra)
            self._key, self._refs = key, (crow, col)
        return self._value


def _transpose_structure(crow: Tensor, col: Tensor, num_cols: int) -> tuple[Tensor, Tensor, Tensor]:
    """``x^T``'s (crow, col) and the position of each of its entries among ``x``'s."""
    rows = torch.repeat_interleave(
        torch.arange(crow.numel() - 1, device=crow.device), crow.diff())  # (nnz,)
    t_perm = torch.sort(col, stable=True).indices  # (nnz,): entries sorted by column
    t_crow = torch.zeros(num_cols + 1, dtype=torch.long, device=crow.device)
    torch.cumsum(torch.bincount(col, minlength=num_cols), 0, out=t_crow[1:])
    return t_crow, rows.index_select(0, t_perm), t_perm


_transpose_cache = _StructureCache(_transpose_structure)


def _csr(crow: Tensor, col: Tensor, values: Tensor, shape: tuple[int, int]) -> Tensor:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # CSR support calls itself "beta"
        return torch.sparse_csr_tensor(crow, col, values, shape, check_invariants=False)


class _CSRLinear(torch.autograd.Function):
    """``x W^T`` for CSR ``x``, with the gradients written out.

    ``d W = (x^T g)^T`` is a product with the transposed matrix, whose
    structure is cached (see :class:`_TransposeCache`); ``d x`` on the stored
    entries is ``(g W)`` sampled at them, computed only if ``x`` needs it.
    """

    @staticmethod
    def forward(ctx, values: Tensor, weight: Tensor, crow: Tensor, col: Tensor,
                shape: tuple[int, int]) -> Tensor:
        ctx.save_for_backward(values, weight, crow, col)
        ctx.shape = shape
        return _csr(crow, col, values, shape) @ weight.t()  # (N, F) @ (F, K) -> (N, K)

    @staticmethod
    def backward(ctx, grad: Tensor):
        values, weight, crow, col = ctx.saved_tensors
        N, F_ = ctx.shape
        grad_values = grad_weight = None
        if ctx.needs_input_grad[0]:
            pattern = _csr(crow, col, torch.zeros_like(values), (N, F_))
            grad_values = torch.sparse.sampled_addmm(pattern, grad, weight, beta=0.0).values()
        if ctx.needs_input_grad[1]:
            t_crow, t_col, t_perm = _transpose_cache.get(crow, col, F_)
            x_t = _csr(t_crow, t_col, values.index_select(0, t_perm), (F_, N))
            grad_weight = (x_t @ grad).t()  # (F, N) @ (N, K) -> (F, K) -> (K, F)
        return grad_values, grad_weight, None, None, None


def linear(x: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """``x W^T + b`` for dense or sparse ``x`` (what ``nn.Linear`` does, for both layouts).

    Shapes:
        x: (N, F); weight: (K, F); bias: (K,) -> (N, K), dense.
    """
    if not is_sparse(x):
        return F.linear(x, weight, bias)
    if x.layout == torch.sparse_csr:
        out = _CSRLinear.apply(x.values(), weight, x.crow_indices(), x.col_indices(),
                               tuple(x.shape))  # (N, K)
    else:
        out = torch.sparse.mm(x, weight.t())  # (N, F) @ (F, K) -> (N, K)
    return out if bias is None else out + bias


def _block_structure(crow: Tensor, col: Tensor, num_features: int,
                     groups: int) -> tuple[Tensor, Tensor]:
    """The (crow, col) of ``blockdiag(X, ..., X)``, ``G`` copies of the CSR ``X``."""
    nnz, device = col.numel(), col.device
    dtype = torch.int32 if groups * max(nnz, num_features) < 2**31 - 1 else torch.long
    offsets = torch.arange(groups, device=device, dtype=torch.long)  # (G,)
    rows = crow[:-1].long().unsqueeze(0) + nnz * offsets.unsqueeze(1)  # (G, N)
    end = torch.tensor([groups * nnz], device=device, dtype=torch.long)
    big_crow = torch.cat([rows.reshape(-1), end]).to(dtype)  # (G*N + 1,)
    big_col = col.long().unsqueeze(0) + num_features * offsets.unsqueeze(1)  # (G, nnz)
    return big_crow, big_col.reshape(-1).to(dtype)  # (G*nnz,)


_block_cache = _StructureCache(_block_structure)


def grouped_linear(x: Tensor, weight: Tensor, p: float) -> Tensor:
    """``dropout_g(X) @ W_g^T`` for G groups (heads, seeds) with their own masks, as one product.

    The G masked copies of the CSR matrix ``X`` are the diagonal blocks of one
    block-diagonal CSR matrix of ``G * nnz(X)`` entries, and
    ``blockdiag(X_1..X_G) @ [W_1; ..; W_G]`` computes every ``X_g W_g`` at once:
    one sparse product instead of G (which is what counts on a GPU).

    Shapes:
        x: (N, F) CSR; weight: (G, K, F) -> (N, G, K).
    """
    G, K, F_ = weight.shape
    N = x.shape[0]
    values = dropout(x.values().unsqueeze(0).expand(G, -1), p)  # (G, nnz): G masks
    crow, col = _block_cache.get(x.crow_indices(), x.col_indices(), F_, G)
    blocks = _csr(crow, col, values.reshape(-1), (G * N, G * F_))  # blockdiag(X_1, .., X_G)
    stacked = weight.transpose(0, 1).reshape(K, G * F_)  # (K, G*F): [W_1 | .. | W_G]
    out = linear(blocks, stacked)  # (G*N, G*F) @ (G*F, K) -> (G*N, K)
    return out.view(G, N, K).transpose(0, 1)  # (N, G, K)


def stacked_linear(x: Tensor, weight: Tensor, p: float = 0.0, training: bool = False,
                   per_head: bool = False) -> Tensor:
    """``z[:, r, h] = dropout(x_r) @ W[r, h]^T`` for every seed ``r`` and head ``h``.

    ``x`` is either shared by the seeds, ``(N, F)`` (the input features, dense
    or sparse CSR), or one slice per seed, ``(N, R, F)`` (a hidden layer).
    Input dropout with probability ``p`` draws one mask per seed, or one per
    (seed, head) with ``per_head=True`` (the original GAT code's ``in_drop``
    inside each head).

    Shapes:
        x: (N, F) or (N, R, F); weight: (R, H, K, F) -> (N, R, H, K).
    """
    R, H, K, F_ = weight.shape
    N = x.shape[0]
    drop = training and p > 0
    if x.dim() == 2:
        if not drop:
            return linear(x, weight.reshape(R * H * K, F_)).view(N, R, H, K)  # (N, R*H*K)
        groups = weight.reshape(R * H, K, F_) if per_head else weight.reshape(R, H * K, F_)
        if is_sparse(x):
            if x.layout != torch.sparse_csr:
                x = x.to_sparse_csr()
            out = grouped_linear(x, groups, p)  # (N, G, K')
        else:
            G = groups.shape[0]
            masked = dropout(x.unsqueeze(0).expand(G, N, F_), p)  # (G, N, F)
            out = (masked @ groups.transpose(1, 2)).transpose(0, 1)  # (G, N, K') -> (N, G, K')
        return out.reshape(N, R, H, K)
    if x.shape[1] != R:
        raise ValueError(f"stacked_linear: x has {x.shape[1]} seeds, the weight {R}")
    x_r = x.transpose(0, 1)  # (R, N, F)
    if drop and per_head:
        masked = dropout(x_r.unsqueeze(1).expand(R, H, N, F_), p)  # (R, H, N, F): a mask a head
        out = masked @ weight.transpose(2, 3)  # (R, H, N, F) @ (R, H, F, K) -> (R, H, N, K)
        return out.permute(2, 0, 1, 3)  # (N, R, H, K)
    x_r = dropout(x_r, p, drop)  # (R, N, F): a mask a seed
    out = x_r @ weight.reshape(R, H * K, F_).transpose(1, 2)  # (R, N, F) @ (R, F, H*K)
    return out.view(R, N, H, K).permute(1, 0, 2, 3)  # (N, R, H, K)


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
    # One sum is much cheaper than an elementwise isfinite, and any NaN or inf makes
    # it non-finite; only then (or if a huge sum overflowed) look entry by entry.
    if values.numel() and not bool(torch.isfinite(values.sum())):
        if not bool(torch.isfinite(values).all()):
            raise ValueError(f"{where}: x has NaN or infinite feature values")
