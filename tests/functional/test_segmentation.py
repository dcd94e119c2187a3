"""Tests for mustknow.functional.segmentation."""

import functools
import math

import pytest
import torch
import torch.nn.functional as F

import mustknow.functional as MF
from mustknow.functional import segmentation as S

monai_losses = pytest.importorskip("monai.losses")
kornia_losses = pytest.importorskip("kornia.losses")

OVERLAP = {
    "dice": S.dice_loss,
    "dice_sq": lambda *a, **k: S.dice_loss(*a, squared_pred=True, **k),
    "jaccard": S.jaccard_loss,
    "jaccard_sq": lambda *a, **k: S.jaccard_loss(*a, squared_pred=True, **k),
    "tversky": S.tversky_loss,
    "gdl": S.generalized_dice_loss,
}

# fast mode: checks random projections of the Jacobian, enough to catch a wrong backward
gradcheck = functools.partial(torch.autograd.gradcheck, fast_mode=True)

needs_ce = pytest.mark.skipif(
    not hasattr(MF, "cross_entropy") or not hasattr(MF, "softplus"), reason="cross_entropy/softplus not available"
)


def logits_of(p):
    """Logits whose softmax over dim 1 is ``p`` (p sums to 1 over dim 1)."""
    return p.log()


def as_map(values, c):
    """(C, S) nested list -> (1, C, 1, S) float64 tensor."""
    return torch.tensor(values, dtype=torch.float64).reshape(1, c, 1, -1)


# --------------------------------------------------------------------------- #
# hand-computed toy cases
# --------------------------------------------------------------------------- #

# binary probabilities p = [.8, .2, .6, 0], target [1, 0, 1, 0]: I = 1.4, FP = .2, FN = .6,
# sum p^2 = 1.04, sum t^2 = 2.
BIN_P = as_map([[0.8, 0.2, 0.6, 0.0]], 1)
BIN_Y = torch.tensor([[[1, 0, 1, 0]]])
# two classes, two pixels, y = [0, 1]: class 0 (I, FP, FN) = (.9, .3, .1), class 1 = (.7, .1, .3)
MC_P = as_map([[0.9, 0.3], [0.1, 0.7]], 2)
MC_Y = torch.tensor([[[0, 1]]])
# soft target equal to a soft prediction
SOFT = as_map([[0.5, 0.5]], 1)

TOY = [
    ("dice binary", lambda: S.dice_loss(BIN_P, BIN_Y, "binary", False, smooth=0.0), 0.8 / 3.6),
    ("dice binary smooth 1", lambda: S.dice_loss(BIN_P, BIN_Y, "binary", False, smooth=1.0), 0.8 / 4.6),
    ("dice binary squared", lambda: S.dice_loss(BIN_P, BIN_Y, "binary", False, smooth=0.0, squared_pred=True),
     1 - 2.8 / 3.04),
    ("jaccard binary", lambda: S.jaccard_loss(BIN_P, BIN_Y, "binary", False, smooth=0.0), 0.8 / 2.2),
    ("jaccard binary squared",
     lambda: S.jaccard_loss(BIN_P, BIN_Y, "binary", False, smooth=0.0, squared_pred=True), 1 - 1.4 / 1.64),
    ("tversky binary", lambda: S.tversky_loss(BIN_P, BIN_Y, 0.3, 0.7, "binary", False, smooth=0.0),
     0.48 / 1.88),
    ("dice soft p == t", lambda: S.dice_loss(SOFT, SOFT, "binary", False, smooth=0.0), 0.0),
    ("jaccard soft p == t", lambda: S.jaccard_loss(SOFT, SOFT, "binary", False, smooth=0.0), 0.0),
    ("dice multiclass", lambda: S.dice_loss(logits_of(MC_P), MC_Y, smooth=0.0), (2 / 11 + 2 / 9) / 2),
    ("dice no background", lambda: S.dice_loss(logits_of(MC_P), MC_Y, smooth=0.0, include_background=False),
     2 / 9),
    ("dice weighted", lambda: S.dice_loss(logits_of(MC_P), MC_Y, smooth=0.0,
                                          weight=torch.tensor([3.0, 1.0], dtype=torch.float64)),
     (3 * 2 / 11 + 2 / 9) / 4),
    ("jaccard multiclass", lambda: S.jaccard_loss(logits_of(MC_P), MC_Y, smooth=0.0), (4 / 13 + 4 / 11) / 2),
    ("gdl multiclass", lambda: S.generalized_dice_loss(logits_of(MC_P), MC_Y, smooth=0.0), 0.8 / 4.0),
    # T = (2, 1) with y = [0, 0, 1]: p0 = [.9, .6, .3] -> class 0 (I, FP, FN) = (1.5, .3, .5), class 1 = (.7, .5, .3)
    ("gdl square",
     lambda: S.generalized_dice_loss(logits_of(as_map([[0.9, 0.6, 0.3], [0.1, 0.4, 0.7]], 2)),
                                     torch.tensor([[[0, 0, 1]]]), smooth=0.0),
     (0.8 / 4 + 0.8) / (3.8 / 4 + 2.2)),
    ("gdl simple",
     lambda: S.generalized_dice_loss(logits_of(as_map([[0.9, 0.6, 0.3], [0.1, 0.4, 0.7]], 2)),
                                     torch.tensor([[[0, 0, 1]]]), "simple", smooth=0.0),
     (0.8 / 2 + 0.8) / (3.8 / 2 + 2.2)),
    # Lovasz: class 0 errors [.1, .3] -> g = [.5, .5], loss .2; class 1 errors [.1, .3] -> g = [1, 0], loss .3
    ("lovasz multiclass", lambda: S.lovasz_softmax(logits_of(MC_P), MC_Y), 0.25),
    ("median frequency", lambda: S.median_frequency_weights(torch.tensor([[0, 0, 0, 1], [0, 2, -100, -100]]), 4),
     [0.75, 2.0, 1.0, 2.0]),
    ("inverse frequency", lambda: S.inverse_frequency_weights(torch.tensor([[0, 0, 0, 1, 5]]), 3, ignore_index=5),
     [4 / 6, 2.0, 2.0]),
    ("effective number", lambda: S.effective_number_weights(torch.tensor([[0, 0, 0, 1]]), 2, beta=0.5),
     [2 * (1 / 1.75) / (1 / 1.75 + 1), 2 * 1 / (1 / 1.75 + 1)]),
    ("effective number beta 0", lambda: S.effective_number_weights(torch.tensor([[0, 0, 1]]), 3, beta=0.0),
     [1.0, 1.0, 1.0]),
]


@pytest.mark.parametrize("name,fn,expected", TOY, ids=[t[0] for t in TOY])
def test_toy_cases(name, fn, expected):
    out = fn()
    torch.testing.assert_close(out.double(), torch.tensor(expected, dtype=torch.float64), rtol=1e-6, atol=1e-7)


# --------------------------------------------------------------------------- #
# hand-written backward: float64 gradcheck
# --------------------------------------------------------------------------- #


def _inputs(c=3, mode="multiclass", ignore=True, seed=0):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(2, c, 3, 4, dtype=torch.float64, generator=g, requires_grad=True)
    y = torch.randint(0, 2 if mode == "binary" else c, (2, 3, 4), generator=g)
    if ignore:
        y[0, 0, :2] = -100
    return x, y


@pytest.mark.parametrize("name", sorted(OVERLAP))
@pytest.mark.parametrize("per_image", [False, True])
def test_gradcheck_overlap_index(name, per_image):
    x, y = _inputs()
    fn = OVERLAP[name]
    assert gradcheck(lambda x: fn(x, y, per_image=per_image), (x,))


@pytest.mark.parametrize("name", sorted(OVERLAP))
@pytest.mark.parametrize("mode", ["multiclass", "multilabel", "binary"])
def test_gradcheck_overlap_soft(name, mode):
    g = torch.Generator().manual_seed(1)
    c = 1 if mode == "binary" else 3
    x = torch.randn(2, c, 3, 4, dtype=torch.float64, generator=g, requires_grad=True)
    t = torch.rand(2, c, 3, 4, dtype=torch.float64, generator=g)
    if mode == "multiclass":
        t = t / t.sum(1, keepdim=True)
    fn = OVERLAP[name]
    assert gradcheck(lambda x: fn(x, t, mode=mode, reduction="sum"), (x,))


@pytest.mark.parametrize("name", sorted(OVERLAP))
def test_gradcheck_binary_index_and_probabilities(name):
    fn = OVERLAP[name]
    x, y = _inputs(c=1, mode="binary")
    assert gradcheck(lambda x: fn(x, y, mode="binary"), (x,))
    x, y = _inputs()
    p = torch.softmax(x.detach(), 1).requires_grad_()
    assert gradcheck(lambda p: fn(p, y, from_logits=False, per_image=True), (p,))


@pytest.mark.parametrize("per_image", [False, True])
@pytest.mark.parametrize("classes", ["present", "all"])
def test_gradcheck_lovasz(per_image, classes):
    x, y = _inputs(c=3)
    w = torch.tensor([1.0, 2.0, 0.5], dtype=torch.float64)
    assert gradcheck(lambda x: S.lovasz_softmax(x, y, classes, per_image, weight=w), (x,))


@needs_ce
def test_gradcheck_ce_based():
    x, y = _inputs()
    w = torch.tensor([1.0, 2.0, 0.5], dtype=torch.float64)
    assert gradcheck(lambda x: S.bootstrapped_cross_entropy(x, y, k=5, weight=w), (x,))
    assert gradcheck(lambda x: S.ohem_cross_entropy(x, y, 0.5, 4, weight=w), (x,))
    assert gradcheck(lambda x: S.dice_ce_loss(x, y, 0.7, 0.3, weight=w), (x,))
    t = torch.rand(2, 3, 3, 4, dtype=torch.float64, generator=torch.Generator().manual_seed(7))
    t = t / t.sum(1, keepdim=True)
    assert gradcheck(lambda x: S.dice_ce_loss(x, t, weight=w), (x,))
    f, r = torch.randn(4, dtype=torch.float64, requires_grad=True), torch.randn(4, dtype=torch.float64)
    assert gradcheck(lambda f: S.adversarial_loss(f, r), (f,))
    assert gradcheck(lambda f: S.adversarial_loss(f), (f,))


# --------------------------------------------------------------------------- #
# cross-checks against MONAI and kornia (values and gradients)
# --------------------------------------------------------------------------- #


def _compare(ours, theirs, x, rtol=1e-9):
    a = ours(x)
    (ga,) = torch.autograd.grad(a, x)
    b = theirs(x)
    (gb,) = torch.autograd.grad(b, x)
    torch.testing.assert_close(a, b.to(a.dtype), rtol=rtol, atol=1e-3 * rtol)
    torch.testing.assert_close(ga, gb, rtol=10 * rtol, atol=1e-3 * rtol)


@pytest.mark.parametrize("per_image", [False, True])
@pytest.mark.parametrize("include_background", [True, False])
@pytest.mark.parametrize("squared", [False, True])
@pytest.mark.parametrize("jaccard", [False, True])
def test_matches_monai_dice(per_image, include_background, squared, jaccard):
    # MONAI: 1 - (2 tp + nr) / (2 (tp + k fp + k fn) + dr), k = 1/2 (Dice) or 1 (Jaccard), mean over (N, C)
    # (batch=False) or over C (batch=True). Ours with smooth s equals it for nr = dr = s (Dice) and
    # nr = dr = 2 s (Jaccard), per_image = not batch. With squared_pred MONAI forms sum(pt) as
    # (|p|^2 + |t|^2 - |p - t|^2) / 2 from vector norms, which differs from the direct sum by ~1e-8.
    x, y = _inputs(c=4, ignore=False)
    s = 0.5
    smooth_monai = 2 * s if jaccard else s
    ref = monai_losses.DiceLoss(
        include_background=include_background, to_onehot_y=True, softmax=True, squared_pred=squared,
        jaccard=jaccard, smooth_nr=smooth_monai, smooth_dr=smooth_monai, batch=not per_image,
    )
    ours = S.jaccard_loss if jaccard else S.dice_loss
    _compare(
        lambda x: ours(x, y, include_background=include_background, per_image=per_image, smooth=s,
                       squared_pred=squared),
        lambda x: ref(x, y.unsqueeze(1)),
        x,
        rtol=1e-6 if squared else 1e-9,
    )


def test_matches_monai_sigmoid_and_soft_label():
    # multilabel sigmoid Dice vs MONAI's sigmoid=True; soft targets vs MONAI's soft_label=True (the L1 form).
    g = torch.Generator().manual_seed(3)
    x = torch.randn(2, 3, 4, 4, dtype=torch.float64, generator=g, requires_grad=True)
    t = torch.rand(2, 3, 4, 4, dtype=torch.float64, generator=g)
    ref = monai_losses.DiceLoss(sigmoid=True, soft_label=True, smooth_nr=1.0, smooth_dr=1.0)
    _compare(lambda x: S.dice_loss(x, t, "multilabel", per_image=True), lambda x: ref(x, t), x)
    t = t / t.sum(1, keepdim=True)
    ref = monai_losses.DiceLoss(softmax=True, soft_label=True, jaccard=True, smooth_nr=2.0, smooth_dr=2.0)
    _compare(lambda x: S.jaccard_loss(x, t, per_image=True), lambda x: ref(x, t), x)


@pytest.mark.parametrize("w_type", ["square", "simple", "uniform"])
@pytest.mark.parametrize("per_image", [False, True])
def test_matches_monai_generalized_dice(w_type, per_image):
    # MONAI: 1 - (2 sum w tp + nr) / (sum w (2 tp + fp + fn) + dr); infinite weights (absent classes)
    # replaced by the max finite weight of the sample (batch=False) or batch (batch=True): our rule.
    # MONAI computes the weights in float32, hence the tolerance.
    x, y = _inputs(c=4, ignore=False)
    y[0][y[0] == 3] = 2  # class 3 absent from image 0
    ref = monai_losses.GeneralizedDiceLoss(
        to_onehot_y=True, softmax=True, w_type=w_type, smooth_nr=1e-5, smooth_dr=1e-5, batch=not per_image
    )
    _compare(
        lambda x: S.generalized_dice_loss(x, y, w_type, per_image=per_image, smooth=1e-5),
        lambda x: ref(x, y.unsqueeze(1)),
        x,
        rtol=1e-6,
    )


@pytest.mark.parametrize("per_image", [False, True])
def test_matches_monai_tversky(per_image):
    # MONAI: 1 - (tp + nr) / (tp + alpha fp + beta fn + dr); ours with nr = dr = smooth.
    x, y = _inputs(c=3, ignore=False)
    ref = monai_losses.TverskyLoss(
        to_onehot_y=True, softmax=True, alpha=0.3, beta=0.7, smooth_nr=1.0, smooth_dr=1.0, batch=not per_image
    )
    _compare(lambda x: S.tversky_loss(x, y, 0.3, 0.7, per_image=per_image), lambda x: ref(x, y.unsqueeze(1)), x)


def test_matches_kornia_lovasz():
    # kornia: one loss per image over all C classes, mean over the batch = classes="all", per_image=True.
    x, y = _inputs(c=4, ignore=False)
    _compare(
        lambda x: S.lovasz_softmax(x, y, classes="all", per_image=True),
        lambda x: kornia_losses.lovasz_softmax_loss(x, y),
        x,
    )


def test_matches_kornia_dice():
    # kornia average="macro": per image, mean over the classes present in the image, eps in the
    # denominator only. With every class present in every image and eps = smooth = 0 this is
    # dice_loss(per_image=True, smooth=0).
    x, _ = _inputs(c=3, ignore=False)
    y = torch.arange(24).remainder(3).view(2, 3, 4)
    _compare(
        lambda x: S.dice_loss(x, y, per_image=True, smooth=0.0),
        lambda x: kornia_losses.dice_loss(x, y, average="macro", eps=0.0),
        x,
    )


# --------------------------------------------------------------------------- #
# properties
# --------------------------------------------------------------------------- #


@pytest.mark.parametrize("name", sorted(OVERLAP))
@pytest.mark.parametrize("mode", ["multiclass", "multilabel", "binary"])
def test_minimal_when_prediction_equals_soft_target(name, mode):
    fn = OVERLAP[name]
    g = torch.Generator().manual_seed(4)
    c = 1 if mode == "binary" else 3
    t = torch.rand(2, c, 4, 4, dtype=torch.float64, generator=g)
    if mode == "multiclass":
        t = t / t.sum(1, keepdim=True)
        x = t.log()
    else:
        x = torch.log(t) - torch.log1p(-t)  # sigmoid(x) = t
    at_target = fn(x, t, mode=mode)
    assert abs(float(at_target)) < 1e-12
    for _ in range(5):
        other = fn(x + 0.3 * torch.randn(x.shape, dtype=x.dtype, generator=g), t, mode=mode)
        assert float(other) > float(at_target)


def test_product_form_would_not_be_minimal():
    # Documents the choice: with t = 0.5 the product Dice 1 - 2 sum pt / (sum p + sum t) prefers p = 1.
    t = torch.full((1, 1, 2, 2), 0.5, dtype=torch.float64)
    product = lambda p: 1 - 2 * (p * t).sum() / (p.sum() + t.sum())  # noqa: E731
    assert product(torch.ones_like(t)) < product(t)
    assert S.dice_loss(t, t, "binary", False, smooth=0.0) < S.dice_loss(torch.ones_like(t), t, "binary", False, smooth=0.0)


def _all_losses():
    losses = {k: v for k, v in OVERLAP.items()}
    losses["lovasz"] = lambda x, y, per_image=False: S.lovasz_softmax(x, y, per_image=per_image)
    if hasattr(MF, "cross_entropy"):
        losses["bootstrap"] = lambda x, y, per_image=False: S.bootstrapped_cross_entropy(x, y, k=6)
        losses["ohem"] = lambda x, y, per_image=False: S.ohem_cross_entropy(x, y, 0.6, 5)
        losses["dice_ce"] = lambda x, y, per_image=False: S.dice_ce_loss(x, y, per_image=per_image)
    return losses


@pytest.mark.parametrize("name", sorted(_all_losses()))
@pytest.mark.parametrize("per_image", [False, True])
def test_ignored_pixels_zero_gradient_and_no_effect(name, per_image):
    fn = _all_losses()[name]
    x, y = _inputs(c=3, ignore=True)
    ignored = (y == -100).unsqueeze(1).expand_as(x)
    loss = fn(x, y, per_image=per_image)
    (grad,) = torch.autograd.grad(loss, x)
    assert torch.all(grad[ignored] == 0)
    x2 = x.detach().clone()
    x2[ignored] = torch.randn(int(ignored.sum()), dtype=x.dtype) * 50
    x2.requires_grad_()
    loss2 = fn(x2, y, per_image=per_image)
    (grad2,) = torch.autograd.grad(loss2, x2)
    torch.testing.assert_close(loss2, loss, rtol=1e-12, atol=1e-14)
    torch.testing.assert_close(grad2, grad, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("name", sorted(_all_losses()))
@pytest.mark.parametrize("per_image", [False, True])
@pytest.mark.parametrize("case", ["empty", "all_ignored"])
def test_empty_masks_and_absent_classes_are_finite(name, per_image, case):
    fn = _all_losses()[name]
    x = torch.randn(2, 3, 4, 4, dtype=torch.float64, requires_grad=True)
    y = torch.zeros(2, 4, 4, dtype=torch.long) if case == "empty" else torch.full((2, 4, 4), -100)
    loss = fn(x, y, per_image=per_image)
    (grad,) = torch.autograd.grad(loss, x)
    assert torch.isfinite(loss) and torch.isfinite(grad).all()
    if case == "all_ignored":
        assert float(loss.detach()) == 0.0 and torch.all(grad == 0)


@pytest.mark.parametrize("name", sorted(OVERLAP))
def test_absent_from_target_and_prediction_scores_zero(name):
    # smooth = 0, class 2 absent from target and with exactly zero predicted probability: no 0/0.
    p = torch.tensor([[[[0.6, 0.0]], [[0.4, 1.0]], [[0.0, 0.0]]]], dtype=torch.float64, requires_grad=True)
    y = torch.tensor([[[0, 1]]])
    loss = OVERLAP[name](p, y, from_logits=False, smooth=0.0, reduction="none")
    (grad,) = torch.autograd.grad(loss.sum(), p)
    assert torch.isfinite(loss).all() and torch.isfinite(grad).all()
    if name != "gdl":
        assert float(loss[2].detach()) == 0.0


@pytest.mark.parametrize("name", sorted(OVERLAP) + ["lovasz"])
def test_per_image_equals_pooled_for_one_image(name):
    fn = {**OVERLAP, "lovasz": lambda x, y, per_image: S.lovasz_softmax(x, y, per_image=per_image)}[name]
    x, y = _inputs(c=3)
    x, y = x[:1], y[:1]
    torch.testing.assert_close(fn(x, y, per_image=True), fn(x, y, per_image=False))


def test_one_hot_equals_index_target():
    x, y = _inputs(c=3, ignore=False)
    onehot = F.one_hot(y, 3).permute(0, 3, 1, 2).double()
    for name, fn in OVERLAP.items():
        torch.testing.assert_close(fn(x, y, per_image=True), fn(x, onehot, per_image=True), msg=name)
    torch.testing.assert_close(S.lovasz_softmax(x, y), S.lovasz_softmax(x, onehot))


def test_reduction_none_shapes_and_3d():
    x = torch.randn(2, 3, 2, 3, 4, requires_grad=True)
    y = torch.randint(0, 3, (2, 2, 3, 4))
    assert S.dice_loss(x, y, reduction="none").shape == (3,)
    assert S.dice_loss(x, y, per_image=True, include_background=False, reduction="none").shape == (2, 2)
    assert S.generalized_dice_loss(x, y, per_image=True, reduction="none").shape == (2,)
    assert S.lovasz_softmax(x, y, per_image=True, reduction="none").shape == (2,)
    loss = S.tversky_loss(x, y)
    assert loss.dtype == torch.float32
    loss.backward()
    assert x.grad.shape == x.shape


def test_float32_matches_float64():
    x, y = _inputs(c=5)
    for name, fn in OVERLAP.items():
        a = fn(x.detach().float().requires_grad_(), y, per_image=True)
        torch.testing.assert_close(a.double(), fn(x, y, per_image=True), rtol=1e-5, atol=1e-6, msg=name)


@needs_ce
def test_bootstrapped_and_ohem_select_hardest():
    x, y = _inputs(c=3, ignore=False)
    nll = F.cross_entropy(x, y, reduction="none").flatten(1)  # (N, S)
    top = nll.topk(5, dim=1).values
    torch.testing.assert_close(S.bootstrapped_cross_entropy(x, y, k=5), top.mean())
    torch.testing.assert_close(S.bootstrapped_cross_entropy(x, y, k=1.0), nll.mean())
    prob = torch.exp(-nll)
    keep = prob < 0.5
    assert int(keep.sum()) >= 3
    torch.testing.assert_close(S.ohem_cross_entropy(x, y, 0.5, 3), nll[keep].mean())
    kth = prob.flatten().kthvalue(20).values
    torch.testing.assert_close(S.ohem_cross_entropy(x, y, 0.01, 20), nll[prob <= kth].mean())
    w = torch.tensor([1.0, 2.0, 3.0], dtype=torch.float64)
    ref = F.cross_entropy(x, y, weight=w)
    torch.testing.assert_close(S.ohem_cross_entropy(x, y, 1.0, 0, weight=w), ref)
    torch.testing.assert_close(S.dice_ce_loss(x, y, 0.0, 1.0, weight=w), ref)
    torch.testing.assert_close(S.dice_ce_loss(x, y, 1.0, 0.0), S.dice_loss(x, y))


@needs_ce
def test_adversarial_loss_values():
    f, r = torch.tensor([0.0, 2.0]), torch.tensor([1.0, -1.0])
    torch.testing.assert_close(S.adversarial_loss(f), -F.logsigmoid(f).mean())
    torch.testing.assert_close(
        S.adversarial_loss(f, r), (-F.logsigmoid(r) - torch.log1p(-torch.sigmoid(f))).mean()
    )
    assert torch.isfinite(S.adversarial_loss(torch.tensor([1e4, -1e4]), torch.tensor([-1e4, 1e4])))


# --------------------------------------------------------------------------- #
# bad input
# --------------------------------------------------------------------------- #

X = torch.randn(2, 3, 4, 4)
Y = torch.randint(0, 3, (2, 4, 4))

BAD = [
    (lambda: S.dice_loss(X, Y[:, :3]), ValueError, r"target must have shape \(N, \.\.\.\) = \(2, 4, 4\)"),
    (lambda: S.jaccard_loss(X, torch.full((2, 4, 4), 3)), ValueError, r"class indices must be in \[0, 2\]"),
    (lambda: S.tversky_loss(X, torch.full((2, 4, 4), -1)), ValueError, r"found -1"),
    (lambda: S.dice_loss(X, torch.full((2, 3, 4, 4), 0.5)), ValueError, "must sum to 1"),
    (lambda: S.dice_loss(X, torch.full((2, 3, 4, 4), 2.0)), ValueError, r"must lie in \[0, 1\]"),
    (lambda: S.dice_loss(torch.randn(2, 1, 4, 4), Y), ValueError, "mode='multiclass' needs at least 2 classes"),
    (lambda: S.dice_loss(X, Y, mode="binary"), ValueError, r"mode='binary' needs input of shape \(N, 1"),
    (lambda: S.dice_loss(X, Y, mode="multilabel"), ValueError, "mode='multilabel' needs a target"),
    (lambda: S.dice_loss(X, Y, smooth=-1.0), ValueError, "smooth must be >= 0"),
    (lambda: S.tversky_loss(X, Y, alpha=0.0, beta=0.0), ValueError, r"alpha \+ beta must be > 0"),
    (lambda: S.tversky_loss(X, Y, alpha=-0.1), ValueError, "alpha must be >= 0"),
    (lambda: S.dice_loss(X, Y, mode="softmax"), ValueError, "mode='softmax' must be one of"),
    (lambda: S.dice_loss(X, Y, reduction="avg"), ValueError, "reduction='avg' must be one of"),
    (lambda: S.dice_loss(X, Y.float()), TypeError, "must be an integer tensor"),
    (lambda: S.dice_loss(X.long(), Y), TypeError, "floating-point"),
    (lambda: S.dice_loss(X[0], Y), ValueError, "4-D or 5-D"),
    (lambda: S.dice_loss(X, Y, weight=torch.ones(2)), ValueError, r"weight must have shape \(C,\) = \(3,\)"),
    (lambda: S.dice_loss(X, Y, weight=-torch.ones(3)), ValueError, "weight must be non-negative"),
    (lambda: S.generalized_dice_loss(X, Y, w_type="log"), ValueError, "w_type='log' must be one of"),
    (lambda: S.lovasz_softmax(X, Y, classes="some"), ValueError, "classes='some' must be one of"),
    (lambda: S.lovasz_softmax(X, torch.full((2, 3, 4, 4), 1 / 3)), ValueError, "needs hard labels"),
    (lambda: S.bootstrapped_cross_entropy(X, Y, k=0), ValueError, "k must be >= 1"),
    (lambda: S.bootstrapped_cross_entropy(X, Y, k=1.5), ValueError, r"k must be <= 1.0"),
    (lambda: S.ohem_cross_entropy(X, Y, thresh=0.0), ValueError, "thresh must be > 0.0"),
    (lambda: S.ohem_cross_entropy(X, Y[:, :2]), ValueError, "target must hold class indices of shape"),
    (lambda: S.dice_ce_loss(X, Y, reduction="none"), ValueError, "reduction='none' must be one of"),
    (lambda: S.adversarial_loss(torch.zeros(3), torch.zeros(4)), ValueError, "real_logits must have the same shape"),
    (lambda: S.median_frequency_weights(Y.float(), 3), TypeError, "integer tensor"),
    (lambda: S.inverse_frequency_weights(Y, 2), ValueError, r"class indices must be in \[0, 1\]"),
    (lambda: S.effective_number_weights(Y, 3, beta=1.0), ValueError, "beta must be < 1.0"),
]


@pytest.mark.parametrize("fn,exc,match", BAD)
def test_bad_input(fn, exc, match):
    with pytest.raises(exc, match=match):
        fn()


def test_warns_when_background_flag_ignored():
    with pytest.warns(UserWarning, match="include_background=False is ignored"):
        S.dice_loss(torch.randn(2, 1, 4, 4), torch.randint(0, 2, (2, 4, 4)), mode="binary", include_background=False)


def test_warns_when_ignore_index_ignored():
    t = F.one_hot(Y, 3).permute(0, 3, 1, 2).float()
    with pytest.warns(UserWarning, match="ignore_index=255 is ignored"):
        S.dice_loss(X, t, ignore_index=255)


def test_weights_absent_classes_finite():
    y = torch.tensor([[0, 0, 1, 7]])
    for fn in (S.median_frequency_weights, S.inverse_frequency_weights, S.effective_number_weights):
        w = fn(y, 4, ignore_index=7)
        assert torch.isfinite(w).all() and w.shape == (4,)
        assert float(w[2]) == float(w[3]) == float(w[:2].max()) or fn is S.effective_number_weights
        w = fn(torch.full((1, 3), 7), 4, ignore_index=7)
        torch.testing.assert_close(w, torch.ones(4))
    assert math.isclose(float(S.effective_number_weights(y, 4, ignore_index=7).sum()), 4.0, rel_tol=1e-6)


@pytest.mark.parametrize("name", ["dice", "lovasz"])
def test_backward_twice_with_retained_graph(name):
    # the first backward reuses saved storage; a second one through a retained graph must agree
    x, y = _inputs(c=3)
    loss = S.dice_loss(x, y) if name == "dice" else S.lovasz_softmax(x, y)
    (g1,) = torch.autograd.grad(loss, x, retain_graph=True)
    (g2,) = torch.autograd.grad(loss, x)
    torch.testing.assert_close(g1, g2, rtol=0, atol=0)
