"""Copy weights from a gattut PyTorch module into its Keras twin.

The Keras layers keep the PyTorch attribute names (``q_proj``, ``score.key_proj``,
``v``, ``g``, ``embedding``, ...), so the copy walks both trees by name:

* ``torch.nn.Linear`` -> ``keras.layers.Dense``: the kernel is the *transpose*
  of the weight (PyTorch stores ``(out, in)``, Keras ``(in, out)``); the bias
  is copied as is.
* ``torch.nn.Embedding`` -> ``keras.layers.Embedding``: ``weight`` -> ``embeddings``.
* any other ``nn.Parameter`` -> the Keras variable of the same name and shape.

Everything is checked: a PyTorch parameter with no Keras home, or a shape
that does not match, raises ValueError, so a silent half-copy cannot happen.
"""

from __future__ import annotations

import keras
import numpy as np
import torch

__all__ = ["load_torch_weights"]


def _numpy(t: torch.Tensor) -> np.ndarray:
    return t.detach().cpu().numpy()


def _assign(variable, array: np.ndarray, where: str) -> None:
    if tuple(variable.shape) != array.shape:
        raise ValueError(
            f"{where}: Keras variable has shape {tuple(variable.shape)}, "
            f"PyTorch gives {array.shape}"
        )
    variable.assign(array.astype(variable.dtype))


def load_torch_weights(keras_layer: keras.layers.Layer, torch_module: torch.nn.Module) -> int:
    """Copy every parameter of ``torch_module`` into ``keras_layer``; return how many were copied.

    ``keras_layer`` must be the gattut Keras twin of ``torch_module`` (same
    class name and constructor arguments), e.g.
    ``load_torch_weights(gattut.tf.attention.MultiHeadAttention(8, 2),
    gattut.attention.MultiHeadAttention(8, 2))``.
    """
    return _copy(keras_layer, torch_module, type(torch_module).__name__)


def _copy(layer, module: torch.nn.Module, where: str) -> int:
    if isinstance(module, torch.nn.Linear):
        if not isinstance(layer, keras.layers.Dense):
            raise ValueError(
                f"{where}: PyTorch Linear needs a Keras Dense, got {type(layer).__name__}"
            )
        _assign(layer.kernel, _numpy(module.weight).T, f"{where}.weight")  # (in, out)
        count = 1
        if module.bias is not None:
            if layer.bias is None:
                raise ValueError(f"{where}: PyTorch Linear has a bias, the Keras Dense has none")
            _assign(layer.bias, _numpy(module.bias), f"{where}.bias")
            count += 1
        return count
    if isinstance(module, torch.nn.Embedding):
        if not isinstance(layer, keras.layers.Embedding):
            raise ValueError(
                f"{where}: PyTorch Embedding needs a Keras Embedding, got {type(layer).__name__}"
            )
        _assign(layer.embeddings, _numpy(module.weight), f"{where}.weight")
        return 1
    count = 0
    for name, param in module.named_parameters(recurse=False):
        target = getattr(layer, name, None)
        if not isinstance(target, keras.Variable):
            raise ValueError(
                f"{where}.{name}: no Keras variable {name!r} on {type(layer).__name__}"
            )
        _assign(target, _numpy(param), f"{where}.{name}")
        count += 1
    for name, child in module.named_children():
        if not any(True for _ in child.parameters()):
            continue  # dropout and other parameter-free modules
        target = getattr(layer, name, None)
        if not isinstance(target, keras.layers.Layer):
            raise ValueError(f"{where}.{name}: no Keras layer {name!r} on {type(layer).__name__}")
        count += _copy(target, child, f"{where}.{name}")
    return count
