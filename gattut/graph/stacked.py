"""Moved to :mod:`gattut.train.stacked` (stacking seeds is a training concern); kept importable."""

from gattut.train.stacked import StackedModel, stack_models, stacked_linear

__all__ = ["StackedModel", "stack_models", "stacked_linear"]
