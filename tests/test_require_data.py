"""A test that needs a missing real dataset skips with the data layer's message, but fails under CI."""

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

TESTS = Path(__file__).parent


@pytest.mark.parametrize("ci, outcome", [("", "1 skipped"), ("true", "1 failed")])
def test_missing_dataset_skips_locally_and_fails_in_ci(tmp_path, ci, outcome):
    (tmp_path / "conftest.py").write_text((TESTS / "conftest.py").read_text())
    (tmp_path / "test_needs_data.py").write_text(
        textwrap.dedent(
            """
            def test_needs_cora(require_data):
                require_data("planetoid/ind.cora.x")
            """
        )
    )
    env = {
        **os.environ,
        "CI": ci,
        "GATTUT_DATA": str(tmp_path / "empty"),
        "XDG_CACHE_HOME": str(tmp_path / "cache"),
    }
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-rs", "-p", "no:cacheprovider", "-p", "no:xdist", str(tmp_path)],
        capture_output=True, text=True, env=env, cwd=tmp_path,
    )
    assert outcome in result.stdout, result.stdout
    # Either way the reason is the data layer's message: which file, where, how to get it.
    assert "ind.cora.x" in result.stdout and "GATTUT_DATA" in result.stdout
