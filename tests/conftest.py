"""Shared test fixtures.

No test reaches the network: ``GATTUT_OFFLINE=1`` is set for every test, and
the download tests serve files from 127.0.0.1 themselves.

A test that needs a real dataset asks for it with ``require_data(name, ...)``.
When the file cannot be found it is skipped with the data layer's message as
the reason, except under CI (``CI=true``), where the test fails.
"""

from __future__ import annotations

import os

import pytest

from gattut.data import DataNotFoundError, path


@pytest.fixture(autouse=True)
def _offline(monkeypatch):
    monkeypatch.setenv("GATTUT_OFFLINE", "1")


def _under_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


@pytest.fixture
def require_data():
    """Return a function that gives verified paths of real data files, or skips (fails under CI)."""

    def _require(*names: str):
        found = []
        for name in names:
            try:
                found.append(path(name, download=False))
            except DataNotFoundError as exc:
                if _under_ci():
                    pytest.fail(f"CI=true and a real dataset is missing: {exc}")
                pytest.skip(str(exc))
        return found[0] if len(found) == 1 else found

    return _require
