"""Benchmark cases: mustknow's classification losses vs ``torch.nn.functional``.

cross_entropy and multi_margin_loss get ``(size // 1000, 1000)`` float32
logits drawn from N(0, 3^2) (a classifier's batch of 1000-way logits) with
seeded class-index targets; ``cross_entropy_smooth`` adds label smoothing
0.1 and ``cross_entropy_nchw`` a segmentation-shaped (N, 8, 64, 64) input
(the class dim is not the last one). binary_cross_entropy_with_logits gets a
flat vector of ``size`` logits and probability targets. All use
``reduction="mean"``. Goal: cross_entropy forward+backward time at most 1.5x
PyTorch's at 4e6 elements; the others are measured without a goal.
"""

from __future__ import annotations

import torch
import torch.nn.functional as TF

from _harness import Case

import mustknow.functional as F

_GOAL = 1.5
_GOAL_SIZE = 4_000_000
_CLASSES = 1000  # logits per row
_SEG_CLASSES, _SEG_SIDE = 8, 64  # (N, 8, 64, 64) segmentation logits


def _logits(size: int) -> tuple[torch.Tensor, torch.Tensor]:
    gen = torch.Generator().manual_seed(0)
    rows = max(size // _CLASSES, 1)
    x = (torch.randn(rows, _CLASSES, generator=gen) * 3).requires_grad_()  # (N, C)
    return x, torch.randint(0, _CLASSES, (rows,), generator=gen)  # (N,)


def _segmentation(size: int) -> tuple[torch.Tensor, torch.Tensor]:
    gen = torch.Generator().manual_seed(0)
    per_image = _SEG_CLASSES * _SEG_SIDE * _SEG_SIDE
    n = max(size // per_image, 1)
    x = (torch.randn(n, _SEG_CLASSES, _SEG_SIDE, _SEG_SIDE, generator=gen) * 3).requires_grad_()  # (N, C, H, W)
    return x, torch.randint(0, _SEG_CLASSES, (n, _SEG_SIDE, _SEG_SIDE), generator=gen)  # (N, H, W)


def _binary(size: int) -> tuple[torch.Tensor, torch.Tensor]:
    gen = torch.Generator().manual_seed(0)
    x = (torch.randn(size, generator=gen) * 3).requires_grad_()
    return x, torch.rand(size, generator=gen)


def _smooth(fn):
    return lambda x, t: fn(x, t, label_smoothing=0.1)


CASES: list[Case] = [
    Case("cross_entropy", "losses", _logits, F.cross_entropy, TF.cross_entropy, _GOAL, _GOAL_SIZE),
    Case("cross_entropy_smooth", "losses", _logits, _smooth(F.cross_entropy), _smooth(TF.cross_entropy),
         _GOAL, _GOAL_SIZE),
    Case("cross_entropy_nchw", "losses", _segmentation, F.cross_entropy, TF.cross_entropy, _GOAL, _GOAL_SIZE,
         sizes=(4_000_000,)),
    Case("bce_with_logits", "losses", _binary, F.binary_cross_entropy_with_logits,
         TF.binary_cross_entropy_with_logits),
    Case("multi_margin", "losses", _logits, F.multi_margin_loss, TF.multi_margin_loss),
]
