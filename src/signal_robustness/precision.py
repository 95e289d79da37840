"""The numeric precision a job's network computes in: ``fp32``, ``tf32`` or ``bf16``.

- ``fp32``: float32 throughout, the reference.
- ``tf32``: float32 tensors; on CUDA (Ampere and later) matrix products and convolutions use
  TensorFloat-32 cores (10-bit mantissa inputs, float32 accumulation). No effect on a CPU.
- ``bf16``: every forward pass under ``torch.autocast`` with bfloat16, on any device.
  Parameters, their gradients and the optimiser's state stay float32 (so no loss scaling is
  needed: bfloat16 has float32's range), and the logits come back as float32, so losses,
  softmax averages and the gradients attacks take with respect to the input are float32
  tensors. Autocast is entered and left around each forward pass: its cache of cast weights
  never outlives an optimiser step.

On CUDA, image models also use the channels_last memory layout and let cuDNN benchmark its
convolution algorithms once per input shape (``cudnn.benchmark``), which pays off because
a job's shapes are fixed.

``tests/test_precision.py`` checks on CPU that bf16 keeps accuracy, attack success and input
gradients within the noise of fp32 on a trained ResNet.
"""

from __future__ import annotations

import torch
from torch import nn

PRECISIONS = ("fp32", "tf32", "bf16")


class Autocast(nn.Module):
    """``network`` run under bfloat16 autocast, returning float32 outputs.

    The wrapped network is ``self.network``; save that, not the wrapper.
    """

    def __init__(self, network: nn.Module, device_type: str):
        super().__init__()
        self.network = network
        self.device_type = device_type
        # The wrapped network's mode: attack libraries read ``training`` off the module they
        # are given and restore it afterwards (torchattacks would switch a BatchNorm net to train).
        self.train(network.training)

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        return self._autocast(self.network, inputs)

    # Feat-Sim's loss calls the network in two halves (models.resnet1d.ResNet1D): each runs
    # under autocast as the whole forward pass does.
    def embed(self, inputs: torch.Tensor) -> torch.Tensor:
        return self._autocast(self.network.embed, inputs)

    def head(self, embeddings: torch.Tensor) -> torch.Tensor:
        return self._autocast(self.network.head, embeddings)

    def _autocast(self, function, inputs: torch.Tensor) -> torch.Tensor:
        with torch.autocast(self.device_type, dtype=torch.bfloat16):
            outputs = function(inputs)
        return outputs.float()


def check_precision(precision: str) -> str:
    if precision not in PRECISIONS:
        raise ValueError(f"precision must be one of {', '.join(PRECISIONS)}, got {precision!r}")
    return precision


def configure_backends(precision: str, device: torch.device, images: bool = False) -> None:
    """Process-wide CUDA switches for ``precision`` (``images``: let cuDNN benchmark its
    convolutions); nothing to switch on a CPU."""
    check_precision(precision)
    if device.type != "cuda":
        return
    torch.backends.cuda.matmul.allow_tf32 = precision == "tf32"
    torch.backends.cudnn.allow_tf32 = precision == "tf32"
    torch.backends.cudnn.benchmark = images


def is_image_model(network: nn.Module) -> bool:
    """Whether ``network`` convolves in two dimensions (the audio CNNs; the series ResNet is 1-D)."""
    return any(isinstance(module, nn.Conv2d) for module in network.modules())


def with_precision(network: nn.Module, precision: str, device: torch.device) -> nn.Module:
    """``network`` set up to compute in ``precision`` on ``device``: an image model goes
    channels_last on CUDA. Returns the module to call: ``network`` itself, or an ``Autocast``
    wrapper around it for bf16; the weights stay ``network``'s."""
    images = is_image_model(unwrapped(network))
    configure_backends(precision, device, images)
    if isinstance(network, Autocast):
        network = network.network
    if images and device.type == "cuda":
        network = network.to(memory_format=torch.channels_last)
    return Autocast(network, device.type) if precision == "bf16" else network


def unwrapped(module: nn.Module) -> nn.Module:
    """The network inside ``with_precision``'s wrapper (or ``module`` itself)."""
    return module.network if isinstance(module, Autocast) else module
