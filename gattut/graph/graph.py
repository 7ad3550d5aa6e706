"""Moved to :mod:`gattut.data.graph` (the containers live with the data); kept importable."""

from gattut.data.graph import Graph, batch_graphs

__all__ = ["Graph", "batch_graphs"]
