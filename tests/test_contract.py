"""The generic contract every public op and module keeps.

One table gives, for every function in ``mustknow.functional.__all__``, a way to
call it and the shape ``reduction="none"`` must return; one table gives a way
to build every module in ``mustknow.nn.__all__``. A new public op or module
without an entry fails :func:`test_every_public_op_has_a_contract_case`, so the
tables cannot silently fall behind the package.

Checks: floating dtype and device are kept, ``reduction="none"`` keeps the
documented shape, modules round-trip through ``state_dict`` (same outputs
after loading into a fresh instance) and their ``repr`` shows their settings.
"""

from __future__ import annotations

import inspect

import pytest
import torch

import mustknow.functional as F
import mustknow.nn as mnn

DEVICES = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
N, C, H, W = 2, 3, 5, 5


def _x(*shape, dtype, device):
    g = torch.Generator().manual_seed(0)
    return torch.randn(*shape, generator=g, dtype=torch.float64).to(dtype=dtype, device=device)


def _idx(*shape, high=C, device):
    g = torch.Generator().manual_seed(1)
    return torch.randint(0, high, shape, generator=g).to(device)


def _pm1(*shape, dtype, device):
    return (_idx(*shape, high=2, device=device) * 2 - 1).to(dtype)


# name -> (make(dtype, device) -> (args, kwargs), shape of reduction="none" or None if no reduction)
ELEMENTWISE = ["sigmoid", "tanh", "relu", "leaky_relu", "elu", "selu", "gelu", "silu", "softplus", "mish"]
OPS = {name: (lambda d, dev: ((_x(N, C, dtype=d, device=dev),), {}), None) for name in ELEMENTWISE}
OPS.update({
    "softmax": (lambda d, dev: ((_x(N, C, dtype=d, device=dev),), {"dim": 1}), None),
    "log_softmax": (lambda d, dev: ((_x(N, C, dtype=d, device=dev),), {"dim": 1}), None),
    "zero_one_loss": (lambda d, dev: ((_x(N, dtype=d, device=dev), _pm1(N, dtype=d, device=dev)), {}), (N,)),
    "hinge_loss": (lambda d, dev: ((_x(N, dtype=d, device=dev), _pm1(N, dtype=d, device=dev)), {}), (N,)),
    "logistic_loss": (lambda d, dev: ((_x(N, dtype=d, device=dev), _pm1(N, dtype=d, device=dev)), {}), (N,)),
    "multi_margin_loss": (lambda d, dev: ((_x(N, C, dtype=d, device=dev), _idx(N, device=dev)), {}), (N,)),
    "cross_entropy": (lambda d, dev: ((_x(N, C, H, W, dtype=d, device=dev), _idx(N, H, W, device=dev)), {}), (N, H, W)),
    "focal_loss": (lambda d, dev: ((_x(N, C, H, W, dtype=d, device=dev), _idx(N, H, W, device=dev)), {}), (N, H, W)),
    "binary_cross_entropy_with_logits": (
        lambda d, dev: ((_x(N, C, dtype=d, device=dev), _x(N, C, dtype=d, device=dev).sigmoid()), {}), (N, C)),
    "dropout": (lambda d, dev: ((_x(N, C, dtype=d, device=dev),), {"p": 0.5}), None),
    "dropout2d": (lambda d, dev: ((_x(N, C, H, W, dtype=d, device=dev),), {"p": 0.5}), None),
    "gaussian_noise": (lambda d, dev: ((_x(N, C, dtype=d, device=dev),), {"std": 0.1}), None),
    "soft_threshold": (lambda d, dev: ((_x(N, C, dtype=d, device=dev), 0.5), {}), None),
    "l1_penalty": (lambda d, dev: ((_x(N, C, dtype=d, device=dev),), {}), None),
    "l2_penalty": (lambda d, dev: ((_x(N, C, dtype=d, device=dev),), {}), None),
    "batch_norm": (lambda d, dev: ((_x(N, C, H, W, dtype=d, device=dev), None, None), {"training": True}), None),
    "layer_norm": (lambda d, dev: ((_x(N, C, H, W, dtype=d, device=dev), (C, H, W)), {}), None),
    "instance_norm": (lambda d, dev: ((_x(N, C, H, W, dtype=d, device=dev),), {}), None),
    "group_norm": (lambda d, dev: ((_x(N, C, H, W, dtype=d, device=dev), 3), {}), None),
    "adversarial_loss": (lambda d, dev: ((_x(N, 1, dtype=d, device=dev),), {}), (N, 1)),
})
SEGMENTATION_NONE_SHAPE = {
    # pooled over the batch: one value per class, or one value for losses that
    # couple the classes (generalized Dice, Lovasz); pixel losses keep (N, H, W)
    "dice_loss": (C,), "jaccard_loss": (C,), "tversky_loss": (C,),
    "generalized_dice_loss": (), "lovasz_softmax": (),
    "bootstrapped_cross_entropy": (N, H, W), "ohem_cross_entropy": (N, H, W),
}
for _name, _shape in SEGMENTATION_NONE_SHAPE.items():
    OPS[_name] = (lambda d, dev: ((_x(N, C, H, W, dtype=d, device=dev), _idx(N, H, W, device=dev)), {}), _shape)
OPS["dice_ce_loss"] = (
    lambda d, dev: ((_x(N, C, H, W, dtype=d, device=dev), _idx(N, H, W, device=dev)), {}), None)

# Functions that are not ops on a float input: in-place optimiser helpers,
# class-weight estimators (they take integer targets) and result records.
NOT_OPS = {"proximal_l1_", "median_frequency_weights", "inverse_frequency_weights",
           "effective_number_weights", "OverlapStats", "LovaszSoftmaxStats"}


def test_every_public_op_has_a_contract_case():
    public = {n for n in F.__all__ if callable(getattr(F, n))}
    missing = public - set(OPS) - NOT_OPS
    assert not missing, f"add contract cases for {sorted(missing)}"


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("name", sorted(OPS))
def test_op_keeps_dtype_and_device(name, dtype, device):
    make, _ = OPS[name]
    args, kwargs = make(dtype, device)
    out = getattr(F, name)(*args, **kwargs)
    assert out.dtype == dtype and out.device.type == device
    assert torch.isfinite(out).all()


@pytest.mark.parametrize("name", sorted(n for n, (_, shape) in OPS.items() if shape is not None))
def test_reduction_none_keeps_shape_and_mean_sum_are_scalars(name):
    make, shape = OPS[name]
    args, kwargs = make(torch.float64, "cpu")
    op = getattr(F, name)
    assert op(*args, **kwargs, reduction="none").shape == torch.Size(shape)
    for reduction in ("mean", "sum"):
        assert op(*args, **kwargs, reduction=reduction).dim() == 0
    with pytest.raises(ValueError, match="reduction='avg' must be one of"):
        op(*args, **kwargs, reduction="avg")


# module name -> (build() -> module, make input(module) -> args, a setting its repr must show)
def _on(shape, target=None):
    def make(_m):
        x = _x(*shape, dtype=torch.float32, device="cpu")
        return (x,) if target is None else (x, target())
    return make


_IDX_NHW = lambda: _idx(N, H, W, device="cpu")  # noqa: E731
_SEG = _on((N, C, H, W), _IDX_NHW)
MODULES = {
    "Sigmoid": (mnn.Sigmoid, _on((N, C)), None), "Tanh": (mnn.Tanh, _on((N, C)), None),
    "ReLU": (mnn.ReLU, _on((N, C)), None), "SELU": (mnn.SELU, _on((N, C)), None),
    "SiLU": (mnn.SiLU, _on((N, C)), None), "Mish": (mnn.Mish, _on((N, C)), None),
    "LeakyReLU": (lambda: mnn.LeakyReLU(0.2), _on((N, C)), "0.2"),
    "ELU": (lambda: mnn.ELU(0.7), _on((N, C)), "0.7"),
    "GELU": (lambda: mnn.GELU("tanh"), _on((N, C)), "tanh"),
    "Softplus": (lambda: mnn.Softplus(beta=2.0), _on((N, C)), "2.0"),
    "Softmax": (lambda: mnn.Softmax(dim=1), _on((N, C)), "dim=1"),
    "LogSoftmax": (lambda: mnn.LogSoftmax(dim=1), _on((N, C)), "dim=1"),
    "ZeroOneLoss": (lambda: mnn.ZeroOneLoss(reduction="sum"), _on((N,), lambda: _pm1(N, dtype=torch.float32, device="cpu")), "sum"),
    "HingeLoss": (lambda: mnn.HingeLoss(margin=0.5), _on((N,), lambda: _pm1(N, dtype=torch.float32, device="cpu")), "0.5"),
    "LogisticLoss": (lambda: mnn.LogisticLoss(reduction="sum"), _on((N,), lambda: _pm1(N, dtype=torch.float32, device="cpu")), "sum"),
    "MultiMarginLoss": (lambda: mnn.MultiMarginLoss(p=2, weight=torch.ones(C)), _on((N, C), lambda: _idx(N, device="cpu")), "p=2"),
    "CrossEntropyLoss": (lambda: mnn.CrossEntropyLoss(weight=torch.arange(1.0, C + 1), label_smoothing=0.1), _SEG, "0.1"),
    "BCEWithLogitsLoss": (lambda: mnn.BCEWithLogitsLoss(pos_weight=torch.full((C,), 2.0)), _on((N, C), lambda: torch.rand(N, C)), "mean"),
    "FocalLoss": (lambda: mnn.FocalLoss(gamma=1.5), _SEG, "1.5"),
    "Dropout": (lambda: mnn.Dropout(0.3), _on((N, C)), "0.3"),
    "Dropout2d": (lambda: mnn.Dropout2d(0.3), _on((N, C, H, W)), "0.3"),
    "GaussianNoise": (lambda: mnn.GaussianNoise(0.25), _on((N, C)), "0.25"),
    "MultiTaskLoss": (lambda: mnn.MultiTaskLoss(2, weighting="uncertainty"),
                      lambda _m: ([torch.tensor(1.0), torch.tensor(2.0)],), "uncertainty"),
    "BatchNorm1d": (lambda: mnn.BatchNorm1d(C, momentum=0.2), _on((N, C)), "0.2"),
    "BatchNorm2d": (lambda: mnn.BatchNorm2d(C, momentum=0.2), _on((N, C, H, W)), "0.2"),
    "LayerNorm": (lambda: mnn.LayerNorm((H, W)), _on((N, C, H, W)), "(5, 5)"),
    "InstanceNorm2d": (lambda: mnn.InstanceNorm2d(C, affine=True), _on((N, C, H, W)), "affine=True"),
    "GroupNorm": (lambda: mnn.GroupNorm(3, 6), _on((N, 6, H, W)), "3"),
    "PlainBlock": (lambda: mnn.PlainBlock(C, 4, activation="tanh", norm="batch"), _on((N, C)), "Tanh"),
    "ResidualBlock": (lambda: mnn.ResidualBlock(C, activation="elu", norm="layer"), _on((N, C)), "ELU"),
    "MLP": (lambda: mnn.make_mlp(C, 2, depth=2, width=4, norm="batch"), _on((N, C)), "BatchNorm1d"),
    "CNN": (lambda: mnn.make_cnn(1, 2, depth=2, channels=4, norm="group"), _on((N, 1, 8, 8)), "GroupNorm"),
    "UNet": (lambda: mnn.UNet(1, 3, base_channels=4, levels=2), _on((N, 1, 8, 8)), "BatchNorm2d"),
    "DiceLoss": (lambda: mnn.DiceLoss(smooth=0.5), _SEG, "0.5"),
    "GeneralizedDiceLoss": (lambda: mnn.GeneralizedDiceLoss(w_type="simple"), _SEG, "simple"),
    "JaccardLoss": (lambda: mnn.JaccardLoss(smooth=0.5), _SEG, "0.5"),
    "TverskyLoss": (lambda: mnn.TverskyLoss(alpha=0.4, beta=0.6), _SEG, "0.4"),
    "LovaszSoftmaxLoss": (lambda: mnn.LovaszSoftmaxLoss(classes="all"), _SEG, "all"),
    "BootstrappedCrossEntropyLoss": (lambda: mnn.BootstrappedCrossEntropyLoss(k=0.25), _SEG, "0.25"),
    "OHEMCrossEntropyLoss": (lambda: mnn.OHEMCrossEntropyLoss(thresh=0.6, min_kept=5), _SEG, "0.6"),
    "DiceCELoss": (lambda: mnn.DiceCELoss(lambda_dice=0.5), _SEG, "0.5"),
    "SegmentationDiscriminator": (lambda: mnn.SegmentationDiscriminator(1, C, base_channels=4, depth=2),
                                  lambda _m: (_x(N, 1, 8, 8, dtype=torch.float32, device="cpu"),
                                              torch.rand(N, C, 8, 8).softmax(1)), "Conv2d"),
}
# Public names in mustknow.nn that are not modules: helpers, constants, EarlyStopping (a callback).
NOT_MODULES = {"EarlyStopping"}


def test_every_public_module_has_a_contract_case():
    classes = {n for n in mnn.__all__
               if inspect.isclass(getattr(mnn, n)) and issubclass(getattr(mnn, n), torch.nn.Module)}
    assert not (classes - set(MODULES) - NOT_MODULES), f"add contract cases for {sorted(classes - set(MODULES))}"


def _forward(module, args):
    out = module(*args)
    return out[0] if isinstance(out, tuple) else out


@pytest.mark.parametrize("name", sorted(MODULES))
def test_module_state_dict_round_trip_and_repr(name):
    build, make_input, shown = MODULES[name]
    torch.manual_seed(0)
    a = build()
    torch.manual_seed(1)
    b = build()
    a.eval()
    b.eval()
    args = make_input(a)
    b.load_state_dict(a.state_dict())
    for key, value in a.state_dict().items():
        assert torch.equal(value, b.state_dict()[key]), key
    if name not in {"Dropout", "Dropout2d", "GaussianNoise"}:  # identity in eval mode anyway
        torch.testing.assert_close(_forward(a, args), _forward(b, args))
    if shown is not None:
        assert shown in repr(a), f"repr of {name} should show {shown!r}: {a!r}"


@pytest.mark.parametrize("name", sorted(MODULES))
def test_module_keeps_float64(name):
    build, make_input, _ = MODULES[name]
    module = build().double().train()
    args = [a.double() if torch.is_tensor(a) and a.is_floating_point() else a for a in make_input(module)]
    if name == "MultiTaskLoss":
        args = [[t.double() for t in args[0]]]
    assert _forward(module, args).dtype == torch.float64
