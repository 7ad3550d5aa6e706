"""Training: the paper's loop and early stopping, checkpoints, metrics, and the named setups.

=================  ============================================================
module             idea
=================  ============================================================
``metrics``        accuracy and micro-F1
``loop``           :class:`TrainConfig`, :func:`fit_transductive` (Cora),
                   :func:`fit_inductive` (PPI), the paper's early stopping
``checkpoint``     atomic checkpoints that resume exactly and refuse other models
``minibatch``      :func:`fit_minibatch`: sampled neighbourhoods, layer-wise evaluation
``distributed``    :func:`fit_distributed`: data-parallel on many processes (DDP,
                   ``torchrun``; gloo or NCCL), :func:`train_on_processes`
``stacked``        ``R`` seeds of one model run as one (``stack_models``)
``seeds``          :func:`fit_stacked`, the paper's protocol for ``R`` stacked seeds
``registry``       dataset and model names, the papers' settings for each
``runner``         one run path: :func:`run_seeds` and :func:`summarize`
``ledger``         the reproduction ledger (``python -m gattut reproduce``)
=================  ============================================================

``registry``, ``runner`` and ``ledger`` load models and data, so they are
imported on demand, not here.
"""

from gattut.train.checkpoint import (
    CheckpointMismatchError,
    load_checkpoint,
    model_signature,
    save_checkpoint,
)
from gattut.train.distributed import fit_distributed, init_distributed, train_on_processes
from gattut.train.loop import (
    EarlyStopping,
    TrainConfig,
    TrainResult,
    fit_inductive,
    fit_transductive,
    make_optimizer,
)
from gattut.train.metrics import accuracy, f1_counts, micro_f1
from gattut.train.minibatch import fit_minibatch

__all__ = [
    "CheckpointMismatchError",
    "EarlyStopping",
    "TrainConfig",
    "TrainResult",
    "accuracy",
    "f1_counts",
    "fit_distributed",
    "fit_inductive",
    "fit_minibatch",
    "fit_transductive",
    "init_distributed",
    "load_checkpoint",
    "make_optimizer",
    "micro_f1",
    "model_signature",
    "save_checkpoint",
    "train_on_processes",
]
