"""Tests for mustknow.data.segmentation: shapes, determinism, imbalance, pools, errors."""

import pytest
import torch

from mustknow.data import SegmentationSet, Split, digit_segmentation, digit_segmentation_splits
from mustknow.data.segmentation import _pools


@pytest.fixture(scope="module")
def base():
    return digit_segmentation(120, seed=0)


def test_shapes_dtypes_ranges(base):
    assert isinstance(base, SegmentationSet) and len(base) == 120
    assert base.images.shape == (120, 1, 32, 32) and base.images.dtype == torch.float32
    assert base.masks.shape == (120, 32, 32) and base.masks.dtype == torch.long
    assert float(base.images.min()) >= 0.0 and float(base.images.max()) <= 1.0
    assert base.num_classes == 11 and int(base.masks.min()) >= 0 and int(base.masks.max()) <= 10
    split = base.to_split()
    assert isinstance(split, Split) and split.y is base.masks


def test_frequencies_match_masks_and_background_dominates(base):
    freq = base.class_frequencies
    assert freq.shape == (11,) and abs(float(freq.sum()) - 1.0) < 1e-12
    counted = torch.bincount(base.masks.flatten(), minlength=11).double() / base.masks.numel()
    torch.testing.assert_close(freq, counted)
    assert float(freq[0]) > 0.7  # background is the large majority
    assert (freq[1:] > 0).all()  # every digit occurs


def test_every_canvas_has_a_digit_and_images_follow_masks(base):
    assert (base.masks.flatten(1) > 0).any(1).all()
    fg = base.masks > 0
    img = base.images[:, 0]
    assert float(img[fg].mean()) > float(img[~fg].mean()) + 0.4


def test_deterministic_and_seed_dependent(base):
    again = digit_segmentation(120, seed=0)
    assert torch.equal(again.images, base.images) and torch.equal(again.masks, base.masks)
    other = digit_segmentation(120, seed=1)
    assert not torch.equal(other.masks, base.masks)


def test_max_digits_one_and_size():
    s = digit_segmentation(30, size=16, max_digits=1, seed=2, noise_std=0.0)
    assert s.images.shape == (30, 1, 16, 16)
    labels_per_image = [len(torch.unique(m[m > 0])) for m in s.masks]
    assert max(labels_per_image) == 1
    assert ((s.images[:, 0] > 0) | (s.masks == 0)).all()  # no noise: digit pixels are bright


def test_binary_mode(base):
    b = digit_segmentation(120, seed=0, binary=True)
    assert b.num_classes == 2 and set(torch.unique(b.masks).tolist()) == {0, 1}
    assert torch.equal(b.masks, (base.masks > 0).long())  # same draws, labels collapsed
    torch.testing.assert_close(b.class_frequencies[1], base.class_frequencies[1:].sum())


def test_rare_classes_are_rarer(base):
    rare = digit_segmentation(120, seed=0, rare_classes=(3, 8), rare_keep=0.1)
    for d in (3, 8):
        assert float(rare.class_frequencies[d + 1]) < 0.4 * float(base.class_frequencies[d + 1])
    none = digit_segmentation(60, seed=0, rare_classes=(3,), rare_keep=0.0)
    assert not (none.masks == 4).any()


def test_pools_disjoint_and_splits():
    pools = _pools()
    tr, va, te = (set(pools[k].tolist()) for k in ("train", "val", "test"))
    assert not (tr & va) and not (tr & te) and not (va & te) and len(tr | va | te) == 1797
    train, val, test = digit_segmentation_splits(20, 8, 8, seed=0, size=24)
    assert (len(train), len(val), len(test)) == (20, 8, 8) and test.images.shape[-1] == 24
    assert not torch.equal(train.masks[:8], test.masks)  # own stream per pool
    again = digit_segmentation_splits(20, 8, 8, seed=0, size=24)
    assert torch.equal(again[2].images, test.images)


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"n": 0}, ValueError, "n must be >= 1"),
        ({"n": 2, "size": 4}, ValueError, "size must be >= 8"),
        ({"n": 2, "max_digits": 0}, ValueError, "max_digits must be >= 1"),
        ({"n": 2, "pool": "holdout"}, ValueError, "pool='holdout' must be one of"),
        ({"n": 2, "rare_classes": (10,)}, ValueError, "rare_classes entry must be <= 9"),
        ({"n": 2, "rare_classes": (1,), "rare_keep": 1.5}, ValueError, "rare_keep must be <= 1"),
        ({"n": 2, "rare_classes": tuple(range(10)), "rare_keep": 0.0}, ValueError, "leaves no digit"),
        ({"n": 2.0}, TypeError, "n must be an int"),
    ],
)
def test_errors(kwargs, error, match):
    with pytest.raises(error, match=match):
        digit_segmentation(**kwargs)


def test_ignored_rare_keep_warns_and_pool_kwarg_rejected():
    with pytest.warns(UserWarning, match="rare_keep=0.5 is ignored"):
        digit_segmentation(2, rare_keep=0.5)
    with pytest.raises(ValueError, match="do not pass pool="):
        digit_segmentation_splits(2, 2, 2, pool="train")
