"""Benchmark cases: mustknow's batch, layer, instance and group norm vs ``torch.nn.functional``.

Inputs are float32 image batches (N, C, H, W) drawn from N(1, 2^2) with
affine parameters: a lab-sized batch (64, 16, 8, 8) (the digits CNN) and the
ResNet-sized (32, 64, 56, 56) at which the goal applies (forward+backward at
most 2.0x PyTorch's time). Batch norm runs in training mode and updates
running statistics; layer norm is over (C, H, W) with an elementwise affine;
group norm uses 8 groups. Another ``--sizes`` value gives (n, 16, 8, 8) with
``n = size // 1024``.
"""

from __future__ import annotations

import torch
import torch.nn.functional as TF

from _harness import Case

import mustknow.functional as F

_LAB = (64, 16, 8, 8)
_LARGE = (32, 64, 56, 56)
_SHAPES = {64 * 16 * 8 * 8: _LAB, 32 * 64 * 56 * 56: _LARGE}
_GOAL = 2.0
_GOAL_SIZE = 32 * 64 * 56 * 56
_GROUPS = 8


def _shape(size: int) -> tuple[int, int, int, int]:
    return _SHAPES.get(size, (max(size // 1024, 2), 16, 8, 8))


def _images(size: int, per_element_affine: bool = False, running: bool = False) -> tuple[torch.Tensor, ...]:
    gen = torch.Generator().manual_seed(0)
    n, c, h, w = _shape(size)
    x = (torch.randn(n, c, h, w, generator=gen) * 2 + 1).requires_grad_()
    pshape = (c, h, w) if per_element_affine else (c,)
    weight = (torch.rand(pshape, generator=gen) + 0.5).requires_grad_()
    bias = torch.randn(pshape, generator=gen).requires_grad_()
    if not running:
        return x, weight, bias
    return x, weight, bias, torch.zeros(c), torch.ones(c)


def _case(name, make_inputs, ours, peer) -> Case:
    return Case(name, "normalization", make_inputs, ours, peer, _GOAL, _GOAL_SIZE, tuple(_SHAPES))


CASES: list[Case] = [
    _case(
        "batch_norm",
        lambda size: _images(size, running=True),
        lambda x, w, b, rm, rv: F.batch_norm(x, rm, rv, w, b, training=True),
        lambda x, w, b, rm, rv: TF.batch_norm(x, rm, rv, w, b, training=True),
    ),
    _case(
        "layer_norm",
        lambda size: _images(size, per_element_affine=True),
        lambda x, w, b: F.layer_norm(x, x.shape[1:], w, b),
        lambda x, w, b: TF.layer_norm(x, x.shape[1:], w, b),
    ),
    _case(
        "instance_norm",
        _images,
        lambda x, w, b: F.instance_norm(x, weight=w, bias=b),
        lambda x, w, b: TF.instance_norm(x, weight=w, bias=b),
    ),
    _case(
        "group_norm",
        _images,
        lambda x, w, b: F.group_norm(x, _GROUPS, w, b),
        lambda x, w, b: TF.group_norm(x, _GROUPS, w, b),
    ),
]
