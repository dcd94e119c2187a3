"""Benchmark cases: mustknow's dropout and dropout2d vs ``torch.nn.functional``.

Inputs are float32 feature maps: ``(N, 16, 8, 8)`` at lab size (the digit
CNNs' activations; 32,768 elements = N 32) and ``(N, 64, 56, 56)`` at the large
size (6,422,528 elements = N 32, a ResNet stage). ``p = 0.5``. Both
implementations draw one ``bernoulli_`` mask of the same shape from the global
generator, scale it by ``1 / (1 - p)`` and save it for backward, so the goal
is parity: forward+backward time at most 2.0x PyTorch's at every size.
"""

from __future__ import annotations

import torch
import torch.nn.functional as TF

from _harness import Case

import mustknow.functional as F

_GOAL = 2.0
_P = 0.5
_LAB = (16, 8, 8)  # (C, H, W) of a lab CNN activation
_LARGE = (64, 56, 56)  # (C, H, W) of a ResNet-stage activation
_LAB_SIZE = 32 * 16 * 8 * 8
_LARGE_SIZE = 32 * 64 * 56 * 56


def _feature_maps(size: int) -> tuple[torch.Tensor]:
    """(N, C, H, W) float32 with N * C * H * W <= size, N >= 1."""
    chw = _LARGE if size >= _LARGE_SIZE else _LAB
    per_sample = chw[0] * chw[1] * chw[2]
    gen = torch.Generator().manual_seed(0)
    return (torch.randn((max(size // per_sample, 1), *chw), generator=gen).requires_grad_(),)


CASES: list[Case] = [
    Case("dropout", "regularization", _feature_maps,
         lambda x: F.dropout(x, _P), lambda x: TF.dropout(x, _P),
         _GOAL, None, (_LAB_SIZE, _LARGE_SIZE)),
    Case("dropout2d", "regularization", _feature_maps,
         lambda x: F.dropout2d(x, _P), lambda x: TF.dropout2d(x, _P),
         _GOAL, None, (_LAB_SIZE, _LARGE_SIZE)),
]
