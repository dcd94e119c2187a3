"""Segmentation loss modules, the adversarial discriminator and one adversarial training step.

Each loss module stores its options (and ``weight`` as a buffer) and calls the
function of the same name in :mod:`mustknow.functional.segmentation`, where
the math, the gradients and the conventions (modes, ignore_index, absent
classes) are documented.
"""

from __future__ import annotations

import torch
from torch import nn

from .. import functional as MF
from ..functional._checks import check_choice, check_floating, check_ndim, check_number

__all__ = [
    "DiceLoss",
    "GeneralizedDiceLoss",
    "JaccardLoss",
    "TverskyLoss",
    "LovaszSoftmaxLoss",
    "BootstrappedCrossEntropyLoss",
    "OHEMCrossEntropyLoss",
    "DiceCELoss",
    "SegmentationDiscriminator",
    "adversarial_training_step",
]


class _WeightedLoss(nn.Module):
    """Holds an optional per-class ``weight`` buffer (moves with ``.to()``, saved in ``state_dict``)."""

    def __init__(self, weight: torch.Tensor | None) -> None:
        super().__init__()
        if weight is not None:
            check_floating(weight, "weight")
        self.register_buffer("weight", weight)


class _OverlapLoss(_WeightedLoss):
    """The options every overlap loss shares, passed to its functional form by :meth:`_common`."""

    def __init__(
        self,
        mode: str = "multiclass",
        from_logits: bool = True,
        ignore_index: int = -100,
        include_background: bool = True,
        weight: torch.Tensor | None = None,
        per_image: bool = False,
        smooth: float = 1.0,
        reduction: str = "mean",
    ) -> None:
        super().__init__(weight)
        self.mode = mode
        self.from_logits = from_logits
        self.ignore_index = ignore_index
        self.include_background = include_background
        self.per_image = per_image
        self.smooth = smooth
        self.reduction = reduction

    def _common(self) -> dict:
        return dict(
            mode=self.mode, from_logits=self.from_logits, ignore_index=self.ignore_index,
            include_background=self.include_background, weight=self.weight, per_image=self.per_image,
            smooth=self.smooth, reduction=self.reduction,
        )

    def extra_repr(self) -> str:
        return (f"mode={self.mode!r}, include_background={self.include_background}, per_image={self.per_image}, "
                f"smooth={self.smooth}, reduction={self.reduction!r}")


class _SquaredOverlapLoss(_OverlapLoss):
    """An overlap loss with the V-Net ``squared_pred`` option; subclasses name their function ``_loss``."""

    _loss = None

    def __init__(self, *args, squared_pred: bool = False, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.squared_pred = squared_pred

    def extra_repr(self) -> str:
        return f"{super().extra_repr()}, squared_pred={self.squared_pred}"

    def forward(self, input: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return self._loss(input, target, squared_pred=self.squared_pred, **self._common())


class DiceLoss(_SquaredOverlapLoss):
    """Soft Dice loss; see :func:`mustknow.functional.dice_loss` (same arguments, plus ``squared_pred``).

    Example:
        >>> loss = DiceLoss(per_image=True)
        >>> loss(torch.randn(2, 3, 8, 8), torch.randint(0, 3, (2, 8, 8))).shape
        torch.Size([])
    """

    _loss = staticmethod(MF.dice_loss)


class JaccardLoss(_SquaredOverlapLoss):
    """Soft Jaccard (IoU) loss; see :func:`mustknow.functional.jaccard_loss`.

    Example:
        >>> JaccardLoss()(torch.randn(2, 3, 8, 8), torch.randint(0, 3, (2, 8, 8))).shape
        torch.Size([])
    """

    _loss = staticmethod(MF.jaccard_loss)


class TverskyLoss(_OverlapLoss):
    """Tversky loss; see :func:`mustknow.functional.tversky_loss` (``alpha`` weighs FP, ``beta`` FN).

    Example:
        >>> TverskyLoss(alpha=0.3, beta=0.7)(torch.randn(2, 3, 8, 8), torch.randint(0, 3, (2, 8, 8))).shape
        torch.Size([])
    """

    def __init__(self, alpha: float = 0.3, beta: float = 0.7, **kwargs) -> None:
        super().__init__(**kwargs)
        check_number(alpha, "alpha", low=0.0)
        check_number(beta, "beta", low=0.0)
        if alpha + beta == 0:
            raise ValueError("alpha + beta must be > 0; got alpha=0, beta=0")
        self.alpha = alpha
        self.beta = beta

    def extra_repr(self) -> str:
        return f"alpha={self.alpha}, beta={self.beta}, {super().extra_repr()}"

    def forward(self, input: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return MF.tversky_loss(input, target, self.alpha, self.beta, **self._common())


class GeneralizedDiceLoss(_OverlapLoss):
    """Generalized Dice loss (Sudre et al. 2017); see :func:`mustknow.functional.generalized_dice_loss`.

    Example:
        >>> GeneralizedDiceLoss(w_type="simple")(torch.randn(2, 3, 8, 8), torch.randint(0, 3, (2, 8, 8))).shape
        torch.Size([])
    """

    def __init__(self, w_type: str = "square", smooth: float = 1e-5, **kwargs) -> None:
        super().__init__(smooth=smooth, **kwargs)
        check_choice(w_type, "w_type", MF.segmentation.W_TYPES)
        self.w_type = w_type

    def extra_repr(self) -> str:
        return f"w_type={self.w_type!r}, {super().extra_repr()}"

    def forward(self, input: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return MF.generalized_dice_loss(input, target, self.w_type, **self._common())


class LovaszSoftmaxLoss(_WeightedLoss):
    """Lovász-softmax loss (Berman et al. 2018); see :func:`mustknow.functional.lovasz_softmax`.

    Example:
        >>> LovaszSoftmaxLoss(per_image=True)(torch.randn(2, 3, 8, 8), torch.randint(0, 3, (2, 8, 8))).shape
        torch.Size([])
    """

    def __init__(
        self,
        classes: str = "present",
        per_image: bool = False,
        ignore_index: int = -100,
        weight: torch.Tensor | None = None,
        reduction: str = "mean",
    ) -> None:
        super().__init__(weight)
        self.classes = classes
        self.per_image = per_image
        self.ignore_index = ignore_index
        self.reduction = reduction

    def extra_repr(self) -> str:
        return f"classes={self.classes!r}, per_image={self.per_image}, reduction={self.reduction!r}"

    def forward(self, input: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return MF.lovasz_softmax(
            input, target, self.classes, self.per_image, self.ignore_index, self.weight, self.reduction
        )


class BootstrappedCrossEntropyLoss(_WeightedLoss):
    """FRRN bootstrapped cross entropy; see :func:`mustknow.functional.bootstrapped_cross_entropy`.

    Example:
        >>> BootstrappedCrossEntropyLoss(k=16)(torch.randn(2, 3, 8, 8), torch.randint(0, 3, (2, 8, 8))).shape
        torch.Size([])
    """

    def __init__(
        self,
        k: int | float = 0.0625,
        weight: torch.Tensor | None = None,
        ignore_index: int = -100,
        reduction: str = "mean",
    ) -> None:
        super().__init__(weight)
        self.k = k
        self.ignore_index = ignore_index
        self.reduction = reduction

    def extra_repr(self) -> str:
        return f"k={self.k}, ignore_index={self.ignore_index}, reduction={self.reduction!r}"

    def forward(self, input: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return MF.bootstrapped_cross_entropy(input, target, self.k, self.weight, self.ignore_index, self.reduction)


class OHEMCrossEntropyLoss(_WeightedLoss):
    """OHEM cross entropy (threshold + ``min_kept``); see :func:`mustknow.functional.ohem_cross_entropy`.

    Example:
        >>> OHEMCrossEntropyLoss(min_kept=32)(torch.randn(2, 3, 8, 8), torch.randint(0, 3, (2, 8, 8))).shape
        torch.Size([])
    """

    def __init__(
        self,
        thresh: float = 0.7,
        min_kept: int = 100_000,
        weight: torch.Tensor | None = None,
        ignore_index: int = -100,
        reduction: str = "mean",
    ) -> None:
        super().__init__(weight)
        self.thresh = thresh
        self.min_kept = min_kept
        self.ignore_index = ignore_index
        self.reduction = reduction

    def extra_repr(self) -> str:
        return (f"thresh={self.thresh}, min_kept={self.min_kept}, ignore_index={self.ignore_index}, "
                f"reduction={self.reduction!r}")

    def forward(self, input: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return MF.ohem_cross_entropy(
            input, target, self.thresh, self.min_kept, self.weight, self.ignore_index, self.reduction
        )


class DiceCELoss(_WeightedLoss):
    """Dice + cross entropy; see :func:`mustknow.functional.dice_ce_loss`.

    Example:
        >>> DiceCELoss(lambda_dice=0.5)(torch.randn(2, 3, 8, 8), torch.randint(0, 3, (2, 8, 8))).shape
        torch.Size([])
    """

    def __init__(
        self,
        lambda_dice: float = 1.0,
        lambda_ce: float = 1.0,
        weight: torch.Tensor | None = None,
        ignore_index: int = -100,
        include_background: bool = True,
        per_image: bool = False,
        smooth: float = 1.0,
        reduction: str = "mean",
    ) -> None:
        super().__init__(weight)
        self.lambda_dice = lambda_dice
        self.lambda_ce = lambda_ce
        self.ignore_index = ignore_index
        self.include_background = include_background
        self.per_image = per_image
        self.smooth = smooth
        self.reduction = reduction

    def extra_repr(self) -> str:
        return (f"lambda_dice={self.lambda_dice}, lambda_ce={self.lambda_ce}, per_image={self.per_image}, "
                f"smooth={self.smooth}, reduction={self.reduction!r}")

    def forward(self, input: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return MF.dice_ce_loss(
            input, target, self.lambda_dice, self.lambda_ce, self.weight, self.ignore_index,
            self.include_background, self.per_image, self.smooth, self.reduction,
        )


class SegmentationDiscriminator(nn.Module):
    """A small convolutional discriminator over (image, label map) pairs (Luc et al. 2016).

    The image :math:`(N, C_{img}, H, W)` is concatenated along channels with a
    label map :math:`(N, K, H, W)`: the one-hot ground truth, or the
    segmenter's softmax probabilities. ``depth`` stride-2 3x3 convolutions
    (channels ``base_channels * 2**i``, leaky ReLU with slope 0.2 as in DCGAN,
    Radford et al. 2016) are followed by a 1x1 convolution to one logit per
    location. ``patch=True`` returns these patch logits (a PatchGAN-style
    output, Isola et al. 2017); otherwise their spatial mean, one logit per
    image. Luc et al. also fuse the map with the image by a product; plain
    concatenation is used here.

    Args:
        in_channels: image channels :math:`C_{img}`.
        num_classes: label-map channels :math:`K`.
        base_channels: width of the first convolution. Default ``32``.
        depth: number of stride-2 convolutions, ``>= 1``. Default ``3``.
        patch: return per-patch logits. Default ``False``.

    Shape:
        - image: :math:`(N, C_{img}, H, W)`; label_map: :math:`(N, K, H, W)`.
        - output: :math:`(N,)`, or :math:`(N, \\lceil H/2^{depth}\\rceil, \\lceil W/2^{depth}\\rceil)` with ``patch``.

    Example:
        >>> d = SegmentationDiscriminator(1, 3, base_channels=8, depth=2)
        >>> d(torch.randn(2, 1, 16, 16), torch.rand(2, 3, 16, 16)).shape
        torch.Size([2])
    """

    def __init__(
        self, in_channels: int, num_classes: int, base_channels: int = 32, depth: int = 3, patch: bool = False
    ) -> None:
        super().__init__()
        check_number(in_channels, "in_channels", low=1, integer=True)
        check_number(num_classes, "num_classes", low=1, integer=True)
        check_number(base_channels, "base_channels", low=1, integer=True)
        check_number(depth, "depth", low=1, integer=True)
        self.in_channels = in_channels
        self.num_classes = num_classes
        self.patch = patch
        convs = []
        width = in_channels + num_classes
        for i in range(depth):
            out = base_channels * 2**i
            convs.append(nn.Conv2d(width, out, 3, stride=2, padding=1))
            width = out
        self.convs = nn.ModuleList(convs)
        self.head = nn.Conv2d(width, 1, 1)

    def forward(self, image: torch.Tensor, label_map: torch.Tensor) -> torch.Tensor:
        check_floating(image, "image")
        check_floating(label_map, "label_map")
        check_ndim(image, "image", (4,), "(N, C_img, H, W)")
        check_ndim(label_map, "label_map", (4,), "(N, K, H, W)")
        expected = (image.shape[0], self.num_classes, *image.shape[2:])
        if image.shape[1] != self.in_channels or tuple(label_map.shape) != expected:
            raise ValueError(
                f"expected image (N, {self.in_channels}, H, W) and label_map {expected}; "
                f"got {tuple(image.shape)} and {tuple(label_map.shape)}"
            )
        h = torch.cat((image, label_map.to(image.dtype)), 1)  # (N, C_img + K, H, W)
        for conv in self.convs:
            h = MF.leaky_relu(conv(h), 0.2)  # (N, c, H, W) -> (N, c', H/2, W/2)
        logits = self.head(h).squeeze(1)  # (N, 1, h, w) -> (N, h, w)
        return logits if self.patch else logits.mean((1, 2))  # (N, h, w) -> (N,)


def adversarial_training_step(
    segmenter: nn.Module,
    discriminator: SegmentationDiscriminator,
    opt_seg: torch.optim.Optimizer,
    opt_disc: torch.optim.Optimizer,
    images: torch.Tensor,
    masks: torch.Tensor,
    lambda_adv: float = 0.1,
    ignore_index: int = -100,
) -> dict[str, float]:
    """One alternating update of discriminator and segmenter (Luc et al. 2016).

    1. Discriminator: the segmenter's probabilities (no gradient to the
       segmenter) are "fake", the one-hot ground truth "real";
       ``adversarial_loss(d(x, s(x)), d(x, y))`` is minimised. At ignored
       pixels the real map holds the predicted probabilities too, so the
       discriminator cannot tell the two apart by them.
    2. Segmenter: ``cross_entropy(s(x), y) + lambda_adv * adversarial_loss(d(x, s(x)))``
       (the non-saturating form) is minimised; the discriminator's parameters
       are frozen during this step.

    Args:
        segmenter: maps images :math:`(N, C_{img}, H, W)` to logits :math:`(N, K, H, W)`.
        discriminator: a :class:`SegmentationDiscriminator` for :math:`K` classes.
        opt_seg, opt_disc: their optimizers.
        images: :math:`(N, C_{img}, H, W)`. masks: class indices :math:`(N, H, W)`.
        lambda_adv: weight of the adversarial term, ``>= 0``. Default ``0.1``:
            small, so the pixel loss leads while the discriminator is weak.
        ignore_index: mask label left out of both losses. Default ``-100``.

    Returns:
        ``{"disc_loss", "seg_ce", "seg_adv", "seg_loss"}`` as Python floats.

    Example:
        >>> seg = torch.nn.Conv2d(1, 3, 3, padding=1)
        >>> disc = SegmentationDiscriminator(1, 3, base_channels=4, depth=2)
        >>> o_s = torch.optim.SGD(seg.parameters(), lr=0.1)
        >>> o_d = torch.optim.SGD(disc.parameters(), lr=0.1)
        >>> out = adversarial_training_step(seg, disc, o_s, o_d, torch.randn(2, 1, 8, 8),
        ...                                 torch.randint(0, 3, (2, 8, 8)))
        >>> sorted(out)
        ['disc_loss', 'seg_adv', 'seg_ce', 'seg_loss']
    """
    check_number(lambda_adv, "lambda_adv", low=0.0)
    # 1) discriminator step
    with torch.no_grad():
        fake = MF.softmax(segmenter(images), 1)  # (N, K, H, W)
    ignored = masks == ignore_index
    onehot = nn.functional.one_hot(masks.masked_fill(ignored, 0), fake.shape[1])  # (N, H, W) -> (N, H, W, K)
    real = onehot.permute(0, 3, 1, 2).to(fake.dtype)  # (N, H, W, K) -> (N, K, H, W)
    real = torch.where(ignored.unsqueeze(1), fake, real)
    disc_loss = MF.adversarial_loss(discriminator(images, fake), discriminator(images, real))
    opt_disc.zero_grad()
    disc_loss.backward()
    opt_disc.step()
    # 2) segmenter step, discriminator frozen
    flags = [p.requires_grad for p in discriminator.parameters()]
    for p in discriminator.parameters():
        p.requires_grad_(False)
    try:
        logits = segmenter(images)
        ce = MF.cross_entropy(logits, masks, ignore_index=ignore_index)
        adv = MF.adversarial_loss(discriminator(images, MF.softmax(logits, 1)))
        seg_loss = ce + lambda_adv * adv
        opt_seg.zero_grad()
        seg_loss.backward()
        opt_seg.step()
    finally:
        for p, flag in zip(discriminator.parameters(), flags):
            p.requires_grad_(flag)
    return {
        "disc_loss": disc_loss.item(),
        "seg_ce": ce.item(),
        "seg_adv": adv.item(),
        "seg_loss": seg_loss.item(),
    }
