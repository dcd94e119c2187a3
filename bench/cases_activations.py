"""Benchmark cases: mustknow's activations, softmax and log_softmax vs ``torch.nn.functional``.

Elementwise ops get a flat float32 vector of ``size`` elements drawn from
N(0, 3^2) (both branches of every kink and the saturated tails are hit);
softmax and log_softmax get ``(size // 1000, 1000)`` logits normalised over
the last dim (a classifier's batch of 1000-way logits). Goal: forward+backward
time at most 2.0x PyTorch's at 4e6 elements.
"""

from __future__ import annotations

import torch
import torch.nn.functional as TF

from _harness import Case

import mustknow.functional as F

_GOAL = 2.0
_GOAL_SIZE = 4_000_000
_CLASSES = 1000  # softmax row length


def _vector(size: int) -> tuple[torch.Tensor]:
    gen = torch.Generator().manual_seed(0)
    return ((torch.randn(size, generator=gen) * 3).requires_grad_(),)


def _logits(size: int) -> tuple[torch.Tensor]:
    gen = torch.Generator().manual_seed(0)
    rows = max(size // _CLASSES, 1)
    return ((torch.randn(rows, _CLASSES, generator=gen) * 3).requires_grad_(),)  # (N, C)


def _elementwise(name, ours, peer) -> Case:
    return Case(name, "activations", _vector, ours, peer, _GOAL, _GOAL_SIZE)


CASES: list[Case] = [
    _elementwise("sigmoid", F.sigmoid, torch.sigmoid),
    _elementwise("tanh", F.tanh, torch.tanh),
    _elementwise("relu", F.relu, TF.relu),
    _elementwise("leaky_relu", F.leaky_relu, TF.leaky_relu),
    _elementwise("elu", F.elu, TF.elu),
    _elementwise("selu", F.selu, TF.selu),
    _elementwise("gelu", F.gelu, TF.gelu),
    _elementwise("gelu_tanh", lambda x: F.gelu(x, "tanh"), lambda x: TF.gelu(x, approximate="tanh")),
    _elementwise("silu", F.silu, TF.silu),
    _elementwise("softplus", F.softplus, TF.softplus),
    _elementwise("mish", F.mish, TF.mish),
    Case("softmax", "activations", _logits, lambda x: F.softmax(x, -1), lambda x: TF.softmax(x, -1),
         _GOAL, _GOAL_SIZE),
    Case("log_softmax", "activations", _logits, lambda x: F.log_softmax(x, -1), lambda x: TF.log_softmax(x, -1),
         _GOAL, _GOAL_SIZE),
]
