"""Tests for mustknow.data.transforms: integer shifts with zero fill, rotations
that preserve distances (also on non-square images), per-image randomness,
reproducibility for a seed, Gaussian noise, and every error."""

import math

import pytest
import torch

from mustknow.data.transforms import RandomShiftRotate, add_gaussian_noise, random_shift_rotate

F64 = torch.float64


def _gen(seed=0):
    return torch.Generator().manual_seed(seed)


def _shifted(img, tx, ty):
    """Integer translation with zero fill: content moves right by tx, down by ty. (C, H, W)."""
    out = torch.zeros_like(img)
    h, w = img.shape[-2:]
    src_y, dst_y = slice(max(0, -ty), min(h, h - ty)), slice(max(0, ty), min(h, h + ty))
    src_x, dst_x = slice(max(0, -tx), min(w, w - tx)), slice(max(0, tx), min(w, w + tx))
    out[:, dst_y, dst_x] = img[:, src_y, src_x]
    return out


def _blob(h, w, cy, cx, sigma=1.5, n=1, dtype=F64):
    """(n, 1, H, W) Gaussian blob centred at pixel (cy, cx)."""
    yy, xx = torch.meshgrid(torch.arange(h, dtype=dtype), torch.arange(w, dtype=dtype), indexing="ij")
    img = torch.exp(-((yy - cy) ** 2 + (xx - cx) ** 2) / (2 * sigma**2))
    return img.expand(n, 1, h, w).clone()


def _centroid(img):
    """Centre of mass of (H, W), in pixels relative to the image centre: (x, y)."""
    h, w = img.shape
    yy, xx = torch.meshgrid(torch.arange(h, dtype=img.dtype), torch.arange(w, dtype=img.dtype), indexing="ij")
    m = img.sum()
    return float((img * xx).sum() / m - (w - 1) / 2), float((img * yy).sum() / m - (h - 1) / 2)


@pytest.mark.parametrize("max_shift", [1, 2])
def test_pure_shifts_are_integer_translations_with_zero_fill(max_shift):
    x = torch.rand(256, 2, 8, 8, generator=_gen(1), dtype=F64) + 0.5  # no zeros inside
    y = random_shift_rotate(x, max_shift=max_shift, max_degrees=0.0, generator=_gen(2))
    seen = set()
    for i in range(len(x)):
        matches = [
            (tx, ty)
            for tx in range(-max_shift, max_shift + 1)
            for ty in range(-max_shift, max_shift + 1)
            if torch.allclose(y[i], _shifted(x[i], tx, ty), rtol=0, atol=1e-9)
        ]
        assert len(matches) == 1  # exactly one admissible shift explains the output
        seen.add(matches[0])
    assert len(seen) == (2 * max_shift + 1) ** 2  # every shift occurs among 256 images: per-image draws


def test_zero_shift_and_rotation_is_identity():
    x = torch.rand(4, 1, 8, 8, generator=_gen(3))
    torch.testing.assert_close(random_shift_rotate(x, 0, 0.0, generator=_gen(0)), x, rtol=0, atol=1e-6)


@pytest.mark.parametrize("h, w", [(32, 32), (24, 40)])
def test_rotation_preserves_distance_and_bounds_the_angle(h, w):
    # A blob 7 px right of the centre, rotated about the centre: its distance
    # to the centre is kept (no shear, also for H != W) and its angle moves by
    # at most max_degrees; the angles differ between images.
    max_degrees = 30.0
    x = _blob(h, w, (h - 1) / 2, (w - 1) / 2 + 7, n=32)
    y = random_shift_rotate(x, max_shift=0, max_degrees=max_degrees, generator=_gen(4))
    angles = []
    for img in y[:, 0]:
        cx, cy = _centroid(img)
        assert abs(math.hypot(cx, cy) - 7) < 0.1
        angles.append(math.degrees(math.atan2(cy, cx)))
    assert max(abs(a) for a in angles) <= max_degrees + 0.5
    assert max(angles) - min(angles) > max_degrees  # spread over the range, not one angle
    assert min(angles) < 0 < max(angles)  # both directions


def test_shift_moves_the_centre_of_mass_by_whole_pixels():
    x = _blob(24, 24, 11.5, 11.5, n=32)  # far from the border: no mass is cut off
    y = random_shift_rotate(x, max_shift=2, max_degrees=0.0, generator=_gen(5))
    for img in y[:, 0]:
        cx, cy = _centroid(img)
        assert abs(cx - round(cx)) < 1e-6 and abs(cy - round(cy)) < 1e-6
        assert abs(round(cx)) <= 2 and abs(round(cy)) <= 2


def test_reproducible_for_a_seed_and_random_across_seeds():
    x = torch.rand(8, 1, 8, 8, generator=_gen(6))
    a = random_shift_rotate(x, generator=_gen(7))
    assert torch.equal(a, random_shift_rotate(x, generator=_gen(7)))
    assert not torch.equal(a, random_shift_rotate(x, generator=_gen(8)))


@pytest.mark.parametrize("dtype", [torch.float32, F64])
def test_dtype_and_shape_kept(dtype):
    x = torch.rand(3, 2, 8, 8).to(dtype)
    y = random_shift_rotate(x)
    assert y.dtype == dtype and y.shape == x.shape and y.device == x.device


def test_module_draws_from_a_generator_or_the_global_one():
    aug = RandomShiftRotate(max_shift=1, max_degrees=15.0)
    assert "max_shift=1, max_degrees=15.0" in repr(aug)
    x = torch.rand(5, 1, 8, 8)
    torch.manual_seed(3)
    a = aug(x)
    torch.manual_seed(3)
    assert torch.equal(a, aug(x))
    b = aug(x, generator=_gen(3))
    assert torch.equal(b, random_shift_rotate(x, 1, 15.0, generator=_gen(3)))
    assert aug.state_dict() == {}


@pytest.mark.parametrize(
    "kwargs, exc, match",
    [
        ({"max_shift": -1}, ValueError, "max_shift must be >= 0"),
        ({"max_shift": 1.5}, TypeError, "max_shift must be an int"),
        ({"max_degrees": -5.0}, ValueError, "max_degrees must be >= 0"),
        ({"generator": 3}, TypeError, "generator must be a CPU torch.Generator"),
    ],
)
def test_shift_rotate_argument_errors(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        random_shift_rotate(torch.rand(2, 1, 8, 8), **kwargs)
    if "generator" not in kwargs:
        with pytest.raises(exc, match=match):
            RandomShiftRotate(**kwargs)


def test_shift_rotate_input_errors():
    with pytest.raises(ValueError, match=r"images must be 4-D \(N, C, H, W\); got shape \(1, 8, 8\)"):
        random_shift_rotate(torch.rand(1, 8, 8))
    with pytest.raises(TypeError, match="images must be a floating-point tensor"):
        random_shift_rotate(torch.ones(1, 1, 8, 8, dtype=torch.uint8))


def test_add_gaussian_noise():
    std, n = 0.2, 100_000
    x = torch.full((n,), 0.5, dtype=F64)
    y = add_gaussian_noise(x, std, generator=_gen(9))
    # standard errors: std / sqrt(n) for the mean, ~ std^2 sqrt(2 / n) for the variance
    assert abs(float(y.mean()) - 0.5) < 5 * std / math.sqrt(n)
    assert abs(float(y.var()) - std**2) < 5 * std**2 * math.sqrt(2 / n)
    assert torch.equal(y, add_gaussian_noise(x, std, generator=_gen(9)))
    assert add_gaussian_noise(x, 0.0) is x
    with pytest.raises(ValueError, match="std must be >= 0"):
        add_gaussian_noise(x, -0.5)
    with pytest.raises(TypeError, match="floating-point"):
        add_gaussian_noise(torch.ones(3, dtype=torch.long), 0.1)
