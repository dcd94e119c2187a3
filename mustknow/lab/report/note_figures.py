"""The figures the note lost, drawn from mustknow's own functions (``mustknow plot``).

* ``"activations"`` -- each activation and its derivative on one axis, one panel each.
* ``"classification-losses"`` -- the 0-1, hinge, logistic and squared losses against the margin :math:`m = y s`.
* ``"softmax-vs-sigmoid"`` -- the two outputs of a two-logit softmax against the logit difference,
  beside the sigmoid of that difference.

Every figure is written as SVG and PNG. Figures are built on a bare
``matplotlib.figure.Figure`` (Agg canvas), so drawing never touches pyplot's
global state or the user's backend.

Example:
    >>> drawn = draw_note_figures("figures", only="activations")  # doctest: +SKIP
    >>> sorted(p.suffix for p in drawn["activations"])  # doctest: +SKIP
    ['.png', '.svg']
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import torch
from matplotlib.figure import Figure

from ... import functional as F

__all__ = ["NOTE_FIGURES", "draw_note_figures"]

_DPI = 110  # sharp enough for a report page, small files
_LEAKY_SLOPE = 0.1  # larger than the 0.01 default so the negative branch is visible


def _save(fig: Figure, out_dir: Path, name: str) -> list[Path]:
    """Write ``name.svg`` and ``name.png`` and return their paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = [out_dir / f"{name}.svg", out_dir / f"{name}.png"]
    for path in paths:
        fig.savefig(path, dpi=_DPI, bbox_inches="tight")
    return paths


def _value_and_derivative(fn: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor):
    """``fn(x)`` and ``fn'(x)`` through mustknow's hand-written backward."""
    x = x.clone().requires_grad_(True)
    y = fn(x)
    (dy,) = torch.autograd.grad(y.sum(), x)
    return y.detach(), dy


_ACTIVATION_PANELS: tuple[tuple[str, Callable[[torch.Tensor], torch.Tensor]], ...] = (
    ("sigmoid", F.sigmoid),
    ("tanh", F.tanh),
    ("relu", F.relu),
    (f"leaky_relu (slope {_LEAKY_SLOPE})", lambda x: F.leaky_relu(x, _LEAKY_SLOPE)),
    ("elu (alpha 1)", F.elu),
    ("selu", F.selu),
    ("gelu (exact)", F.gelu),
    ("silu / swish", F.silu),
    ("softplus (beta 1)", F.softplus),
    ("mish", F.mish),
)


def draw_activations(out_dir: Path) -> list[Path]:
    """A grid of panels: each activation :math:`f` (solid) and its derivative :math:`f'` (dashed)."""
    x = torch.linspace(-5, 5, 1001, dtype=torch.float64)
    fig = Figure(figsize=(15, 6.4))
    axes = fig.subplots(2, 5, sharex=True)
    for ax, (title, fn) in zip(axes.flat, _ACTIVATION_PANELS):
        y, dy = _value_and_derivative(fn, x)
        ax.axhline(0, color="0.8", lw=0.8)
        ax.axvline(0, color="0.8", lw=0.8)
        ax.plot(x, y, color="C0", lw=2, label="f(x)")
        ax.plot(x, dy, color="C3", lw=1.6, ls="--", label="f'(x)")
        ax.set_title(title)
        ax.set_ylim(-2.0, 3.0)
        ax.grid(alpha=0.3)
    for ax in axes[1]:
        ax.set_xlabel("x")
    for ax in axes[:, 0]:
        ax.set_ylabel("value")
    handles, labels = axes.flat[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="upper right", ncol=2, frameon=False)
    fig.suptitle("Activation functions (solid) and their derivatives (dashed)")
    return _save(fig, out_dir, "activations")


def draw_classification_losses(out_dir: Path) -> list[Path]:
    """The 0-1, hinge, logistic (base 2) and squared losses against the margin :math:`m = y s`."""
    m = torch.linspace(-3, 3, 1201, dtype=torch.float64)
    y = torch.ones_like(m)  # with y = +1 the score s is the margin
    ln2 = torch.log(torch.tensor(2.0, dtype=torch.float64))
    curves = (
        ("0-1 loss: 1[m <= 0]", F.zero_one_loss(m, y, reduction="none"), "k"),
        ("hinge: max(0, 1 - m)", F.hinge_loss(m, y, reduction="none"), "C0"),
        ("logistic, base 2: log2(1 + e^(-m))", F.logistic_loss(m, y, reduction="none") / ln2, "C1"),
        ("squared: (1 - m)^2 = (y - s)^2", (1 - m) ** 2, "C2"),
    )
    fig = Figure(figsize=(7.5, 5))
    ax = fig.subplots()
    for label, loss, color in curves:
        ax.plot(m, loss, color=color, lw=2, label=label, drawstyle="steps-post" if color == "k" else "default")
    ax.axvline(0, color="0.8", lw=0.8)
    ax.set_ylim(-0.1, 4.0)
    ax.set_xlabel("margin m = y * s  (y in {-1, +1}, s the score)")
    ax.set_ylabel("loss")
    ax.set_title("Classification losses as functions of the margin")
    ax.grid(alpha=0.3)
    ax.legend(loc="upper right")
    return _save(fig, out_dir, "classification-losses")


def draw_softmax_vs_sigmoid(out_dir: Path) -> list[Path]:
    """Two-logit softmax outputs against :math:`z_1 - z_2`, beside :math:`\\sigma(z_1 - z_2)`."""
    d = torch.linspace(-8, 8, 801, dtype=torch.float64)
    fig = Figure(figsize=(12, 4.6))
    left, right = fig.subplots(1, 2, sharey=True)
    worst = 0.0
    for k, z2 in enumerate((-3.0, 0.0, 4.0)):
        logits = torch.stack([d + z2, torch.full_like(d, z2)], dim=1)  # (N, 2)
        p = F.softmax(logits, dim=1)
        worst = max(worst, float((p[:, 0] - F.sigmoid(d)).abs().max()))
        style = dict(lw=2.5 - 0.7 * k, ls=("-", "--", ":")[k])
        left.plot(d, p[:, 0], color="C0", label=f"softmax p1, z2 = {z2:g}", **style)
        left.plot(d, p[:, 1], color="C3", label=f"softmax p2, z2 = {z2:g}", **style)
    left.set_title("Softmax of two logits (z1, z2): the curves for\nthree values of z2 coincide")
    left.set_xlabel("logit difference z1 - z2")
    left.set_ylabel("probability")
    left.legend(loc="center left", fontsize=8)
    right.plot(d, F.sigmoid(d), color="C0", lw=2, label="sigmoid(z1 - z2)")
    right.plot(d, 1 - F.sigmoid(d), color="C3", lw=2, label="1 - sigmoid(z1 - z2)")
    right.set_title("Sigmoid of the difference")
    right.set_xlabel("logit difference z1 - z2")
    right.legend(loc="center left", fontsize=8)
    for ax in (left, right):
        ax.grid(alpha=0.3)
    fig.suptitle(f"Two-class softmax = sigmoid of the logit difference (max |p1 - sigmoid| = {worst:.1e})")
    return _save(fig, out_dir, "softmax-vs-sigmoid")


#: Figure name -> drawing function ``(out_dir: Path) -> [svg path, png path]``.
NOTE_FIGURES: dict[str, Callable[[Path], list[Path]]] = {
    "activations": draw_activations,
    "classification-losses": draw_classification_losses,
    "softmax-vs-sigmoid": draw_softmax_vs_sigmoid,
}


def draw_note_figures(out_dir: str | Path, only: str | None = None) -> dict[str, list[Path]]:
    """Draw the note's lost figures (all, or just ``only``) as SVG and PNG.

    Args:
        out_dir: folder to write into (created).
        only: one name from :data:`NOTE_FIGURES`, or ``None`` for all.

    Returns:
        ``{name: [svg path, png path]}``.

    Raises:
        ValueError: ``only`` is not a known figure (the message lists them).
    """
    if only is not None and only not in NOTE_FIGURES:
        raise ValueError(f"only={only!r} must be one of {', '.join(repr(n) for n in NOTE_FIGURES)}")
    names = list(NOTE_FIGURES) if only is None else [only]
    out = Path(out_dir)
    return {name: NOTE_FIGURES[name](out) for name in names}
