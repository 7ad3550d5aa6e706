"""The graph attention layer (Velickovic et al. 2018) in Keras 3: the twin of :mod:`gattut.graph.gat`.

The equations, the argument names and the edge order are those of the
PyTorch layer (read :mod:`gattut.graph.gat` and :mod:`gattut.graph.attend`
for the maths); a test copies weights across with :func:`load_torch_weights`
and compares outputs and attention. The per-node reductions are TensorFlow's
unsorted segment ops, with the target node of each edge as its segment (see
:mod:`gattut.tf.graph.ops`).
"""

from __future__ import annotations

import keras
import tensorflow as tf

from gattut.graph.attend import check_layer_args
from gattut.tf.convert import load_torch_weights
from gattut.tf.graph.ops import add_self_loops, check_edge_index, check_node_features, edge_softmax

__all__ = ["GATConv", "load_torch_weights"]


class GATConv(keras.layers.Layer):
    """Multi-head graph attention on an edge list: :class:`gattut.graph.gat.GATConv` in Keras 3.

    ``N(i)`` is the set of sources ``j`` of edges ``j -> i`` (plus ``i``
    itself with ``add_self_loops``). A node with no incoming edge (possible
    only without self-loops) gets a zero sum, so its output is the bias.

    Args:
        in_features: ``F``, input width.
        out_features: ``C``, width of each head.
        heads: ``H``.
        concat: concatenate heads (output ``H * C``) or average them (output ``C``).
        negative_slope: of the LeakyReLU in the scores.
        dropout: dropout on the attention coefficients ``alpha`` when ``training``.
        add_self_loops: drop existing loops, then add one ``i -> i`` per node.
        bias: add a learned bias to the output.
        residual: add a linear projection of the input to the output.
        attention_bias: a learned scalar per head inside the score (the original code's),
            ``e_ij = LeakyReLU(a_dst^T z_i + a_src^T z_j + b)``; see the PyTorch layer.
        seed: seed of the attention dropout.

    Weights (PyTorch name in brackets; kernels are the transposed ``Linear`` weights,
    see :func:`gattut.tf.convert.load_torch_weights`): ``kernel`` (F, H*C) [``lin.weight``],
    ``att_src`` and ``att_dst`` (1, H, C), ``res_kernel`` (F, H*C or C) [``res.weight``],
    ``bias`` (H*C or C), ``att_bias`` (1, H).

    ``call(x, edge_index, return_attention=False, training=False)``; ``x`` may
    be a ``tf.SparseTensor`` (Cora's features are 99% zeros).

    Shapes:
        x: (N, F); edge_index: (2, E) ->
        out: (N, H * C) if concat else (N, C);
        with ``return_attention=True`` also (edge_index', alpha) with edge_index': (2, E'),
        alpha: (E', H), where E' = E minus loops plus N with add_self_loops, else E' = E.

    Raises:
        ValueError: (in ``call``) ``x`` not ``(N, F)`` float with ``F = in_features``,
            ``edge_index`` not ``(2, E)`` integer, or node ids outside ``[0, N)``.
    """

    # For load_torch_weights: the PyTorch Linear children held here as kernels, and the
    # settings that must agree for the copied weights to compute the same function.
    torch_names = {"lin": "kernel", "res": "res_kernel"}
    torch_settings = ("concat", "negative_slope", "add_self_loops")

    def __init__(
        self,
        in_features: int,
        out_features: int,
        heads: int = 1,
        concat: bool = True,
        negative_slope: float = 0.2,
        dropout: float = 0.0,
        add_self_loops: bool = True,
        bias: bool = True,
        residual: bool = False,
        attention_bias: bool = False,
        seed=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        # The PyTorch layer's checks (one for every layer of both frameworks); Keras' dropout
        # needs a rate below 1.
        check_layer_args("GATConv", in_features, out_features, heads, negative_slope,
                         dropout=dropout)
        if dropout >= 1.0:
            raise ValueError(f"GATConv: dropout must be in [0, 1), got {dropout}")
        self.in_features, self.out_features, self.heads = in_features, out_features, heads
        self.concat, self.negative_slope, self.dropout = concat, negative_slope, dropout
        self.add_self_loops, self.use_bias, self.residual = add_self_loops, bias, residual
        H, C = heads, out_features
        total = H * C if concat else C
        # One random stream for every initial weight: a seeded layer is reproducible, and
        # att_src and att_dst get different draws (one integer seed would repeat them).
        draws = keras.random.SeedGenerator(seed)
        glorot = keras.initializers.GlorotUniform(seed=draws)
        # Glorot over the last two axes (H, C), as PyG's glorot on (1, H, C).
        bound = (6.0 / (H + C)) ** 0.5
        att = keras.initializers.RandomUniform(-bound, bound, seed=draws)
        self.kernel = self.add_weight(shape=(in_features, H * C), initializer=glorot,
                                      name="kernel")  # W, (F, H*C)
        self.att_src = self.add_weight(shape=(1, H, C), initializer=att, name="att_src")  # a_src
        self.att_dst = self.add_weight(shape=(1, H, C), initializer=att, name="att_dst")  # a_dst
        self.res_kernel = (
            self.add_weight(shape=(in_features, total), initializer=glorot, name="res_kernel")
            if residual
            else None
        )
        self.bias = (
            self.add_weight(shape=(total,), initializer="zeros", name="bias") if bias else None
        )
        self.att_bias = (
            self.add_weight(shape=(1, H), initializer="zeros", name="att_bias")
            if attention_bias
            else None
        )  # b
        self.seed_generator = keras.random.SeedGenerator(seed)
        self.built = True

    @staticmethod
    def _matmul(x, kernel):
        if isinstance(x, tf.SparseTensor):
            return tf.sparse.sparse_dense_matmul(x, kernel)
        return tf.matmul(x, kernel)

    def call(self, x, edge_index, return_attention=False, training=False):
        x = check_node_features(x, self.in_features, "GATConv")
        N = x.shape[0] if x.shape[0] is not None else tf.shape(x)[0]
        H, C = self.heads, self.out_features
        edge_index = check_edge_index(edge_index, N, "GATConv edge_index")

        # 1) project: z_i = W h_i, one C-wide vector per head.
        z = tf.reshape(self._matmul(x, self.kernel), (-1, H, C))  # (N, F) @ (F, H*C) -> (N, H, C)

        # 2) score each edge: e_ij = LeakyReLU(a_dst . z_i + a_src . z_j), from per-node halves.
        score_src = tf.reduce_sum(z * self.att_src, axis=-1)  # (N, H): a_src^T z_j
        score_dst = tf.reduce_sum(z * self.att_dst, axis=-1)  # (N, H): a_dst^T z_i
        if self.add_self_loops:
            edge_index = add_self_loops(edge_index, N)
        j, i = edge_index[0], edge_index[1]
        pair_sum = tf.gather(score_src, j) + tf.gather(score_dst, i)  # (E, H)
        if self.att_bias is not None:
            pair_sum = pair_sum + self.att_bias  # (E, H) + (1, H)
        scores = tf.nn.leaky_relu(pair_sum, alpha=self.negative_slope)  # (E, H)

        # 3) edge softmax over the incoming edges of each target i, then attention dropout.
        alpha = edge_softmax(scores, i, N)  # (E, H)
        if training and self.dropout > 0:
            alpha = keras.random.dropout(alpha, self.dropout, seed=self.seed_generator)

        # 4) aggregate: h_i' = sum_j alpha_ij z_j, one message per edge, summed at its target.
        messages = tf.gather(z, j) * alpha[:, :, None]  # (E, H, C)
        out = tf.math.unsorted_segment_sum(messages, i, N)  # (N, H, C)

        # 5) merge heads: concatenate in hidden layers, average in an output layer.
        #    The mean is over the head axis (1); a mean over every axis would be a scalar.
        if self.concat:
            out = tf.reshape(out, (-1, H * C))  # (N, H*C)
        else:
            out = tf.reduce_mean(out, axis=1)  # (N, C)
        if self.res_kernel is not None:
            out = out + self._matmul(x, self.res_kernel)
        if self.bias is not None:
            out = out + self.bias
        if return_attention:
            return out, (edge_index, alpha)
        return out

    def get_config(self):
        config = super().get_config()
        config.update(
            in_features=self.in_features,
            out_features=self.out_features,
            heads=self.heads,
            concat=self.concat,
            negative_slope=self.negative_slope,
            dropout=self.dropout,
            add_self_loops=self.add_self_loops,
            bias=self.use_bias,
            residual=self.residual,
            attention_bias=self.att_bias is not None,
        )
        return config
