"""Tests for mustknow.nn.segmentation."""

import pytest
import torch

import mustknow.functional as MF
from mustknow import nn as mnn

X = torch.randn(2, 3, 8, 8)
Y = torch.randint(0, 3, (2, 8, 8))
W = torch.tensor([1.0, 2.0, 0.5])

needs_ce = pytest.mark.skipif(not hasattr(MF, "cross_entropy"), reason="cross_entropy not available")

MODULES = [
    (mnn.DiceLoss(weight=W, per_image=True, squared_pred=True),
     lambda x, y: MF.dice_loss(x, y, weight=W, per_image=True, squared_pred=True)),
    (mnn.JaccardLoss(smooth=0.5, include_background=False),
     lambda x, y: MF.jaccard_loss(x, y, smooth=0.5, include_background=False)),
    (mnn.TverskyLoss(alpha=0.2, beta=0.8, reduction="none"),
     lambda x, y: MF.tversky_loss(x, y, 0.2, 0.8, reduction="none")),
    (mnn.GeneralizedDiceLoss(w_type="simple", per_image=True),
     lambda x, y: MF.generalized_dice_loss(x, y, "simple", per_image=True)),
    (mnn.LovaszSoftmaxLoss(classes="all", per_image=True, weight=W),
     lambda x, y: MF.lovasz_softmax(x, y, "all", True, weight=W)),
]
CE_MODULES = [
    (mnn.BootstrappedCrossEntropyLoss(k=10, weight=W), lambda x, y: MF.bootstrapped_cross_entropy(x, y, 10, W)),
    (mnn.OHEMCrossEntropyLoss(0.6, 20), lambda x, y: MF.ohem_cross_entropy(x, y, 0.6, 20)),
    (mnn.DiceCELoss(0.3, 0.7, weight=W), lambda x, y: MF.dice_ce_loss(x, y, 0.3, 0.7, W)),
]


def _check_module(module, fn):
    torch.testing.assert_close(module(X, Y), fn(X, Y))
    state = module.state_dict()
    if module.weight is not None:
        torch.testing.assert_close(state["weight"], W)
        assert module.double().weight.dtype == torch.float64
        assert module(X.double(), Y).dtype == torch.float64


@pytest.mark.parametrize("module,fn", MODULES, ids=[type(m).__name__ for m, _ in MODULES])
def test_module_matches_functional(module, fn):
    _check_module(module, fn)


@needs_ce
@pytest.mark.parametrize("module,fn", CE_MODULES, ids=[type(m).__name__ for m, _ in CE_MODULES])
def test_ce_module_matches_functional(module, fn):
    _check_module(module, fn)


def test_module_bad_arguments():
    with pytest.raises(ValueError, match=r"alpha \+ beta must be > 0"):
        mnn.TverskyLoss(alpha=0.0, beta=0.0)
    with pytest.raises(ValueError, match="w_type='x' must be one of"):
        mnn.GeneralizedDiceLoss(w_type="x")
    with pytest.raises(TypeError, match="weight must be a floating-point tensor"):
        mnn.DiceLoss(weight=torch.tensor([1, 2, 3]))


@pytest.mark.parametrize("patch,shape", [(False, (2,)), (True, (2, 2, 2))])
def test_discriminator_shapes(patch, shape):
    d = mnn.SegmentationDiscriminator(1, 3, base_channels=4, depth=3, patch=patch)
    out = d(torch.randn(2, 1, 16, 16), torch.rand(2, 3, 16, 16))
    assert out.shape == shape


def test_discriminator_bad_input():
    d = mnn.SegmentationDiscriminator(1, 3, base_channels=4, depth=2)
    with pytest.raises(ValueError, match=r"expected image \(N, 1, H, W\) and label_map \(2, 3, 8, 8\)"):
        d(torch.randn(2, 1, 8, 8), torch.rand(2, 4, 8, 8))
    with pytest.raises(ValueError, match="label_map must be 4-D"):
        d(torch.randn(2, 1, 8, 8), torch.rand(2, 3, 8))
    with pytest.raises(ValueError, match="depth must be >= 1"):
        mnn.SegmentationDiscriminator(1, 3, depth=0)


@needs_ce
def test_adversarial_training_step_updates_both_and_restores_flags():
    torch.manual_seed(0)
    seg = torch.nn.Conv2d(1, 3, 3, padding=1)
    disc = mnn.SegmentationDiscriminator(1, 3, base_channels=4, depth=2)
    o_s = torch.optim.SGD(seg.parameters(), lr=0.1)
    o_d = torch.optim.SGD(disc.parameters(), lr=0.1)
    images = torch.randn(4, 1, 8, 8)
    masks = torch.randint(0, 3, (4, 8, 8))
    masks[0, 0] = -100
    seg_before = [p.detach().clone() for p in seg.parameters()]
    disc_before = [p.detach().clone() for p in disc.parameters()]
    out = mnn.adversarial_training_step(seg, disc, o_s, o_d, images, masks, lambda_adv=0.5)
    assert set(out) == {"disc_loss", "seg_ce", "seg_adv", "seg_loss"}
    assert all(isinstance(v, float) for v in out.values())
    assert out["seg_loss"] == pytest.approx(out["seg_ce"] + 0.5 * out["seg_adv"], rel=1e-6)
    assert out["disc_loss"] > 0 and out["seg_adv"] > 0
    assert any(not torch.equal(a, b) for a, b in zip(seg_before, seg.parameters()))
    assert any(not torch.equal(a, b) for a, b in zip(disc_before, disc.parameters()))
    assert all(p.requires_grad for p in disc.parameters())


@needs_ce
def test_adversarial_training_discriminator_learns():
    # A segmenter stuck on uniform probabilities is easy to tell from one-hot maps: the
    # discriminator's loss must fall below its starting value log(4) = 2 log 2 over a few steps.
    torch.manual_seed(0)
    seg = torch.nn.Conv2d(1, 3, 1)
    disc = mnn.SegmentationDiscriminator(1, 3, base_channels=4, depth=2)
    o_s = torch.optim.SGD(seg.parameters(), lr=0.0)
    o_d = torch.optim.Adam(disc.parameters(), lr=3e-2)
    images, masks = torch.randn(8, 1, 8, 8), torch.randint(0, 3, (8, 8, 8))
    losses = [mnn.adversarial_training_step(seg, disc, o_s, o_d, images, masks)["disc_loss"] for _ in range(10)]
    assert losses[-1] < 0.5 * losses[0]


def test_repr_shows_options():
    assert "w_type='simple'" in repr(mnn.GeneralizedDiceLoss(w_type="simple"))
    assert "alpha=0.2, beta=0.8" in repr(mnn.TverskyLoss(alpha=0.2, beta=0.8))
    assert "squared_pred=True" in repr(mnn.DiceLoss(squared_pred=True))
    assert "classes='all'" in repr(mnn.LovaszSoftmaxLoss(classes="all"))
    assert "k=0.25" in repr(mnn.BootstrappedCrossEntropyLoss(k=0.25))
    assert "min_kept=5" in repr(mnn.OHEMCrossEntropyLoss(min_kept=5))
    assert "lambda_dice=0.5" in repr(mnn.DiceCELoss(lambda_dice=0.5))
