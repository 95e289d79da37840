"""Fawaz's ResNet: shapes, parameter count, block structure, Keras padding."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from signal_robustness.models import build_model
from signal_robustness.models.resnet1d import ResNet1D


def _conv_params(c_in: int, c_out: int, k: int) -> int:
    return c_in * c_out * k + c_out


def _expected_parameters(n_classes: int) -> int:
    """Hand count of Fawaz et al.'s Keras network (trainable: conv, BN gamma/beta, dense)."""
    bn = lambda c: 2 * c  # noqa: E731
    total = 0
    for c_in, c_out in ((1, 64), (64, 128), (128, 128)):
        total += _conv_params(c_in, c_out, 8) + bn(c_out)
        total += _conv_params(c_out, c_out, 5) + bn(c_out)
        total += _conv_params(c_out, c_out, 3) + bn(c_out)
        total += (_conv_params(c_in, c_out, 1) if c_in != c_out else 0) + bn(c_out)
    return total + 128 * n_classes + n_classes


@pytest.mark.parametrize("n_classes", [2, 3, 50])
def test_parameter_count_matches_keras_network(n_classes):
    model = build_model("resnet1d", in_channels=1, n_classes=n_classes)
    assert sum(p.numel() for p in model.parameters()) == _expected_parameters(n_classes)


@pytest.mark.parametrize("length", [24, 150, 251])
def test_output_and_embedding_shapes(length):
    model = ResNet1D(in_channels=1, n_classes=3).eval()
    x = torch.randn(4, 1, length)
    assert model(x).shape == (4, 3)
    assert model.embed(x).shape == (4, 128)


def test_shortcuts_are_conv_bn_then_bn_only():
    model = ResNet1D(in_channels=1, n_classes=2)
    shortcuts = [block.shortcut for block in model.blocks]
    assert any(isinstance(m, nn.Conv1d) for m in shortcuts[0].modules())
    assert any(isinstance(m, nn.Conv1d) for m in shortcuts[1].modules())
    assert isinstance(shortcuts[2], nn.BatchNorm1d)


def test_even_kernel_is_padded_like_keras_same():
    """Keras 'same' puts the extra zero of kernel 8 on the right: output[t] sees x[t-3..t+4]."""
    model = ResNet1D(in_channels=1, n_classes=2)
    pad, conv = model.blocks[0].conv_x[0], model.blocks[0].conv_x[1]
    assert pad.padding == (3, 4) and conv.kernel_size == (8,)
    x = torch.zeros(1, 1, 20)
    x[0, 0, 10] = 1.0
    with torch.no_grad():
        conv.bias.zero_()
        out = conv(pad(x))[0, 0]
    assert out.shape[-1] == 20
    nonzero = torch.nonzero(out).flatten().tolist()
    assert min(nonzero) >= 6 and max(nonzero) <= 13  # t - 3 <= 10 <= t + 4


def test_unknown_model_name():
    with pytest.raises(ValueError, match="unknown model"):
        build_model("resnet999", 1, 2)
