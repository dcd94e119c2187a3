"""A digit-segmentation set built from scikit-learn's 8x8 digits.

Each canvas holds one to ``max_digits`` digits, upscaled bilinearly and placed
at random; every pixel is labelled background (0) or the class of the digit
covering it (1..10 for digits 0..9), or foreground (1) in binary mode. The
background is the large majority of pixels, the realistic imbalance that the
segmentation losses are compared on.

The 1797 source digits are divided once, by a fixed stratified 60/20/20 split
(the same rows as ``load_dataset("digits", seed=0)``'s train/val/test), into
pools ``"train"``, ``"val"`` and ``"test"``: canvases built from the test pool
show digits never seen on a training canvas, whatever the seeds.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import torch

from ..functional._checks import check_choice, check_number, check_probability
from .datasets import Split, _raw, _stratified_split

__all__ = ["SegmentationSet", "digit_segmentation", "digit_segmentation_splits"]

_POOLS = ("all", "train", "val", "test")


@dataclass(frozen=True)
class SegmentationSet:
    """Images with per-pixel class labels.

    Attributes:
        images: float32 in ``[0, 1]``, shape (N, 1, H, W).
        masks: ``torch.long`` labels, shape (N, H, W): 0 is background,
            ``d + 1`` is digit ``d`` (or 1 for any digit in binary mode).
        num_classes: 11 (background + ten digits), or 2 in binary mode.
        class_frequencies: float64, shape (num_classes,): the fraction of all
            pixels of the set carrying each label (sums to 1).
    """

    images: torch.Tensor
    masks: torch.Tensor
    num_classes: int
    class_frequencies: torch.Tensor

    def __len__(self) -> int:
        return self.images.shape[0]

    def to_split(self) -> Split:
        """The set as a :class:`~mustknow.data.Split` ``(x=images, y=masks)`` for training."""
        return Split(self.images, self.masks)


@functools.lru_cache(maxsize=None)
def _pools() -> dict[str, np.ndarray]:
    """Row indices of the digits in each pool (fixed, seed-independent)."""
    _, y, _ = _raw("digits")
    n = len(y)
    rng = np.random.default_rng(0)
    # Same draws as load_dataset("digits", seed=0): test first, then val from the rest.
    rest, test = _stratified_split(y, n, 0.2, rng)
    train_pos, val_pos = _stratified_split(y[rest], len(rest), 0.2 * n / len(rest), rng)
    return {"all": np.arange(n), "train": rest[train_pos], "val": rest[val_pos], "test": test}


@functools.lru_cache(maxsize=None)
def _upscaled(side: int) -> tuple[np.ndarray, np.ndarray]:
    """All digits resized to ``side x side``: grey levels in [0, 1] and their masks."""
    x, _, _ = _raw("digits")
    small = torch.as_tensor(x / 16.0, dtype=torch.float32).reshape(-1, 1, 8, 8)  # (1797, 64) -> (1797, 1, 8, 8)
    big = torch.nn.functional.interpolate(small, size=(side, side), mode="bilinear", align_corners=False)
    grey = big[:, 0].clamp(0.0, 1.0).numpy()  # (1797, 1, s, s) -> (1797, s, s)
    grey.setflags(write=False)
    mask = grey > 0.5  # the digit's pixels: brighter than mid-grey after resizing
    mask.setflags(write=False)
    return grey, mask


def digit_segmentation(
    n: int,
    size: int = 32,
    max_digits: int = 3,
    seed: int = 0,
    binary: bool = False,
    rare_classes: Iterable[int] = (),
    rare_keep: float = 0.1,
    noise_std: float = 0.05,
    pool: str = "all",
    max_tries: int = 10,
) -> SegmentationSet:
    """Build ``n`` canvases of randomly placed, upscaled digits with pixel labels.

    For each canvas: draw the number of digits uniformly from
    ``1..max_digits``; for each digit draw its class (digits in
    ``rare_classes`` with weight ``rare_keep``, the others with weight 1: a
    rare digit is kept with probability ``rare_keep`` and otherwise redrawn),
    a source image of that class from ``pool``, and a side length uniformly
    from ``max(8, round(3 * size / 8)) .. max(8, size // 2)`` (12..16 px on a
    32 px canvas). The digit is resized bilinearly; its pixels brighter than
    0.5 form its mask. A position is drawn up to ``max_tries`` times until the
    new mask overlaps no earlier one; if none is found the last position is
    kept and the new digit is drawn on top (pixel-wise maximum of the grey
    levels; the newer label wins where both masks cover a pixel). Finally
    Gaussian noise of std ``noise_std`` is added and the image clipped to
    ``[0, 1]``; the masks are unaffected.

    Args:
        n: number of canvases (>= 1).
        size: canvas side in pixels (>= 8). Default 32.
        max_digits: most digits per canvas (>= 1). Default 3.
        seed: seed of every random draw; equal seeds give equal sets. Default 0.
        binary: label every digit pixel 1 (foreground) instead of its class.
            Default False.
        rare_classes: digits (0..9) made scarce. Default none.
        rare_keep: relative weight of a rare digit, in ``[0, 1]``. Default 0.1.
        noise_std: std of the additive pixel noise (>= 0). Default 0.05.
        pool: which source digits to use: ``"all"``, or the disjoint
            ``"train"``, ``"val"``, ``"test"`` pools. Default ``"all"``.
        max_tries: placement attempts before overlapping is allowed (>= 1).
            Default 10.

    Returns:
        SegmentationSet with ``images`` (N, 1, size, size) float32,
        ``masks`` (N, size, size) long, ``num_classes`` and ``class_frequencies``.

    Raises:
        ValueError: ``n``, ``size``, ``max_digits`` or ``max_tries`` out of
            range; unknown ``pool``; a rare class outside 0..9; ``rare_keep``
            outside ``[0, 1]``; every class rare with ``rare_keep=0``.
        TypeError: a non-integer count or seed.

    Example:
        >>> s = digit_segmentation(200, seed=0)
        >>> tuple(s.images.shape), tuple(s.masks.shape), s.num_classes
        ((200, 1, 32, 32), (200, 32, 32), 11)
        >>> round(float(s.class_frequencies[0]), 2)  # background share of the pixels
        0.88
        >>> round(float(s.class_frequencies[1:].min()), 3), round(float(s.class_frequencies[1:].max()), 3)
        (0.008, 0.014)
        >>> rare = digit_segmentation(200, seed=0, rare_classes=(3, 8), rare_keep=0.1)
        >>> bool(rare.class_frequencies[4] < s.class_frequencies[4])  # digit 3 is label 4
        True
    """
    check_number(n, "n", integer=True, low=1)
    check_number(size, "size", integer=True, low=8)
    check_number(max_digits, "max_digits", integer=True, low=1)
    check_number(seed, "seed", integer=True, low=0)
    check_number(noise_std, "noise_std", low=0.0)
    check_number(max_tries, "max_tries", integer=True, low=1)
    check_probability(rare_keep, "rare_keep")
    check_choice(pool, "pool", _POOLS)
    rare = tuple(rare_classes)
    for d in rare:
        check_number(d, "rare_classes entry", integer=True, low=0, high=9)
    if not rare and rare_keep != 0.1:
        warnings.warn(f"rare_keep={rare_keep} is ignored because rare_classes is empty", stacklevel=2)
    weights = np.array([rare_keep if d in rare else 1.0 for d in range(10)])
    if weights.sum() == 0:
        raise ValueError("rare_keep=0 with every digit in rare_classes leaves no digit to draw")
    weights = weights / weights.sum()

    _, labels, _ = _raw("digits")
    rows = _pools()[pool]
    by_class = [rows[labels[rows] == d] for d in range(10)]
    lo = max(8, round(3 * size / 8))
    hi = max(8, size // 2)
    # Distinct streams per pool, so train and test canvases never share a layout.
    rng = np.random.default_rng([seed, _POOLS.index(pool)])

    images = np.zeros((n, size, size), dtype=np.float32)
    masks = np.zeros((n, size, size), dtype=np.int64)
    for i in range(n):
        canvas, label = images[i], masks[i]
        for _ in range(int(rng.integers(1, max_digits + 1))):
            digit = int(rng.choice(10, p=weights))
            row = by_class[digit][rng.integers(len(by_class[digit]))]
            side = int(rng.integers(lo, hi + 1))
            grey, mask = _upscaled(side)
            grey, mask = grey[row], mask[row]
            for _ in range(max_tries):
                r, c = (int(v) for v in rng.integers(0, size - side + 1, size=2))
                window = label[r : r + side, c : c + side]  # (side, side) view into the canvas labels
                if not (window[mask] > 0).any():
                    break
            np.maximum(canvas[r : r + side, c : c + side], grey, out=canvas[r : r + side, c : c + side])
            window[mask] = 1 if binary else digit + 1
    if noise_std > 0:
        images += rng.normal(0.0, noise_std, size=images.shape).astype(np.float32)
        np.clip(images, 0.0, 1.0, out=images)

    num_classes = 2 if binary else 11
    counts = np.bincount(masks.ravel(), minlength=num_classes)  # (N, H, W) -> (num_classes,)
    return SegmentationSet(
        images=torch.from_numpy(images).unsqueeze(1),  # (N, H, W) -> (N, 1, H, W)
        masks=torch.from_numpy(masks),
        num_classes=num_classes,
        class_frequencies=torch.as_tensor(counts / counts.sum(), dtype=torch.float64),
    )


def digit_segmentation_splits(
    n_train: int, n_val: int, n_test: int, seed: int = 0, **kwargs
) -> tuple[SegmentationSet, SegmentationSet, SegmentationSet]:
    """Train, validation and test segmentation sets drawn from disjoint digit pools.

    Each split is :func:`digit_segmentation` on its own pool (``"train"``,
    ``"val"``, ``"test"``), so no source digit of a test canvas appears on a
    training canvas, and each pool has its own random stream.

    Args:
        n_train, n_val, n_test: canvases per split (>= 1).
        seed: seed shared by the three splits. Default 0.
        **kwargs: any other argument of :func:`digit_segmentation` except ``pool``.

    Returns:
        (train, val, test) :class:`SegmentationSet` s.

    Raises:
        ValueError: ``pool`` among ``kwargs``; anything :func:`digit_segmentation` rejects.

    Example:
        >>> train, val, test = digit_segmentation_splits(64, 16, 16, seed=1, size=24)
        >>> len(train), len(val), tuple(test.images.shape)
        (64, 16, (16, 1, 24, 24))
    """
    if "pool" in kwargs:
        raise ValueError("digit_segmentation_splits chooses the pools itself; do not pass pool=")
    return tuple(
        digit_segmentation(count, seed=seed, pool=pool, **kwargs)
        for count, pool in ((n_train, "train"), (n_val, "val"), (n_test, "test"))
    )
