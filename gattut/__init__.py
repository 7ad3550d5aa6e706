"""gattut: attention, from Bahdanau to GAT.

The package behind the gattut book. Every formula in the book is code here,
tested against the reference libraries.

Notation (the one table of the book, ``book/notation.md``):

====  =============================================
B     batch size
T     query (target) length
S     key/value (source) length
D     model width (``d_model``)
H     number of heads (``num_heads``)
Dh    width of one head, ``D / H`` (``d_head``)
N     number of nodes
E     number of edges
F     number of node features
====  =============================================

Masks are boolean everywhere, and ``True`` means *may attend* (the convention
of Keras and ``torch.nn.functional.scaled_dot_product_attention``). A row with
nothing to attend to gets all-zero weights, never NaN.

``edge_index[0]`` holds source nodes ``j`` and ``edge_index[1]`` target nodes
``i``: messages flow ``j -> i``.

``import gattut`` never imports TensorFlow; the Keras 3 versions live in
:mod:`gattut.tf`.

The subpackages, one part of the book each:

- :mod:`gattut.attention`: masks, scores, Bahdanau, Luong, monotonic, SDPA,
  multi-head, positional encodings (Part I).
- :mod:`gattut.seq2seq`: encoders, decoders, the Transformer, decoding, training (Part I).
- :mod:`gattut.graph`: the graph container, edge softmax, message passing, GCN,
  GAT (sparse and dense), GATv2, gated attention, models (Part II).
- :mod:`gattut.train`: GAT training, checkpoints, the reproduction ledger (Part II).
- :mod:`gattut.data`: the data layer and loaders; :mod:`gattut.plot`: plots;
  :mod:`gattut.exercises`: the chapters' exercise checkers; :mod:`gattut.tf`: Keras 3.
"""

import os as _os

# TensorFlow is imported only by gattut.tf, but a notebook may import it itself after
# gattut: quiet its C++ start-up log (a CUDA init error on CPU-only Colab, oneDNN
# notices), which prints in red under Keras cells and reads like a failure. Python
# errors still raise; a reader's own settings win.
_os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
_os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")

from gattut import attention, data, graph  # noqa: E402
from gattut.utils import get_device, set_seed  # noqa: E402

__version__ = "0.1.0"

__all__ = ["attention", "data", "get_device", "graph", "set_seed", "__version__"]
