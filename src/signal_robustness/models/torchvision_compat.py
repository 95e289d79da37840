"""Import torchvision on a CPU-only torch.

torchvision 0.28.0 is the release that matches torch 2.13.0, but the wheel on the
package index is a CUDA build. Imported beside a CPU torch, its compiled operators
do not load, and ``torchvision/_meta_registrations.py`` then fails on
``register_fake("torchvision::nms")`` (and ``qnms``) because those operators were
never defined. Defining their schemas first lets the import finish; the
classification models need neither operator, and calling one raises (no kernel).
With a matching build the operators exist and nothing is defined here.
"""

from __future__ import annotations

import importlib
import sys
from types import ModuleType

import torch

# The schemas torchvision's C++ extension would have registered (torchvision/csrc/ops/nms.cpp).
_DETECTION_OPERATOR_SCHEMAS = {
    "nms": "(Tensor dets, Tensor scores, float iou_threshold) -> Tensor",
    "qnms": "(Tensor dets, Tensor scores, float iou_threshold) -> Tensor",
}


def import_torchvision_models() -> ModuleType:
    """``torchvision.models``; on a CPU torch, with the missing operator schemas defined.

    The plain import is tried first: with a matching build torchvision registers the
    operators itself, and defining them beforehand would clash with it.
    """
    try:
        return importlib.import_module("torchvision.models")
    except RuntimeError as error:
        if "torchvision::" not in str(error):
            raise
    # Forget the half-imported package before trying again.
    for module in [m for m in sys.modules if m == "torchvision" or m.startswith("torchvision.")]:
        del sys.modules[module]
    for name, schema in _DETECTION_OPERATOR_SCHEMAS.items():
        try:
            torch.library.define(f"torchvision::{name}", schema)
        except RuntimeError:
            pass  # defined by an earlier partial import
    return importlib.import_module("torchvision.models")
