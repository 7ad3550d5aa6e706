import pytest
import torch

from gattut.train.metrics import accuracy, f1_counts, micro_f1


def test_accuracy_hand_computed():
    logits = torch.tensor([[2.0, 1.0], [0.0, 3.0], [1.0, 0.0], [0.0, 1.0]])  # (N=4, C=2)
    y = torch.tensor([0, 1, 1, 1])
    assert accuracy(logits, y) == pytest.approx(0.75)


def test_micro_f1_hand_computed():
    # Predictions (logit > 0): [[1,0,1],[0,1,0]]; truth: [[1,1,0],[0,1,0]].
    logits = torch.tensor([[1.0, -1.0, 0.5], [-2.0, 3.0, -0.1]])  # (N=2, C=3)
    y = torch.tensor([[1.0, 1.0, 0.0], [0.0, 1.0, 0.0]])
    assert f1_counts(logits, y) == (2, 1, 1)  # TP, FP, FN
    assert micro_f1(logits, y) == pytest.approx(2 * 2 / (2 * 2 + 1 + 1))


def test_micro_f1_of_pooled_counts_equals_f1_of_the_union():
    gen = torch.Generator().manual_seed(0)
    logits = torch.randn(10, 5, generator=gen)
    y = (torch.rand(10, 5, generator=gen) > 0.5).float()
    a, b = f1_counts(logits[:4], y[:4]), f1_counts(logits[4:], y[4:])
    pooled = tuple(p + q for p, q in zip(a, b))
    assert micro_f1(pooled) == pytest.approx(micro_f1(logits, y))


def test_micro_f1_empty_prediction_of_empty_truth_is_one():
    assert micro_f1(-torch.ones(3, 2), torch.zeros(3, 2)) == 1.0


@pytest.mark.parametrize("logits, y", [
    (torch.zeros(3, 2), torch.zeros(4, dtype=torch.long)),
    (torch.zeros(3), torch.zeros(3, dtype=torch.long)),
])
def test_accuracy_rejects_bad_shapes(logits, y):
    with pytest.raises(ValueError, match="accuracy expects"):
        accuracy(logits, y)


def test_micro_f1_rejects_bad_shapes():
    with pytest.raises(ValueError, match="same"):
        micro_f1(torch.zeros(3, 2), torch.zeros(3, 3))
    with pytest.raises(ValueError, match="needs y"):
        micro_f1(torch.zeros(3, 2))
