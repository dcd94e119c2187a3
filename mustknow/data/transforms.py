r"""Data augmentation for digit images: random shifts and rotations, additive noise.

The note's question 3 lists data augmentation and added noise among the ways
to fight overfitting. For the 8x8 (or larger) digit images a label-preserving
augmentation is a small random translation and rotation of each image; noise
is added with :func:`add_gaussian_noise`. These functions are not meant to be
differentiated (they augment inputs), though gradients do flow through them.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as TF
from torch import nn

from ..functional._checks import check_floating, check_ndim, check_number
from ..functional.regularization import gaussian_noise

__all__ = ["random_shift_rotate", "RandomShiftRotate", "add_gaussian_noise"]


def random_shift_rotate(
    images: torch.Tensor,
    max_shift: int = 1,
    max_degrees: float = 10.0,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    r"""Shift each image by a random whole number of pixels and rotate it by a random angle.

    For every image independently: a shift :math:`(t_x, t_y)` with each
    component uniform on the integers :math:`\{-s, \ldots, s\}`
    (``s = max_shift``) and an angle :math:`a` uniform on
    :math:`[-d, d]` degrees (``d = max_degrees``). In pixel coordinates
    centred on the image, the output at :math:`p` samples the input at

    .. math::

        p_{\text{in}} = R(a)^{-1}\,(p - t),

    i.e. the image is rotated by :math:`a` about its centre, then moved by
    :math:`t` (positive :math:`t_x` moves content right, positive
    :math:`t_y` down; positive :math:`a` turns it clockwise on screen, since
    rows grow downwards). Sampling is bilinear (``grid_sample`` with
    ``align_corners=False``) and pixels from outside the image are 0. With
    ``max_degrees=0`` the shift lands on pixel centres, so the result is an
    integer translation with zero fill (up to rounding of the sampling grid,
    about 1e-6 relative in float32).

    Numerical choices: the angles and shifts are drawn on the CPU (from
    ``generator`` if given, which must then be a CPU generator) and moved to
    the images' device, so a seeded generator gives the same augmentation on
    any device. The affine map is built in pixel units and converted to
    ``affine_grid``'s normalised coordinates, so non-square images rotate
    without shearing.

    Args:
        images: (N, C, H, W) floating-point images.
        max_shift: largest shift in pixels, an int >= 0. Default 1.
        max_degrees: largest rotation in degrees, >= 0. Default 10.0.
        generator: a CPU ``torch.Generator`` for the random draws, or None
            for the global one. Default None.

    Shape:
        images (N, C, H, W) -> output (N, C, H, W).

    Raises:
        ValueError: images not 4-D; negative ``max_shift`` or ``max_degrees``.
        TypeError: non-floating images; non-int ``max_shift``; non-CPU or
            non-``Generator`` generator.

    Example:
        >>> x = torch.zeros(2, 1, 8, 8); x[:, :, 3:5, 3:5] = 1.0
        >>> y = random_shift_rotate(x, generator=torch.Generator().manual_seed(0))
        >>> y.shape
        torch.Size([2, 1, 8, 8])

    Reference: Simard, Steinkraus & Platt (2003), "Best Practices for
    Convolutional Neural Networks Applied to Visual Document Analysis"
    (ICDAR): small affine distortions of handwritten digits as augmentation.
    """
    check_floating(images, "images")
    check_ndim(images, "images", (4,), "(N, C, H, W)")
    check_number(max_shift, "max_shift", low=0, integer=True)
    check_number(max_degrees, "max_degrees", low=0.0)
    if generator is not None and (not isinstance(generator, torch.Generator) or generator.device.type != "cpu"):
        raise TypeError(f"generator must be a CPU torch.Generator or None; got {generator!r}")
    n, _, h, w = images.shape
    shift = torch.randint(-max_shift, max_shift + 1, (n, 2), generator=generator).double()  # (N, 2): (t_x, t_y)
    angle = (torch.rand(n, generator=generator, dtype=torch.float64) * 2 - 1) * math.radians(max_degrees)  # (N,)
    cos, sin = angle.cos(), angle.sin()
    # Inverse rotation R(a)^-1 = R(-a) in pixel units, (N, 2, 2).
    rot_inv = torch.stack([torch.stack([cos, sin], -1), torch.stack([-sin, cos], -1)], -2)
    # Normalised coordinates: u = S p with S = diag(2/W, 2/H) (align_corners=False).
    scale = torch.tensor([2.0 / w, 2.0 / h], dtype=torch.float64)
    # u_in = S R^-1 S^-1 u_out - S R^-1 t
    lin = scale.view(1, 2, 1) * rot_inv / scale.view(1, 1, 2)  # (N, 2, 2)
    offset = -(scale.view(1, 2) * (rot_inv @ shift.unsqueeze(-1)).squeeze(-1))  # (N, 2, 1) -> (N, 2)
    theta = torch.cat([lin, offset.unsqueeze(-1)], dim=-1)  # (N, 2, 3)
    theta = theta.to(device=images.device, dtype=images.dtype)
    grid = TF.affine_grid(theta, list(images.shape), align_corners=False)  # (N, H, W, 2)
    return TF.grid_sample(images, grid, mode="bilinear", padding_mode="zeros", align_corners=False)


class RandomShiftRotate(nn.Module):
    """Module form of :func:`random_shift_rotate`.

    Like torchvision's transforms, it augments whenever it is called (it does
    not look at ``training``): apply it to training batches only. ``forward``
    takes an optional CPU ``generator``; without one it draws from the global
    generator.

    Args:
        max_shift: largest shift in pixels, an int >= 0. Default 1.
        max_degrees: largest rotation in degrees, >= 0. Default 10.0.

    Shape:
        images (N, C, H, W) -> output (N, C, H, W).

    Raises:
        ValueError: negative ``max_shift`` or ``max_degrees``.
        TypeError: non-int ``max_shift``.

    Example:
        >>> aug = RandomShiftRotate(max_shift=1, max_degrees=10.0)
        >>> aug(torch.rand(4, 1, 8, 8)).shape
        torch.Size([4, 1, 8, 8])
    """

    def __init__(self, max_shift: int = 1, max_degrees: float = 10.0) -> None:
        super().__init__()
        self.max_shift = check_number(max_shift, "max_shift", low=0, integer=True)
        self.max_degrees = float(check_number(max_degrees, "max_degrees", low=0.0))

    def forward(self, images: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        return random_shift_rotate(images, self.max_shift, self.max_degrees, generator)

    def extra_repr(self) -> str:
        return f"max_shift={self.max_shift}, max_degrees={self.max_degrees}"


def add_gaussian_noise(
    x: torch.Tensor, std: float, generator: torch.Generator | None = None
) -> torch.Tensor:
    r"""Return ``x`` plus i.i.d. :math:`\mathcal N(0, \mathrm{std}^2)` noise (no clipping).

    The augmentation form of :func:`mustknow.functional.gaussian_noise`
    (always applied). Pixel values may leave [0, 1]; that is intended, the
    noise stays zero-mean.

    Args:
        x: floating-point tensor, any shape.
        std: noise standard deviation, >= 0 (0 returns ``x``).
        generator: ``torch.Generator`` on ``x``'s device, or None. Default None.

    Shape:
        x (*) -> output (*).

    Raises:
        ValueError: negative ``std``.
        TypeError: non-floating ``x``.

    Example:
        >>> y = add_gaussian_noise(torch.zeros(3), 0.1, generator=torch.Generator().manual_seed(0))
        >>> y.shape
        torch.Size([3])

    Reference: Bishop (1995), "Training with Noise is Equivalent to Tikhonov
    Regularization".
    """
    return gaussian_noise(x, std, training=True, generator=generator)
