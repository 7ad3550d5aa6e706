"""Fixtures for the training tests: small synthetic graphs."""

from __future__ import annotations

import pytest

from gattut.data.graph import Graph
from gattut.data.synthetic import contextual_sbm


@pytest.fixture
def tiny_graph() -> Graph:
    return contextual_sbm(num_nodes=120, num_classes=3, p_in=0.08, p_out=0.01,
                          num_features=8, feature_noise=1.5, seed=1, train_per_class=10)
