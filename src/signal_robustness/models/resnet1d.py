"""The time-series ResNet of Wang et al. 2017 as implemented by Fawaz et al. 2019.

Three residual blocks of 64/128/128 filters; each block is conv(8)-BN-ReLU,
conv(5)-BN-ReLU, conv(3)-BN, plus a shortcut (1x1 conv + BN where the channel
count changes, BN alone where it does not), then ReLU. Global average pooling
and a linear head give the logits. Details follow the Keras original so the
baseline is Fawaz's network: 'same' padding (3 left / 4 right for kernel 8),
BatchNorm epsilon 1e-3, Glorot-uniform weights and zero biases.

One deliberate difference: BatchNorm's running statistics use torch's momentum
0.1 instead of Keras' 0.99 (torch 0.01). With Keras' value the statistics need
hundreds of updates to settle, so a short run (the default config, the tests)
evaluates with stale statistics; at 1500 epochs both settle to the same values.
The paper's own networks are PyTorch ones.
"""

from __future__ import annotations

import torch
from torch import nn

BATCH_NORM = {"eps": 1e-3, "momentum": 0.1}


def _same_padding(kernel_size: int) -> tuple[int, int]:
    """Keras/TF 'same' padding: the extra zero of an even kernel goes on the right."""
    total = kernel_size - 1
    return total // 2, total - total // 2


def _conv_bn(in_channels: int, out_channels: int, kernel_size: int) -> nn.Sequential:
    return nn.Sequential(
        nn.ConstantPad1d(_same_padding(kernel_size), 0.0),
        nn.Conv1d(in_channels, out_channels, kernel_size),
        nn.BatchNorm1d(out_channels, **BATCH_NORM),
    )


class ResidualBlock1D(nn.Module):
    def __init__(self, in_channels: int, out_channels: int, kernel_sizes: tuple[int, int, int] = (8, 5, 3)):
        super().__init__()
        k_x, k_y, k_z = kernel_sizes
        self.conv_x = _conv_bn(in_channels, out_channels, k_x)
        self.conv_y = _conv_bn(out_channels, out_channels, k_y)
        self.conv_z = _conv_bn(out_channels, out_channels, k_z)
        if in_channels == out_channels:
            self.shortcut: nn.Module = nn.BatchNorm1d(out_channels, **BATCH_NORM)
        else:
            self.shortcut = _conv_bn(in_channels, out_channels, 1)
        self.relu = nn.ReLU()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.relu(self.conv_x(x))
        out = self.relu(self.conv_y(out))
        out = self.conv_z(out)
        return self.relu(out + self.shortcut(x))


class ResNet1D(nn.Module):
    """Fawaz et al.'s ResNet for series shaped ``(batch, channels, length)``."""

    def __init__(self, in_channels: int, n_classes: int, widths: tuple[int, int, int] = (64, 128, 128)):
        super().__init__()
        blocks = []
        previous = in_channels
        for width in widths:
            blocks.append(ResidualBlock1D(previous, width))
            previous = width
        self.blocks = nn.Sequential(*blocks)
        self.head = nn.Linear(previous, n_classes)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        for module in self.modules():
            if isinstance(module, (nn.Conv1d, nn.Linear)):
                nn.init.xavier_uniform_(module.weight)
                nn.init.zeros_(module.bias)

    def embed(self, x: torch.Tensor) -> torch.Tensor:
        """The globally average-pooled features the head classifies."""
        return self.blocks(x).mean(dim=-1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.embed(x))
