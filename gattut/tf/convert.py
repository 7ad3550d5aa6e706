"""Copy the weights of a PyTorch layer (gattut's or PyG's) into its Keras twin: one function for all.

The Keras layers keep the PyTorch names (``q_proj``, ``score.key_proj``, ``v``,
``att_src``, ...), so :func:`load_torch_weights` walks both trees by name:

* a ``Linear`` child -> the ``keras.layers.Dense`` of the same name: the kernel
  is the *transpose* of the weight (PyTorch stores ``(out, in)``, Keras
  ``(in, out)``), the bias is copied as is;
* a ``Linear`` child named in the Keras layer's ``torch_names`` table -> the
  Keras variable the table gives, transposed: the Keras ``GATConv`` holds
  ``lin.weight`` as its own ``kernel`` (``torch_names = {"lin": "kernel",
  "res": "res_kernel"}``);
* ``torch.nn.Embedding`` -> ``keras.layers.Embedding``: ``weight`` -> ``embeddings``;
* any other parameter -> the Keras variable of the same name.

Every pair is checked before anything is written, so a half-copy cannot
happen: a PyTorch parameter with no Keras home, a Keras variable with no
PyTorch counterpart, a shape that differs, or a setting listed in the Keras
layer's ``torch_settings`` that differs (GATConv's ``concat``) raises
ValueError and leaves the Keras layer as it was.
"""

from __future__ import annotations

import keras
import numpy as np

__all__ = ["load_torch_weights"]


def load_torch_weights(keras_layer: keras.layers.Layer, torch_module) -> keras.layers.Layer:
    """Copy every parameter of ``torch_module`` into ``keras_layer``; return ``keras_layer``.

    ``keras_layer`` is the gattut Keras twin of ``torch_module`` with the same
    constructor arguments, e.g. ``load_torch_weights(gattut.tf.attention.MultiHeadAttention(8, 2),
    gattut.attention.MultiHeadAttention(8, 2))``; PyG's ``GATConv`` copies into
    the Keras ``GATConv`` too (the same parameter names).

    Raises:
        ValueError: a parameter or variable on one side only, a shape or a
            setting that differs, or a Keras layer not built yet. Nothing is copied then.

    Shapes:
        Linear weight: (out, in) -> kernel: (in, out); every other parameter keeps its shape.
    """
    import torch

    pairs = _pairs(keras_layer, torch_module, type(torch_module).__name__, torch)
    copied = {id(variable) for variable, _, _ in pairs}
    orphans = [v.path for v in keras_layer.weights if id(v) not in copied]
    if orphans:
        raise ValueError(
            f"load_torch_weights: Keras variable(s) {', '.join(orphans)} have no counterpart in "
            f"the PyTorch {type(torch_module).__name__} (a bias, residual or attention_bias on "
            "one side only?)"
        )
    for variable, array, _ in pairs:
        variable.assign(array.astype(variable.dtype))
    return keras_layer


def _is_linear(module, torch) -> bool:
    """``torch.nn.Linear`` or PyG's ``Linear`` (the same ``weight`` (out, in) and ``bias``)."""
    return isinstance(module, torch.nn.Linear) or type(module).__name__ == "Linear"


def _variable(layer, name: str, where: str):
    """The Keras variable ``name`` of ``layer``, or ValueError naming the PyTorch parameter."""
    target = getattr(layer, name, None)
    if not isinstance(target, keras.Variable):
        raise ValueError(f"load_torch_weights: {where} has no Keras variable {name!r} on "
                         f"{type(layer).__name__}")
    return target


def _check(variable, array: np.ndarray, where: str) -> tuple:
    if tuple(variable.shape) != array.shape:
        raise ValueError(f"load_torch_weights: {where} is {tuple(variable.shape)} in Keras but "
                         f"the PyTorch weight gives {array.shape}")
    return variable, array, where


def _pairs(layer, module, where: str, torch) -> list[tuple]:
    """Every (Keras variable, PyTorch array, name) pair of ``module``'s tree, checked."""
    def numpy(t) -> np.ndarray:
        return t.detach().cpu().numpy()

    if not layer.built:
        raise ValueError(f"load_torch_weights: the Keras {type(layer).__name__} ({where}) is not "
                         "built yet; call it once on inputs first")
    if _is_linear(module, torch):
        if not isinstance(layer, keras.layers.Dense):
            raise ValueError(f"load_torch_weights: {where} is a Linear, which needs a Keras "
                             f"Dense, not a {type(layer).__name__}")
        pairs = [_check(layer.kernel, numpy(module.weight).T, f"{where}.weight")]  # (in, out)
        if module.bias is not None:
            pairs.append(_check(layer.bias, numpy(module.bias), f"{where}.bias"))
        return pairs
    if isinstance(module, torch.nn.Embedding):
        if not isinstance(layer, keras.layers.Embedding):
            raise ValueError(f"load_torch_weights: {where} is an Embedding, which needs a Keras "
                             f"Embedding, not a {type(layer).__name__}")
        return [_check(layer.embeddings, numpy(module.weight), f"{where}.weight")]

    for setting in getattr(layer, "torch_settings", ()):
        theirs = getattr(module, setting, None)
        if theirs is not None and theirs != getattr(layer, setting):
            raise ValueError(f"load_torch_weights: {setting} differs (PyTorch {theirs!r}, "
                             f"Keras {getattr(layer, setting)!r})")
    table = getattr(layer, "torch_names", {})
    pairs = []
    for name, param in module.named_parameters(recurse=False):
        target = _variable(layer, table.get(name, name), f"{where}.{name}")
        pairs.append(_check(target, numpy(param), f"{where}.{name}"))
    for name, child in module.named_children():
        if not any(True for _ in child.parameters()):
            continue  # dropout and other modules without parameters
        if name in table:
            # A Linear kept as one Keras variable: its transposed weight, and no bias.
            if not _is_linear(child, torch) or child.bias is not None:
                raise ValueError(f"load_torch_weights: {where}.{name} must be a Linear without "
                                 f"bias to become the Keras variable {table[name]!r}")
            target = _variable(layer, table[name], f"{where}.{name}")
            pairs.append(_check(target, numpy(child.weight).T, f"{where}.{name}.weight"))
            continue
        target = getattr(layer, name, None)
        if not isinstance(target, keras.layers.Layer):
            raise ValueError(f"load_torch_weights: {where}.{name} has no Keras layer {name!r} on "
                             f"{type(layer).__name__}")
        pairs += _pairs(target, child, f"{where}.{name}", torch)
    return pairs
