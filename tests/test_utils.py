import random

import numpy as np
import pytest
import torch

from gattut import get_device, set_seed


def test_set_seed_repeats_python_numpy_torch():
    set_seed(123)
    first = (random.random(), np.random.rand(), torch.rand(1).item())
    set_seed(123)
    assert (random.random(), np.random.rand(), torch.rand(1).item()) == first


@pytest.mark.parametrize("seed", [-1, 2**32, 1.5, "7", True])
def test_set_seed_rejects_bad_seeds(seed):
    with pytest.raises(ValueError, match="seed"):
        set_seed(seed)


def test_get_device_cpu_and_auto():
    assert get_device("cpu") == torch.device("cpu")
    assert get_device(torch.device("cpu")) == torch.device("cpu")
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    assert get_device("auto").type == expected


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the error raised without CUDA")
def test_get_device_cuda_absent_is_a_clear_error():
    with pytest.raises(RuntimeError, match="CUDA is not available"):
        get_device("cuda")


@pytest.mark.parametrize("bad", ["gpu", "tpu", 3])
def test_get_device_unknown(bad):
    with pytest.raises(ValueError, match="auto"):
        get_device(bad)


def test_atomic_write_replaces_whole_files_and_leaves_nothing_on_failure(tmp_path):
    from gattut.utils import atomic_write

    target = tmp_path / "sub" / "file.bin"
    atomic_write(target, lambda f: f.write(b"first"))
    assert target.read_bytes() == b"first"

    def broken(f):
        f.write(b"half of the new")
        raise KeyboardInterrupt  # whatever stops the write

    with pytest.raises(KeyboardInterrupt):
        atomic_write(target, broken)
    assert target.read_bytes() == b"first"
    assert [p.name for p in target.parent.iterdir()] == ["file.bin"]
