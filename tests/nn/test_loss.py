"""Tests for mustknow.nn.loss: modules call the functional losses with their
settings, weights are buffers that round-trip through state_dict, repr shows
the settings, and bad settings fail in the constructor."""

import pytest
import torch
import torch.nn as tnn

import mustknow.functional as F
from mustknow.nn import (
    BCEWithLogitsLoss,
    CrossEntropyLoss,
    FocalLoss,
    HingeLoss,
    LogisticLoss,
    MultiMarginLoss,
    ZeroOneLoss,
)

X = torch.randn(6, 3, generator=torch.Generator().manual_seed(0))
T = torch.tensor([0, 1, 2, 2, 1, -100])
S = X[:, 0]
Y = torch.tensor([1, -1, 1, 1, -1, -1])
P = torch.rand(6, generator=torch.Generator().manual_seed(1))
W = torch.tensor([0.5, 1.0, 2.0])

MODULES = [
    # (module, functional call with the same settings, input, target)
    (ZeroOneLoss(), lambda x, t: F.zero_one_loss(x, t), S, Y),
    (HingeLoss(margin=0.5, reduction="sum"), lambda x, t: F.hinge_loss(x, t, 0.5, "sum"), S, Y),
    (MultiMarginLoss(p=2, margin=0.5, weight=W), lambda x, t: F.multi_margin_loss(x, t, 2, 0.5, W), X, T.clamp_min(0)),
    (
        CrossEntropyLoss(weight=W, label_smoothing=0.1),
        lambda x, t: F.cross_entropy(x, t, W, label_smoothing=0.1),
        X,
        T,
    ),
    (LogisticLoss(reduction="none"), lambda x, t: F.logistic_loss(x, t, "none"), S, Y),
    (
        BCEWithLogitsLoss(weight=P, pos_weight=torch.tensor(2.0)),
        lambda x, t: F.binary_cross_entropy_with_logits(x, t, P, pos_weight=torch.tensor(2.0)),
        S,
        P,
    ),
    (FocalLoss(alpha=W, gamma=1.5), lambda x, t: F.focal_loss(x, t, W, 1.5), X, T),
    (FocalLoss(alpha=0.25), lambda x, t: F.focal_loss(x, t, 0.25), S, P),
]
IDS = ["zero_one", "hinge", "multi_margin", "cross_entropy", "logistic", "bce", "focal", "focal_binary"]


@pytest.mark.parametrize("module,functional,x,t", MODULES, ids=IDS)
def test_module_matches_functional(module, functional, x, t):
    torch.testing.assert_close(module(x, t), functional(x, t))


@pytest.mark.parametrize("module,functional,x,t", MODULES, ids=IDS)
def test_state_dict_round_trip(module, functional, x, t):
    clone = type(module)(**_settings(module))
    for buf in clone.buffers():
        buf.zero_()  # clone starts with different buffer values
    clone.load_state_dict(module.state_dict())
    torch.testing.assert_close(clone(x, t), module(x, t))
    assert set(module.state_dict()) == {name for name, _ in module.named_buffers()}


def _settings(module):
    """Constructor arguments that rebuild ``module`` (buffers cloned)."""
    names = {
        ZeroOneLoss: ("reduction",),
        HingeLoss: ("margin", "reduction"),
        MultiMarginLoss: ("p", "margin", "weight", "reduction"),
        CrossEntropyLoss: ("weight", "ignore_index", "reduction", "label_smoothing"),
        LogisticLoss: ("reduction",),
        BCEWithLogitsLoss: ("weight", "reduction", "pos_weight"),
        FocalLoss: ("alpha", "gamma", "ignore_index", "reduction"),
    }[type(module)]
    out = {}
    for name in names:
        value = getattr(module, name)
        out[name] = value.clone() if isinstance(value, torch.Tensor) else value
    return out


def test_weights_are_buffers_that_follow_dtype():
    loss = CrossEntropyLoss(weight=W.clone()).to(torch.float64)
    assert "weight" in dict(loss.named_buffers())
    assert loss.weight.dtype == torch.float64
    assert CrossEntropyLoss().state_dict() == {}


@pytest.mark.parametrize(
    "module,expected",
    [
        (HingeLoss(margin=2.0), "margin=2.0, reduction='mean'"),
        (MultiMarginLoss(p=2, weight=W), "p=2, margin=1.0, weighted=True"),
        (CrossEntropyLoss(ignore_index=0, label_smoothing=0.2), "ignore_index=0, label_smoothing=0.2"),
        (BCEWithLogitsLoss(pos_weight=W), "weighted=False, pos_weighted=True"),
        (FocalLoss(alpha=W, gamma=3.0), "alpha=per-class, gamma=3.0"),
        (FocalLoss(alpha=0.25), "alpha=0.25, gamma=2.0"),
        (ZeroOneLoss(reduction="sum"), "reduction='sum'"),
        (LogisticLoss(), "reduction='mean'"),
    ],
)
def test_repr_shows_settings(module, expected):
    assert expected in repr(module)


def test_cross_entropy_module_matches_torch_module():
    ours = CrossEntropyLoss(weight=W, ignore_index=1, label_smoothing=0.3)
    ref = tnn.CrossEntropyLoss(weight=W, ignore_index=1, label_smoothing=0.3)
    x = X.clone().requires_grad_()
    a, b = ours(x, T.clamp_min(0)), ref(x, T.clamp_min(0))
    torch.testing.assert_close(a, b)
    torch.testing.assert_close(torch.autograd.grad(a, x)[0], torch.autograd.grad(b, x)[0])


@pytest.mark.parametrize(
    "build,exc,match",
    [
        (lambda: HingeLoss(margin=-1.0), ValueError, "margin must be >= 0"),
        (lambda: MultiMarginLoss(p=3), ValueError, "p=3 must be one of 1, 2"),
        (lambda: CrossEntropyLoss(reduction="avg"), ValueError, "reduction='avg' must be one of"),
        (lambda: CrossEntropyLoss(label_smoothing=-0.1), ValueError, "label_smoothing must be >= 0"),
        (lambda: CrossEntropyLoss(ignore_index=1.5), TypeError, "ignore_index must be an int"),
        (lambda: CrossEntropyLoss(weight=[1.0, 2.0]), TypeError, "weight must be a torch.Tensor"),
        (lambda: FocalLoss(gamma=-2.0), ValueError, "gamma must be >= 0"),
        (lambda: FocalLoss(alpha=2.0), ValueError, "alpha must be <= 1"),
        (lambda: BCEWithLogitsLoss(pos_weight=3.0), TypeError, "pos_weight must be a torch.Tensor"),
    ],
)
def test_bad_settings_raise(build, exc, match):
    with pytest.raises(exc, match=match):
        build()
