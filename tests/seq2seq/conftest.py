import pytest

from gattut.data.dates import load_dates


@pytest.fixture(scope="session")
def tiny_dates():
    """A small date corpus shared by the seq2seq tests."""
    return load_dates(n_train=256, n_valid=64, n_test=64, seed=0)
