"""Question 3: why training overfits, and what prevents it.

One experiment, :func:`run_overfit`, trains an MLP on the digits images
(flattened 8x8 grey levels in [0, 1], 10 classes) and measures the
train/validation gap, the test scores and the per-epoch curves. Every claim of
the question is a set of its configs:

1. too little data: the gap against the training-set size;
2. too many parameters: the gap against the hidden width at a small training set
   (a second descent of the gap for very wide nets makes the verdict NUANCED);
3. too many iterations: the validation loss has a minimum and then rises while
   the training loss keeps falling;
4. each regulariser the note lists (L1, L2, dropout, data augmentation, noise
   injection, early stopping, multi-task learning, batch normalisation) added to
   one deliberately overfitting setup (100 training images, a wide 2-hidden-layer
   MLP, full-batch Adam trained far past the validation minimum), against the
   unregularised baseline with the same seeds; plus a summary with the forest plot.

Seeds vary everything random: the data split and the training subsample
(``load_dataset(seed=seed)``), the initialisation and the training noise, so
arms that share a seed share their data and (where the architectures agree)
their initial weights: comparisons across arms are paired.

Strength selection: each regulariser has a small grid of strengths. Seeds
``0 .. N_SELECTION_SEEDS - 1`` are *selection seeds*: the strength with the
lowest mean validation loss over them is chosen, and their test scores are
never used. The effect of the chosen strength is then measured on the *test*
split over the remaining, fresh seeds, paired with the baseline of the same seed.

The full profile trains on Fashion-MNIST (Xiao et al. 2017, arXiv:1708.07747;
28x28 grey levels in [0, 1], flattened to 784 inputs) where its files are
present, else on digits; each config names which
(:class:`FullOverfitConfig`, :func:`mustknow.data.available_image_dataset`).
Fashion-MNIST rather than MNIST because an MLP overfits it visibly: at 100
images the validation accuracy stays far below the training accuracy, so the
gap has room to shrink with data and regularisers. The validation split is 12000
images of the official training part (drawn with the seed, as on digits), the
test split the official 10000. Every claim of the question uses it: the same
experiment serves them all.
"""

from __future__ import annotations

import functools
import math
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import torch
from torch import nn

from ... import functional as MF
from ...data import available_image_dataset, load_dataset, load_image_classification, random_shift_rotate
from ...nn import MultiTaskLoss, make_mlp
from ...nn import count_parameters
from ...nn.blocks import MLP
from .. import stats
from ..claims import Claim, Question, Result, Verdict
from ..train import TrainConfig, evaluate, fit, seed_everything
from ..figures import pyplot, save_figure
from ._images import data_note, data_title

__all__ = ["QUESTION", "OverfitConfig", "FullOverfitConfig", "FULL_DATASET", "run_overfit", "TwoHeadMLP",
           "REGULARISERS"]

_SECTION = "三、训练中出现过拟合的原因?深度学习里的正则方法有哪些/如何防止过拟合?"

#: The regularisers the note lists, in its order, and what ``strength`` means for each.
REGULARISERS: dict[str, str] = {
    "l1": "coefficient l1 of the penalty l1 * sum|w| (weights only)",
    "l2": "coefficient l2 of the penalty l2 / 2 * sum w^2 (weights only)",
    "dropout": "drop probability p after each hidden block",
    "augmentation": "largest random rotation in degrees (with random shifts of up to max_shift pixels)",
    "noise": "std of Gaussian noise added to every training input (pixels in [0, 1])",
    "early_stopping": "patience, in validation checks without improvement (best weights restored)",
    "multitask": "weight of an auxiliary input-reconstruction loss (a second head)",
    "batchnorm": "none (BatchNorm before each ReLU; one arm)",
}
_NAMES = {
    "l1": "L1",
    "l2": "L2",
    "dropout": "dropout",
    "augmentation": "data augmentation",
    "noise": "noise injection",
    "early_stopping": "early stopping",
    "multitask": "multi-task learning",
    "batchnorm": "batch normalisation",
}
_NAMES_ZH = {
    "l1": "L1 正则",
    "l2": "L2 正则",
    "dropout": "Dropout",
    "augmentation": "数据增强",
    "noise": "加噪",
    "early_stopping": "提前终止",
    "multitask": "多任务联合",
    "batchnorm": "加 BN",
}


# --------------------------------------------------------------------------- the experiment


@dataclass(frozen=True)
class OverfitConfig:
    """One training run of the overfitting study (all claims of question 3)."""

    n_train: int | None = 100  # 10 images per class: an MLP memorises them within a few epochs
    width: int = 128  # ~26k parameters for 100 images: heavily over-parameterised, still cheap
    depth: int = 2  # two hidden layers: dropout and BN act inside the network, not only at its input
    epochs: int = 40  # about 3x past the validation minimum (near epoch 12): long training overfits
    lr: float = 1e-2  # Adam at a large step: reaches near-zero training loss quickly
    batch_size: int | None = None  # full batch: the cheapest step here, and the same step count for every size
    eval_every: int = 2  # validation checks (curves, early stopping) every 2 epochs halve their cost
    regulariser: str = "none"  # "none" (the baseline) or a key of REGULARISERS
    strength: float = 0.0  # the regulariser's strength (meaning per REGULARISERS); 0 for the baseline
    max_shift: int = 0  # augmentation only: largest random shift in pixels (1 of 8 is already large)


@dataclass(frozen=True)
class FullOverfitConfig(OverfitConfig):
    """A full-profile :class:`OverfitConfig` that names its data set (Fashion-MNIST, or digits without its files)."""

    dataset: str = "digits"  # what available_image_dataset(FULL_DATASET) gave; see load_image_classification


#: The data set the full profile asks for.
FULL_DATASET = "fashion_mnist"


class TwoHeadMLP(nn.Module):
    """An MLP trunk with two heads: class logits and a reconstruction of the input.

    In training mode ``forward`` returns ``(logits, reconstruction, target)``,
    where ``target`` is the flattened input (the reconstruction head's
    target), so a loss ``loss_fn(output, y)`` can score both heads. In eval
    mode it returns the logits alone: the auxiliary head only shapes training.
    This is the supervised auto-encoder of Le, Patterson & White (2018),
    "Supervised autoencoders: Improving generalization performance with
    unsupervised regularizers" (NeurIPS).

    Args:
        mlp: the trunk and classification head (:func:`mustknow.nn.make_mlp`).
        in_features: size of the flattened input, the reconstruction's size.

    Shape:
        (N, *) -> logits (N, classes); in training also reconstruction and
        target (N, in_features).

    Example:
        >>> net = TwoHeadMLP(make_mlp(64, 10, 1, 16), 64)
        >>> [tuple(t.shape) for t in net(torch.rand(3, 1, 8, 8))]
        [(3, 10), (3, 64), (3, 64)]
    """

    def __init__(self, mlp: MLP, in_features: int) -> None:
        super().__init__()
        self.blocks = mlp.blocks
        self.head = mlp.head
        self.reconstruction = nn.Linear(mlp.head.in_features, in_features)

    def forward(self, x: torch.Tensor) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        flat = x.flatten(1)  # (N, *) -> (N, in_features)
        h = flat
        for block in self.blocks:
            h = block(h)
        logits = self.head(h)
        if not self.training:
            return logits
        return logits, self.reconstruction(h), flat


def _multitask_loss(weight: float) -> Callable[[Any, torch.Tensor], torch.Tensor]:
    """Cross-entropy plus ``weight`` times the reconstruction MSE (training outputs); CE alone in eval."""
    combine = MultiTaskLoss(2, weights=[1.0, weight])

    def loss(output: Any, target: torch.Tensor) -> torch.Tensor:
        if isinstance(output, tuple):
            logits, recon, x = output
            return combine([MF.cross_entropy(logits, target), torch.nn.functional.mse_loss(recon, x)])
        return MF.cross_entropy(output, target)

    return loss


def _setup(config: OverfitConfig, seed: int, in_features: int = 64) -> tuple[nn.Module, TrainConfig, Callable | None]:
    """The model, training config and loss of one run (the regulariser switched on).

    ``in_features``: the flattened input size (64 for digits, 784 for Fashion-MNIST).
    """
    if config.regulariser != "none" and config.regulariser not in REGULARISERS:
        raise ValueError(
            f"regulariser={config.regulariser!r} must be 'none' or one of {', '.join(REGULARISERS)}"
        )
    reg, s = config.regulariser, config.strength
    train = TrainConfig(optimizer="adam", lr=config.lr, epochs=config.epochs, batch_size=config.batch_size)
    seed_everything(seed)
    model: nn.Module = make_mlp(
        in_features,
        10,
        config.depth,
        config.width,
        norm="batch" if reg == "batchnorm" else "none",
        dropout=s if reg == "dropout" else 0.0,
    )
    loss_fn = None
    if reg == "l1":
        train = train.replace(l1=s)
    elif reg == "l2":
        train = train.replace(l2=s)
    elif reg == "augmentation":
        train = train.replace(augment=functools.partial(random_shift_rotate, max_shift=config.max_shift, max_degrees=s))
    elif reg == "noise":
        train = train.replace(input_noise_std=s)
    elif reg == "early_stopping":
        train = train.replace(early_stopping_patience=int(s), restore_best=True)
    elif reg == "multitask":
        model = TwoHeadMLP(model, in_features)  # the trunk's initial weights are the baseline's
        loss_fn = _multitask_loss(s)
    return model, train, loss_fn


def run_overfit(config: OverfitConfig, seed: int) -> dict[str, Any]:
    """Train one MLP on digits (a :class:`FullOverfitConfig`: on its data set); return scores, gaps and curves.

    Images stay in [0, 1] (not standardised) on every data set, so noise and
    augmentation strengths mean the same on each.

    Metrics (losses are cross-entropy in nats, accuracies in [0, 1]; train
    scores re-measured in eval mode after training):
    ``train_loss, train_acc, val_loss, val_acc, test_loss, test_acc``;
    ``gap_loss = val_loss - train_loss``, ``gap_acc = train_acc - val_acc``;
    ``val_min_loss`` and ``val_min_epoch`` (the best validation check);
    ``val_rise`` (last minus lowest validation loss); ``train_fall`` (training
    loss at the best check minus the last training loss); ``epochs_run``;
    ``parameters``; ``train_size``.

    Series: ``train_loss`` per epoch (the full-batch loss of the step, in
    train mode), ``val_loss``, ``val_acc`` and ``val_epochs`` per validation check.
    """
    if isinstance(config, FullOverfitConfig):
        data = load_image_classification(config.dataset, seed=seed, n_train=config.n_train)
    else:
        data = load_dataset("digits", seed=seed, as_images=True, n_train=config.n_train)
    model, train_config, loss_fn = _setup(config, seed, data.num_features)
    history = fit(model, data.train, data.val, train_config, seed=seed, loss_fn=loss_fn,
                  eval_every=config.eval_every)
    scores = {name: evaluate(model, split, loss_fn) for name, split in
              (("train", data.train), ("val", data.val), ("test", data.test))}
    best = min(range(len(history.val_loss)), key=history.val_loss.__getitem__)
    best_epoch = history.val_epochs[best]
    metrics = {f"{name}_{k}": float(v) for name, s in scores.items() for k, v in s.items()}
    metrics.update(
        gap_loss=metrics["val_loss"] - metrics["train_loss"],
        gap_acc=metrics["train_acc"] - metrics["val_acc"],
        val_min_loss=history.val_loss[best],
        val_min_epoch=float(best_epoch),
        val_rise=history.val_loss[-1] - history.val_loss[best],
        train_fall=history.train_loss[best_epoch - 1] - history.train_loss[-1],
        epochs_run=float(history.epochs),
        parameters=float(count_parameters(model)),
        train_size=float(len(data.train)),
    )
    series = history.to_series()
    return {"metrics": metrics, "series": {k: series[k] for k in ("train_loss", "val_loss", "val_acc", "val_epochs")}}



# --------------------------------------------------------------------------- configs

#: The overfitting setup of each profile (the regulariser baseline; the causes vary one field of it).
#: The full one's data set is filled in by :func:`_base` when configs are asked for.
_BASE = {"quick": OverfitConfig(), "full": FullOverfitConfig(width=256, epochs=80)}
#: Training-set sizes (None: the whole training split, 1079 digits images).
_SIZES = {"quick": (50, 100, 200, 400, None), "full": (50, 70, 100, 150, 200, 300, 400, 600, 800, None)}
#: Full-profile sizes on Fashion-MNIST: doubling from 50 to 6400, then the whole training split (48000
#: images, full batch: a few minutes per trial on one CPU thread).
_FULL_PUBLIC_SIZES = (50, 100, 200, 400, 800, 1600, 3200, 6400, None)
#: Hidden widths at the small training set (100 images); the interpolation threshold is near width 10.
_WIDTHS = {"quick": (4, 8, 16, 32, 128, 512), "full": (2, 4, 6, 8, 12, 16, 24, 32, 64, 128, 256, 512, 1024, 2048)}
#: Strength grids, as (strength, max_shift) pairs (max_shift matters for augmentation only).
_GRIDS: dict[str, dict[str, tuple[tuple[float, int], ...]]] = {
    "quick": {
        "l1": ((1e-4, 0), (1e-3, 0)),
        "l2": ((1e-3, 0), (1e-2, 0)),
        "dropout": ((0.2, 0), (0.5, 0)),
        "augmentation": ((10.0, 0), (0.0, 1)),
        "noise": ((0.1, 0), (0.3, 0)),
        "early_stopping": ((2, 0), (5, 0)),
        "multitask": ((1.0, 0), (3.0, 0)),
        "batchnorm": ((1.0, 0),),
    },
    "full": {
        "l1": ((1e-5, 0), (1e-4, 0), (3e-4, 0), (1e-3, 0), (3e-3, 0)),
        "l2": ((1e-4, 0), (1e-3, 0), (3e-3, 0), (1e-2, 0), (3e-2, 0)),
        "dropout": ((0.1, 0), (0.2, 0), (0.3, 0), (0.5, 0), (0.7, 0)),
        "augmentation": ((5.0, 0), (10.0, 0), (20.0, 0), (0.0, 1), (10.0, 1)),
        "noise": ((0.05, 0), (0.1, 0), (0.2, 0), (0.3, 0), (0.5, 0)),
        "early_stopping": ((1, 0), (2, 0), (5, 0), (10, 0)),
        "multitask": ((0.3, 0), (1.0, 0), (3.0, 0), (10.0, 0)),
        "batchnorm": ((1.0, 0),),
    },
}
#: Seeds 0 .. N_SELECTION_SEEDS - 1 choose each regulariser's strength (validation loss);
#: the later seeds measure its effect on the test split.
N_SELECTION_SEEDS = 2
#: Fresh seeds measuring each regulariser's effect, per profile.
_EVAL_SEEDS = {"quick": 5, "full": 10}
_REG_SEEDS = {p: N_SELECTION_SEEDS + n for p, n in _EVAL_SEEDS.items()}


def _base(profile: str) -> OverfitConfig:
    """The profile's setup; the full one names FULL_DATASET, or digits when its files are not there."""
    if profile == "quick":
        return _BASE[profile]
    return replace(_BASE[profile], dataset=available_image_dataset(FULL_DATASET))


def configs_data_size(profile: str) -> list[OverfitConfig]:
    base = _base(profile)
    sizes = _FULL_PUBLIC_SIZES if getattr(base, "dataset", "digits") != "digits" else _SIZES[profile]
    return [replace(base, n_train=n) for n in sizes]


def configs_width(profile: str) -> list[OverfitConfig]:
    base = _base(profile)
    return [replace(base, width=w) for w in _WIDTHS[profile]]


def configs_iterations(profile: str) -> list[OverfitConfig]:
    return [_base(profile)]


def configs_regulariser(regulariser: str, profile: str) -> list[OverfitConfig]:
    """The baseline and the regulariser's strength grid, in the profile's setup."""
    base = _base(profile)
    return [base] + [
        replace(base, regulariser=regulariser, strength=float(s), max_shift=shift)
        for s, shift in _GRIDS[profile][regulariser]
    ]


def configs_all_regularisers(profile: str) -> list[OverfitConfig]:
    return [_base(profile)] + [c for reg in REGULARISERS for c in configs_regulariser(reg, profile)[1:]]


# --------------------------------------------------------------------------- shared verdict helpers


def _paired(a: Sequence[Result], b: Sequence[Result], metric: str) -> stats.Interval | None:
    """Paired interval of ``metric`` in ``a`` minus ``b`` over the seeds both have; None under 2 seeds."""
    va = {r["seed"]: float(r["metrics"][metric]) for r in a}
    vb = {r["seed"]: float(r["metrics"][metric]) for r in b}
    common = sorted(set(va) & set(vb))
    if len(common) < 2:
        return None
    return stats.paired_diff([va[s] for s in common], [vb[s] for s in common])


def _mean(results: Sequence[Result], metric: str) -> float:
    return statistics.fmean(stats.metric_values(results, metric))


def _combine_metrics(first: str, second: str) -> str:
    """One label from the accuracy-gap and the loss-gap labels.

    Equal labels stand; an INCONCLUSIVE one makes the whole INCONCLUSIVE; any
    other disagreement (SUPPORTED vs NUANCED or REFUTED) is NUANCED.
    """
    if first == second:
        return first
    if "INCONCLUSIVE" in (first, second):
        return "INCONCLUSIVE"
    return "NUANCED"


_GAPS = ("gap_acc", "gap_loss")
_GAP_NAMES = {"gap_acc": "accuracy gap (train - val)", "gap_loss": "loss gap (val - train, nats)"}


def _inconclusive(reason_en: str, reason_zh: str, evidence: dict[str, Any] | None = None) -> Verdict:
    return Verdict("INCONCLUSIVE", reason_en, reason_zh, evidence or {})


# =========================================================================== claim 1: too little data

#: The gap at about 50 images must exceed the gap on the whole training split by more than this.
DATA_GAP_DROP = {"gap_acc": 0.05, "gap_loss": 0.1}
#: A larger set whose mean gap exceeds the next smaller set's by more than this breaks "shrinks with size".
DATA_MONOTONE_TOL = {"gap_acc": 0.02, "gap_loss": 0.1}


def _size_key(n: int | None) -> float:
    return math.inf if n is None else n


def verdict_data_size(results: list[Result]) -> Verdict:
    arms = stats.by_config(results, "n_train")
    sizes = sorted(arms, key=_size_key)
    if len(sizes) < 2:
        return _inconclusive("Fewer than two training-set sizes are stored.", "存储的训练集大小不足两个。")
    small, large = arms[sizes[0]], arms[sizes[-1]]
    n_small, n_large = int(_mean(small, "train_size")), int(_mean(large, "train_size"))
    labels, parts_en, parts_zh = {}, [], []
    evidence: dict[str, Any] = {"threshold": DATA_GAP_DROP, "monotone_tolerance": DATA_MONOTONE_TOL,
                                "sizes": [int(_mean(arms[n], "train_size")) for n in sizes]}
    monotone = True
    for m in _GAPS:
        diff = _paired(small, large, m)
        means = [_mean(arms[n], m) for n in sizes]
        evidence[f"{m}_means"] = means
        evidence[f"{m}_intervals"] = [stats.mean_ci(stats.metric_values(arms[n], m)).to_dict() for n in sizes]
        worst_rise = max(b - a for a, b in zip(means, means[1:]))
        monotone = monotone and worst_rise <= DATA_MONOTONE_TOL[m]
        if diff is None:
            return _inconclusive("Fewer than two paired seeds.", "配对种子不足两个。", evidence)
        evidence[f"{m}_drop"] = diff.to_dict()
        labels[m] = stats.decide(diff, DATA_GAP_DROP[m], ">")
        parts_en.append(f"{_GAP_NAMES[m]} {means[0]:.3g} at {n_small} images vs {means[-1]:.3g} at {n_large} images, "
                        f"paired drop {diff.fmt()} (threshold {DATA_GAP_DROP[m]:g})")
        parts_zh.append(f"{m}:{n_small} 张时 {means[0]:.3g},{n_large} 张时 {means[-1]:.3g},配对下降 {diff.fmt()}"
                        f"(阈值 {DATA_GAP_DROP[m]:g})")
    label = _combine_metrics(labels["gap_acc"], labels["gap_loss"])
    if label == "SUPPORTED" and not monotone:
        label = "NUANCED"
    evidence["monotone"] = monotone
    tail_en = "" if monotone else "; the mean gap is not monotone in the size (NUANCED)"
    tail_zh = "" if monotone else ";平均差距并不随训练集大小单调下降(NUANCED)"
    note_en, note_zh, note_ev = data_note(results)
    evidence.update(note_ev)
    return Verdict(label, "; ".join(parts_en) + tail_en + "." + note_en,
                   ";".join(parts_zh) + tail_zh + "。" + note_zh, evidence)


# =========================================================================== claim 2: too many parameters

#: The gap at the widest-gap width must exceed the narrowest net's by more than this ...
WIDTH_GAP_RISE = {"gap_acc": 0.05, "gap_loss": 0.1}
#: ... and a second descent is a drop from that peak to the widest net of more than this.
WIDTH_GAP_FALL = {"gap_acc": 0.02, "gap_loss": 0.1}


def _width_label(arms: dict[Any, list[Result]], widths: list[int], m: str) -> tuple[str, dict[str, Any], str, str]:
    means = [_mean(arms[w], m) for w in widths]
    peak = widths[max(range(len(widths)), key=means.__getitem__)]
    rise = _paired(arms[peak], arms[widths[0]], m)
    fall = _paired(arms[peak], arms[widths[-1]], m) if peak != widths[-1] else None
    ev: dict[str, Any] = {"means": means, "peak_width": peak,
                          "intervals": [stats.mean_ci(stats.metric_values(arms[w], m)).to_dict() for w in widths]}
    if rise is None:
        return "INCONCLUSIVE", ev, "fewer than two paired seeds", "配对种子不足两个"
    ev["rise"] = rise.to_dict()
    rise_label = stats.decide(rise, WIDTH_GAP_RISE[m], ">")
    second = fall is not None and stats.decide(fall, WIDTH_GAP_FALL[m], ">") == "SUPPORTED"
    if fall is not None:
        ev["fall"] = fall.to_dict()
    label = "NUANCED" if rise_label == "SUPPORTED" and second else rise_label
    fall_en = f", then falls by {fall.fmt()} to width {widths[-1]}" if fall is not None else ""
    fall_zh = f",随后到宽度 {widths[-1]} 下降 {fall.fmt()}" if fall is not None else ""
    en = (f"{_GAP_NAMES[m]} rises by {rise.fmt()} from width {widths[0]} to its peak at width {peak}{fall_en}")
    zh = f"{m} 从宽度 {widths[0]} 到峰值宽度 {peak} 上升 {rise.fmt()}{fall_zh}"
    return label, ev, en, zh


def verdict_width(results: list[Result]) -> Verdict:
    arms = stats.by_config(results, "width")
    widths = sorted(arms)
    if len(widths) < 2:
        return _inconclusive("Fewer than two widths are stored.", "存储的宽度不足两个。")
    evidence: dict[str, Any] = {"rise_threshold": WIDTH_GAP_RISE, "fall_threshold": WIDTH_GAP_FALL,
                                "widths": widths, "parameters": [_mean(arms[w], "parameters") for w in widths]}
    labels, en, zh = {}, [], []
    for m in _GAPS:
        labels[m], evidence[m], e, z = _width_label(arms, widths, m)
        en.append(e)
        zh.append(z)
    label = _combine_metrics(labels["gap_acc"], labels["gap_loss"])
    tail_en = {"NUANCED": " (NUANCED: the gap does not just grow with the parameter count; where it falls again "
                          "for very wide nets, that is the second descent of double descent)",
               "SUPPORTED": " (the gap grows with the parameter count; a fall beyond the peak is not established)"}.get(
                   label, "")
    tail_zh = {"NUANCED": "(NUANCED:差距并非随参数量单调增长;在很宽的网络上再次下降即双下降的第二次下降)",
               "SUPPORTED": "(差距随参数量增长;峰值之后的下降未被确认)"}.get(label, "")
    n = int(_mean(results, "train_size"))
    note_en, note_zh, note_ev = data_note(results)
    evidence.update(note_ev)
    return Verdict(label, f"At {n} training images: " + "; ".join(en) + tail_en + "." + note_en,
                   f"{n} 张训练图像时:" + ";".join(zh) + tail_zh + "。" + note_zh, evidence)


# =========================================================================== claim 3: too many iterations

#: The last validation loss must exceed the lowest one by more than this many nats ...
ITER_VAL_RISE = 0.05
#: ... while the training loss falls after the validation minimum by more than this.
ITER_TRAIN_FALL = 0.0


def verdict_iterations(results: list[Result]) -> Verdict:
    if len(results) < 2:
        return _inconclusive("Fewer than two seeds are stored.", "存储的种子不足两个。")
    rise = stats.mean_ci(stats.metric_values(results, "val_rise"))
    fall = stats.mean_ci(stats.metric_values(results, "train_fall"))
    best = stats.mean_ci(stats.metric_values(results, "val_min_epoch"))
    epochs = int(_mean(results, "epochs_run"))
    rise_label = stats.decide(rise, ITER_VAL_RISE, ">")
    fall_label = stats.decide(fall, ITER_TRAIN_FALL, ">")
    if rise_label == "SUPPORTED":
        label = {"SUPPORTED": "SUPPORTED", "REFUTED": "NUANCED"}.get(fall_label, "INCONCLUSIVE")
    else:
        label = rise_label
    evidence = {"val_rise_threshold": ITER_VAL_RISE, "train_fall_threshold": ITER_TRAIN_FALL,
                "val_rise": rise.to_dict(), "train_fall": fall.to_dict(), "val_min_epoch": best.to_dict(),
                "epochs": epochs, "val_min_loss": stats.mean_ci(stats.metric_values(results, "val_min_loss")).to_dict(),
                "final_val_loss": stats.mean_ci(stats.metric_values(results, "val_loss")).to_dict()}
    note_en, note_zh, note_ev = data_note(results)
    evidence.update(note_ev)
    en = (f"The validation loss is lowest at epoch {best.fmt()} of {epochs}, then rises by {rise.fmt()} nats "
          f"(threshold {ITER_VAL_RISE:g}) while the training loss falls by a further {fall.fmt()} nats "
          f"(threshold {ITER_TRAIN_FALL:g}).{note_en}")
    zh = (f"验证损失在第 {best.fmt()} 个 epoch(共 {epochs} 个)最低,此后上升 {rise.fmt()} nats(阈值 {ITER_VAL_RISE:g}),"
          f"而训练损失继续下降 {fall.fmt()} nats(阈值 {ITER_TRAIN_FALL:g})。{note_zh}")
    return Verdict(label, en, zh, evidence)


# =========================================================================== claims 4-11: regularisers

#: A regulariser improves when the test-loss change (arm - baseline) lies below this, or the test-accuracy
#: change above it; it hurts when the reverse holds. Both at once: NUANCED (a trade-off).
REG_EFFECT = 0.0


@dataclass(frozen=True)
class _RegEffect:
    """One regulariser's selection and measured effect."""

    label: str
    strength: float | None
    max_shift: int | None
    evidence: dict[str, Any]
    test_loss: stats.Interval | None
    test_acc: stats.Interval | None


#: How a chosen strength is written: the knob's name, then its value.
_KNOB = {"l1": "l1", "l2": "l2", "dropout": "p", "noise": "sigma", "early_stopping": "patience", "multitask": "w"}


def _strength_name(regulariser: str, strength: float, max_shift: int) -> str:
    if regulariser == "augmentation":
        return f"{strength:g} deg, shift {max_shift}"
    if regulariser == "batchnorm":
        return "BN on"
    return f"{_KNOB[regulariser]}={strength:g}"


def _regulariser_effect(results: Sequence[Result], regulariser: str) -> _RegEffect:
    """Choose the strength on the selection seeds' validation loss; measure the test effect on the others."""
    base = [r for r in stats.select(results, regulariser="none") if r["seed"] >= N_SELECTION_SEEDS]
    arm_results = stats.select(results, regulariser=regulariser)
    grid = sorted({(r["config"]["strength"], r["config"]["max_shift"]) for r in arm_results})
    selection: dict[str, float] = {}
    for s, shift in grid:
        sel = [r for r in stats.select(arm_results, strength=s, max_shift=shift) if r["seed"] < N_SELECTION_SEEDS]
        if sel:
            selection[_strength_name(regulariser, s, shift)] = _mean(sel, "val_loss")
    evidence: dict[str, Any] = {"threshold": REG_EFFECT, "selection_seeds": N_SELECTION_SEEDS,
                                "selection_val_loss": selection}
    if not selection:
        return _RegEffect("INCONCLUSIVE", None, None, evidence, None, None)
    s, shift = min(grid, key=lambda g: selection.get(_strength_name(regulariser, *g), math.inf))
    evidence["chosen"] = _strength_name(regulariser, s, shift)
    arm = [r for r in stats.select(arm_results, strength=s, max_shift=shift) if r["seed"] >= N_SELECTION_SEEDS]
    diffs = {m: _paired(arm, base, m) for m in ("test_loss", "test_acc", "val_loss", "val_acc", "gap_acc")}
    if diffs["test_loss"] is None:
        return _RegEffect("INCONCLUSIVE", s, shift, evidence, None, None)
    for m, iv in diffs.items():
        evidence[f"{m}_change"] = iv.to_dict()
    for m in ("test_loss", "test_acc"):
        evidence[f"baseline_{m}"] = stats.mean_ci(stats.metric_values(base, m)).to_dict()
        evidence[f"arm_{m}"] = stats.mean_ci(stats.metric_values(arm, m)).to_dict()
    improves = (stats.decide(diffs["test_loss"], REG_EFFECT, "<") == "SUPPORTED"
                or stats.decide(diffs["test_acc"], REG_EFFECT, ">") == "SUPPORTED")
    hurts = (stats.decide(diffs["test_loss"], REG_EFFECT, ">") == "SUPPORTED"
             or stats.decide(diffs["test_acc"], REG_EFFECT, "<") == "SUPPORTED")
    label = {(True, False): "SUPPORTED", (False, True): "REFUTED", (True, True): "NUANCED"}.get(
        (improves, hurts), "INCONCLUSIVE")
    evidence["eval_seeds"] = sorted(r["seed"] for r in arm)
    return _RegEffect(label, s, shift, evidence, diffs["test_loss"], diffs["test_acc"])


_OUTCOME = {"SUPPORTED": "improves", "REFUTED": "hurts", "NUANCED": "trades one score for the other",
            "INCONCLUSIVE": "is inconclusive"}
_OUTCOME_ZH = {"SUPPORTED": "有改善", "REFUTED": "有害", "NUANCED": "一项改善、一项变差", "INCONCLUSIVE": "不确定"}


def verdict_regulariser(regulariser: str, results: list[Result]) -> Verdict:
    eff = _regulariser_effect(results, regulariser)
    name, name_zh = _NAMES[regulariser], _NAMES_ZH[regulariser]
    if eff.test_loss is None or eff.test_acc is None:
        return _inconclusive(
            f"{name}: no paired evaluation seeds (seeds >= {N_SELECTION_SEEDS}) with a chosen strength are stored.",
            f"{name_zh}:没有存储到已选强度的配对评估种子(种子 >= {N_SELECTION_SEEDS})。", eff.evidence)
    ev = eff.evidence
    chosen = (f"with {ev['chosen']} (chosen by validation loss on seeds 0-{N_SELECTION_SEEDS - 1})"
              if regulariser != "batchnorm" else "(one arm, nothing to choose)")
    chosen_zh = (f"取 {ev['chosen']}(按种子 0-{N_SELECTION_SEEDS - 1} 的验证损失选出)" if regulariser != "batchnorm"
                 else "(只有一个配置,无需选择)")
    en = (f"{name} {chosen} {_OUTCOME[eff.label]}: "
          f"test loss {ev['baseline_test_loss']['mean']:.3g} -> {ev['arm_test_loss']['mean']:.3g}, change "
          f"{eff.test_loss.fmt()}; test accuracy {ev['baseline_test_acc']['mean']:.3g} -> "
          f"{ev['arm_test_acc']['mean']:.3g}, change {eff.test_acc.fmt()} (paired over {len(ev['eval_seeds'])} "
          f"fresh seeds; validation loss change {stats.Interval.fmt(stats.Interval(**ev['val_loss_change']))}).")
    zh = (f"{name_zh}{chosen_zh}{_OUTCOME_ZH[eff.label]}:"
          f"测试损失 {ev['baseline_test_loss']['mean']:.3g} -> {ev['arm_test_loss']['mean']:.3g},变化 {eff.test_loss.fmt()};"
          f"测试准确率 {ev['baseline_test_acc']['mean']:.3g} -> {ev['arm_test_acc']['mean']:.3g},变化 {eff.test_acc.fmt()}"
          f"(在 {len(ev['eval_seeds'])} 个新种子上配对;验证损失变化 {stats.Interval.fmt(stats.Interval(**ev['val_loss_change']))})。")
    note_en, note_zh, note_ev = data_note(results)
    return Verdict(eff.label, en + note_en, zh + note_zh, {**ev, **note_ev})


def verdict_all_regularisers(results: list[Result]) -> Verdict:
    effects = {reg: _regulariser_effect(results, reg) for reg in REGULARISERS}
    labels = {reg: e.label for reg, e in effects.items()}
    if all(lab == "SUPPORTED" for lab in labels.values()):
        label = "SUPPORTED"
    elif any(lab == "SUPPORTED" for lab in labels.values()):
        label = "NUANCED"
    elif any(lab == "REFUTED" for lab in labels.values()):
        label = "REFUTED"
    else:
        label = "INCONCLUSIVE"
    groups_en = {o: [_NAMES[r] for r, lab in labels.items() if lab == o] for o in _OUTCOME}
    groups_zh = {o: [_NAMES_ZH[r] for r, lab in labels.items() if lab == o] for o in _OUTCOME}
    en = "; ".join(f"{_OUTCOME[o]}: {', '.join(v)}" for o, v in groups_en.items() if v)
    zh = ";".join(f"{_OUTCOME_ZH[o]}:{'、'.join(v)}" for o, v in groups_zh.items() if v)
    evidence = {reg: {"label": e.label, **e.evidence} for reg, e in effects.items()}
    note_en, note_zh, note_ev = data_note(results)
    evidence.update(note_ev)
    return Verdict(label, f"Of the note's regularisers, on the test split: {en}.{note_en}",
                   f"笔记列出的正则方法在测试集上:{zh}。{note_zh}", evidence)


# --------------------------------------------------------------------------- figures


def _gap_panels(results: Sequence[Result], key: str, xs: list[Any], x_of: Callable[[Any], float], xlabel: str,
                title: str, out_dir: Path, name: str) -> Path:
    """Accuracy gap, loss gap and train/val accuracy against one config field: seeds as dots, mean with 95% CI."""
    plt = pyplot()
    arms = stats.by_config(results, key)
    fig, axes = plt.subplots(1, 3, figsize=(13.5, 3.9))
    pos = [x_of(x) for x in xs]
    for ax, m in zip(axes[:2], _GAPS):
        ivs = [stats.mean_ci(stats.metric_values(arms[x], m)) for x in xs]
        for p, x in zip(pos, xs):
            vals = stats.metric_values(arms[x], m)
            ax.scatter([p] * len(vals), vals, s=10, color="0.6", zorder=1)
        ax.errorbar(pos, [iv.mean for iv in ivs],
                    yerr=[[iv.mean - max(iv.low, -1e9) for iv in ivs], [min(iv.high, 1e9) - iv.mean for iv in ivs]],
                    marker="o", capsize=3, color="C0", zorder=2, label="mean, 95% CI")
        ax.set_xscale("log")
        ax.set_xlabel(xlabel)
        ax.set_ylabel(_GAP_NAMES[m])
        ax.axhline(0.0, color="0.7", lw=0.8)
        ax.legend(fontsize=8)
    ax = axes[2]
    for m, style in (("train_acc", "C2"), ("val_acc", "C3"), ("test_acc", "C4")):
        ax.plot(pos, [_mean(arms[x], m) for x in xs], marker="o", color=style, label=m.replace("_", " "))
    ax.set_xscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel("accuracy (mean over seeds)")
    ax.legend(fontsize=8)
    fig.suptitle(title)
    return save_figure(fig, out_dir, name)


def figure_data_size(results: list[Result], out_dir: Path) -> list[Path]:
    arms = stats.by_config(results, "n_train")
    sizes = sorted(arms, key=_size_key)
    n_of = {n: _mean(arms[n], "train_size") for n in sizes}
    return [_gap_panels(results, "n_train", sizes, n_of.__getitem__, "training images (log scale)",
                        f"Train/validation gap vs training-set size (MLP on {data_title(results)})", out_dir,
                        "q03_gap_vs_size.png")]


def figure_width(results: list[Result], out_dir: Path) -> list[Path]:
    widths = sorted(stats.by_config(results, "width"))
    n = int(_mean(results, "train_size"))
    return [_gap_panels(results, "width", widths, float, "hidden width (2 hidden layers, log scale)",
                        f"Train/validation gap vs width at {n} training images ({data_title(results)})", out_dir,
                        "q03_gap_vs_width.png")]


def figure_iterations(results: list[Result], out_dir: Path) -> list[Path]:
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(7.5, 4.5))
    for i, r in enumerate(sorted(results, key=lambda r: r["seed"])):
        s = r["series"]
        epochs = list(range(1, len(s["train_loss"]) + 1))
        ax.plot(epochs, s["train_loss"], color="C0", alpha=0.6, lw=1, label="training loss" if i == 0 else None)
        ax.plot(s["val_epochs"], s["val_loss"], color="C3", alpha=0.6, lw=1,
                label="validation loss" if i == 0 else None)
        best = int(r["metrics"]["val_min_epoch"])
        ax.plot([best], [r["metrics"]["val_min_loss"]], "v", color="k", ms=5,
                label="validation minimum" if i == 0 else None)
    ax.set_yscale("log")
    ax.set_xlabel("epoch (full-batch Adam steps)")
    ax.set_ylabel("cross-entropy (nats, log scale)")
    n = int(_mean(results, "train_size"))
    ax.set_title(f"Train and validation loss vs epoch, {n} training images of {data_title(results)} "
                 "(one line per seed)")
    ax.legend()
    return [save_figure(fig, out_dir, "q03_loss_vs_epoch.png")]


def figure_regulariser(regulariser: str, results: list[Result], out_dir: Path) -> list[Path]:
    plt = pyplot()
    eff = _regulariser_effect(results, regulariser)
    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    ax = axes[0]
    sel = eff.evidence["selection_val_loss"]
    names = list(sel)
    ax.bar(range(len(names)), [sel[k] for k in names],
           color=["C1" if k == eff.evidence.get("chosen") else "C0" for k in names])
    base_sel = [r for r in stats.select(results, regulariser="none") if r["seed"] < N_SELECTION_SEEDS]
    if base_sel:
        ax.axhline(_mean(base_sel, "val_loss"), color="k", ls="--", label="baseline")
        ax.legend(loc="lower right")
    ax.set_xticks(range(len(names)), names, rotation=20, fontsize=8)
    ax.set_xlabel("strength")
    ax.set_ylabel("validation loss, selection seeds")
    ax.set_title("Strength selection (orange: chosen)")
    ax = axes[1]
    base = {r["seed"]: r for r in stats.select(results, regulariser="none") if r["seed"] >= N_SELECTION_SEEDS}
    if eff.strength is not None:
        arm = stats.select(results, regulariser=regulariser, strength=eff.strength, max_shift=eff.max_shift)
        for r in arm:
            if r["seed"] in base:
                ax.plot([0, 1], [base[r["seed"]]["metrics"]["test_loss"], r["metrics"]["test_loss"]], "o-",
                        color="C0", alpha=0.7)
    ax.set_xticks([0, 1], ["baseline", f"{_NAMES[regulariser]} ({eff.evidence.get('chosen', '-')})"])
    ax.set_xlim(-0.4, 1.4)
    ax.set_ylabel("test loss (one line per fresh seed)")
    ax.set_title(f"Paired test loss, verdict: {eff.label}")
    fig.suptitle(f"{_NAMES[regulariser]} in the overfitting setup ({data_title(results)})")
    return [save_figure(fig, out_dir, f"q03_regulariser_{regulariser}.png")]


def figure_forest(results: list[Result], out_dir: Path) -> list[Path]:
    plt = pyplot()
    effects = {reg: _regulariser_effect(results, reg) for reg in REGULARISERS}
    regs = [r for r, e in effects.items() if e.test_loss is not None]
    fig, axes = plt.subplots(1, 2, figsize=(12, 0.5 * len(REGULARISERS) + 1.8), sharey=True)
    for ax, m, label in ((axes[0], "test_loss", "test loss change vs baseline (nats; < 0 better)"),
                         (axes[1], "test_acc", "test accuracy change vs baseline (> 0 better)")):
        for y, reg in enumerate(regs):
            iv = getattr(effects[reg], m)
            lo, hi = max(iv.low, -1e9), min(iv.high, 1e9)
            color = {"SUPPORTED": "C2", "REFUTED": "C3", "NUANCED": "C1"}.get(effects[reg].label, "0.5")
            ax.plot([lo, hi], [y, y], color=color, lw=2)
            ax.plot([iv.mean], [y], "o", color=color)
        ax.axvline(0.0, color="k", lw=0.8)
        ax.set_xlabel(label)
    axes[0].set_yticks(range(len(regs)),
                       [f"{_NAMES[r]} ({effects[r].evidence['chosen']})" for r in regs])
    axes[0].invert_yaxis()
    fig.suptitle(f"Regulariser effects on the {data_title(results)} test split: paired mean change with 95% CI "
                 "(green improves, red hurts, orange trade-off, grey inconclusive)", fontsize=10)
    return [save_figure(fig, out_dir, "q03_regulariser_forest.png")]


# --------------------------------------------------------------------------- claims

_Q, _F = _BASE["quick"], _BASE["full"]
_SETUP_EN = (
    f"an MLP with {_Q.depth} hidden ReLU layers of width {_Q.width} ({_F.width} in the full profile) on the digits "
    f"images (8x8 grey levels in [0, 1], flattened; Fashion-MNIST's 28x28 images in the full profile), "
    f"trained with full-batch Adam (lr {_Q.lr:g}) for {_Q.epochs} "
    f"epochs ({_F.epochs} in full); seeds vary the data split, the subsample and the initialisation"
)
_SETUP_ZH = (
    f"在 digits 图像(8x8 灰度,取值 [0, 1],展平;full 配置为 Fashion-MNIST 的 28x28 图像)上训练 "
    f"{_Q.depth} 个 ReLU 隐藏层、宽 {_Q.width}(full 配置为 {_F.width})"
    f"的 MLP,全批量 Adam(学习率 {_Q.lr:g})训练 {_Q.epochs} 个 epoch(full 为 {_F.epochs});种子改变数据划分、子样本和初始化"
)
_GAP_DEF = "gap = train minus validation accuracy and validation minus training cross-entropy, both measured in eval mode after training"
_SELECTION_EN = (
    f"The strength is chosen from a small grid by the lowest mean validation loss on selection seeds "
    f"0-{N_SELECTION_SEEDS - 1} (whose test scores are not used); the effect of the chosen strength is then "
    f"measured on the test split over {_EVAL_SEEDS['quick']} fresh seeds ({_EVAL_SEEDS['full']} in full), paired "
    f"with the unregularised baseline of the same seed (same data and initial weights)"
)
_SELECTION_ZH = (
    f"强度在一个小网格中按选择种子 0-{N_SELECTION_SEEDS - 1} 上的平均验证损失最低者选出(不使用它们的测试成绩);"
    f"随后在 {_EVAL_SEEDS['quick']} 个新种子(full 为 {_EVAL_SEEDS['full']} 个)上于测试集测量所选强度的效果,"
    f"与同一种子(相同数据与初始权重)的无正则基线配对"
)
_REG_SETUP_EN = {
    "l1": "an explicit penalty l1 * sum|w| on the weight matrices (biases free), added to the loss",
    "l2": "an explicit penalty l2 / 2 * sum w^2 on the weight matrices (biases free), added to the loss",
    "dropout": "inverted dropout with probability p after each hidden block",
    "augmentation": "a fresh random rotation (and, in one grid point, a random 1-pixel shift) of every training "
    "image at every step (Simard, Steinkraus & Platt 2003)",
    "noise": "Gaussian noise of standard deviation sigma added to every training input at every step (Bishop 1995)",
    "early_stopping": "stopping when the validation loss has not improved for `patience` checks and restoring the "
    "best weights (Prechelt 1998); its validation loss is therefore optimistic, the test split is not",
    "multitask": "a second head that reconstructs the input from the last hidden layer, loss = CE + w * MSE "
    "(a supervised auto-encoder, Le, Patterson & White 2018); the class head alone is evaluated",
    "batchnorm": "BatchNorm before each ReLU (Ioffe & Szegedy 2015), which the note lists as a regulariser; with "
    "full-batch training the batch statistics are those of the whole training set, so this measures BN "
    "without the minibatch noise Ioffe & Szegedy credit for its regularising effect",
}
_REG_SETUP_ZH = {
    "l1": "在权重矩阵上加显式惩罚 l1 * sum|w|(偏置不罚)",
    "l2": "在权重矩阵上加显式惩罚 l2 / 2 * sum w^2(偏置不罚)",
    "dropout": "每个隐藏块后加概率为 p 的 inverted dropout",
    "augmentation": "每一步对每张训练图像做新的随机旋转(网格中一个点改为随机平移 1 像素)",
    "noise": "每一步给每个训练输入加标准差为 sigma 的高斯噪声",
    "early_stopping": "验证损失连续 patience 次检查未改善即停止并恢复最佳权重;因此其验证损失偏乐观,测试集不受影响",
    "multitask": "加第二个头从最后一个隐藏层重建输入,损失 = CE + w * MSE(监督自编码器);只评估分类头",
    "batchnorm": "在每个 ReLU 前加 BatchNorm(笔记将其列为正则方法);全批量训练时批统计量就是整个训练集的统计量,"
    "因此测量的是不含小批量噪声的 BN,而 Ioffe 与 Szegedy 认为正是这种噪声带来正则效果",
}


def _regulariser_claim(reg: str) -> Claim:
    return Claim(
        id=f"q03.regulariser-{reg.replace('_', '-')}",
        question=3,
        section=_SECTION,
        note_zh=f"防止过拟合的正则方法之一:{_NAMES_ZH[reg]}。",
        claim_en=(
            f"{_NAMES[reg]} reduces overfitting: in one deliberately overfitting setup ({_Q.n_train} training images, "
            f"{_SETUP_EN}, far past the validation minimum), adding {_REG_SETUP_EN[reg]} lowers the test loss or "
            f"raises the test accuracy without worsening the other. {_SELECTION_EN}."
        ),
        claim_zh=(
            f"{_NAMES_ZH[reg]}能减轻过拟合:在一个刻意过拟合的设置中({_Q.n_train} 张训练图像,{_SETUP_ZH},训练远超验证最低点),"
            f"加入{_REG_SETUP_ZH[reg]}能降低测试损失或提高测试准确率,且不使另一项变差。{_SELECTION_ZH}。"
        ),
        metric="test cross-entropy and test accuracy, regularised minus baseline (paired by seed)",
        comparison=(
            "95% paired intervals: improves (SUPPORTED) if the loss change is < 0 or the accuracy change > 0 and "
            "neither is significantly worse; hurts (REFUTED) if the reverse; both: NUANCED; neither: INCONCLUSIVE"
        ),
        threshold=REG_EFFECT,
        experiment=run_overfit,
        configs=functools.partial(configs_regulariser, reg),
        verdict=functools.partial(verdict_regulariser, reg),
        seeds=dict(_REG_SEEDS),
        figure=functools.partial(figure_regulariser, reg),
    )


_CLAIMS = (
    Claim(
        id="q03.too-little-data",
        question=3,
        section=_SECTION,
        note_zh="过拟合的原因之一:数据集不够。",
        claim_en=(
            f"With the model and training budget fixed ({_SETUP_EN}), the train/validation gap shrinks as the "
            f"training set grows from 50 images to the whole training split (1079 digits; in the full profile the "
            f"whole Fashion-MNIST training split): the paired drop from the "
            f"smallest to the largest set exceeds {DATA_GAP_DROP['gap_acc']:g} in accuracy and "
            f"{DATA_GAP_DROP['gap_loss']:g} nats in loss, and no larger set has a mean gap more than "
            f"{DATA_MONOTONE_TOL['gap_acc']:g} (accuracy) / {DATA_MONOTONE_TOL['gap_loss']:g} (loss) above the next "
            f"smaller one. {_GAP_DEF}. Full-batch training gives every size the same number of steps."
        ),
        claim_zh=(
            f"在模型与训练预算固定时({_SETUP_ZH}),训练集从 50 张增至整个训练集"
            f"(digits 为 1079 张;full 配置为整个 Fashion-MNIST 训练集),训练/验证差距缩小:最小与最大训练集"
            f"之间的配对下降在准确率上超过 {DATA_GAP_DROP['gap_acc']:g}、在损失上超过 {DATA_GAP_DROP['gap_loss']:g} nats,"
            f"且没有更大的训练集的平均差距比前一个更小的训练集高出 {DATA_MONOTONE_TOL['gap_acc']:g}(准确率)/"
            f"{DATA_MONOTONE_TOL['gap_loss']:g}(损失)以上。差距 = 训练减验证准确率、验证减训练交叉熵,均在训练后以 eval 模式测量。"
            "全批量训练使每个规模的步数相同。"
        ),
        metric="accuracy gap (train - val) and loss gap (val - train) after training",
        comparison="paired drop smallest minus largest set, 95% interval vs the threshold; mean gaps monotone within tolerance",
        threshold=f"drop > {DATA_GAP_DROP['gap_acc']:g} (acc) and > {DATA_GAP_DROP['gap_loss']:g} nats (loss)",
        experiment=run_overfit,
        configs=configs_data_size,
        verdict=verdict_data_size,
        seeds={"quick": 5, "full": 10},
        figure=figure_data_size,
    ),
    Claim(
        id="q03.too-many-parameters",
        question=3,
        section=_SECTION,
        note_zh="过拟合的原因之二:参数太多,模型过于复杂,容易过拟合。",
        claim_en=(
            f"At {_Q.n_train} training images ({_SETUP_EN}), the train/validation gap grows with the hidden width: "
            f"from the narrowest net to the width with the largest mean gap it rises by more than "
            f"{WIDTH_GAP_RISE['gap_acc']:g} in accuracy and {WIDTH_GAP_RISE['gap_loss']:g} nats in loss. If from "
            f"that peak the gap falls again to the widest net by more than {WIDTH_GAP_FALL['gap_acc']:g} (accuracy) "
            f"or {WIDTH_GAP_FALL['gap_loss']:g} nats (loss), the verdict is NUANCED: wider is not simply worse "
            f"(the second descent of double descent; Belkin et al. 2019, Nakkiran et al. 2020). {_GAP_DEF}. The "
            "peak is picked from the same seeds it is tested on, which favours a rise."
        ),
        claim_zh=(
            f"在 {_Q.n_train} 张训练图像时({_SETUP_ZH}),训练/验证差距随隐藏层宽度增大:从最窄网络到平均差距最大的宽度,"
            f"准确率差距上升超过 {WIDTH_GAP_RISE['gap_acc']:g},损失差距上升超过 {WIDTH_GAP_RISE['gap_loss']:g} nats。"
            f"若从该峰值到最宽网络差距再下降超过 {WIDTH_GAP_FALL['gap_acc']:g}(准确率)或 {WIDTH_GAP_FALL['gap_loss']:g} nats"
            "(损失),则为 NUANCED:更宽并不总是更差(双下降的第二次下降;Belkin 等 2019,Nakkiran 等 2020)。"
            "峰值取自用于检验的同一批种子,这对“上升”有利。"
        ),
        metric="accuracy gap (train - val) and loss gap (val - train) after training, per width",
        comparison="paired rise narrowest -> peak width and fall peak -> widest, 95% intervals vs the thresholds",
        threshold=(f"rise > {WIDTH_GAP_RISE['gap_acc']:g} acc / {WIDTH_GAP_RISE['gap_loss']:g} nats; "
                   f"fall > {WIDTH_GAP_FALL['gap_acc']:g} acc / {WIDTH_GAP_FALL['gap_loss']:g} nats -> NUANCED"),
        experiment=run_overfit,
        configs=configs_width,
        verdict=verdict_width,
        seeds={"quick": 5, "full": 10},
        figure=figure_width,
    ),
    Claim(
        id="q03.too-many-iterations",
        question=3,
        section=_SECTION,
        note_zh="过拟合的原因之三:权值学习迭代次数太多,拟合了训练数据中的噪声和没有代表性的特征。",
        claim_en=(
            f"Training too long overfits: at {_Q.n_train} training images ({_SETUP_EN}), the validation loss reaches "
            f"a minimum before the last epoch and then rises by more than {ITER_VAL_RISE:g} nats, while the "
            f"training loss keeps falling after that minimum (by more than {ITER_TRAIN_FALL:g}). The training loss "
            "is the full-batch loss of each step; the validation loss is checked every "
            f"{_Q.eval_every} epochs."
        ),
        claim_zh=(
            f"训练过久会过拟合:在 {_Q.n_train} 张训练图像时({_SETUP_ZH}),验证损失在最后一个 epoch 之前达到最小值,此后上升超过 "
            f"{ITER_VAL_RISE:g} nats,而训练损失在该最小值之后继续下降(超过 {ITER_TRAIN_FALL:g})。训练损失为每一步的全批量损失;"
            f"验证损失每 {_Q.eval_every} 个 epoch 检查一次。"
        ),
        metric="last minus lowest validation loss; training loss at the validation minimum minus the last",
        comparison="95% intervals over seeds vs the thresholds; rise without a falling training loss is NUANCED",
        threshold=f"val rise > {ITER_VAL_RISE:g} nats, train fall > {ITER_TRAIN_FALL:g}",
        experiment=run_overfit,
        configs=configs_iterations,
        verdict=verdict_iterations,
        seeds=dict(_REG_SEEDS),
        figure=figure_iterations,
    ),
    *(_regulariser_claim(reg) for reg in REGULARISERS),
    Claim(
        id="q03.regularisers-prevent-overfitting",
        question=3,
        section=_SECTION,
        note_zh="正则化通过调整学习算法让模型泛化更好、避免过拟合:L1/L2、Dropout、数据增强与加噪、提前终止、多任务联合、加 BN。",
        claim_en=(
            "Every regulariser the note lists (L1, L2, dropout, data augmentation, noise injection, early stopping, "
            "multi-task learning, batch normalisation) improves the test scores of the deliberately overfitting "
            f"setup, each as tested in its own claim ({_SELECTION_EN}). SUPPORTED if all improve, NUANCED if some "
            "do and some do not, REFUTED if none improves and some hurt."
        ),
        claim_zh=(
            "笔记列出的每种正则方法(L1、L2、Dropout、数据增强、加噪、提前终止、多任务联合、加 BN)都能改善刻意过拟合设置的测试成绩,"
            f"各自在单独的论断中检验({_SELECTION_ZH})。全部改善为 SUPPORTED,部分改善为 NUANCED,无一改善且有的有害为 REFUTED。"
        ),
        metric="per-regulariser verdicts (test loss and accuracy changes vs the paired baseline)",
        comparison="count of regularisers that improve, hurt, trade off or are inconclusive",
        threshold=REG_EFFECT,
        experiment=run_overfit,
        configs=configs_all_regularisers,
        verdict=verdict_all_regularisers,
        seeds=dict(_REG_SEEDS),
        figure=figure_forest,
    ),
)

QUESTION = Question(
    number=3,
    title_zh="训练中出现过拟合的原因?深度学习里的正则方法有哪些/如何防止过拟合?",
    title_en="Why does training overfit? Which regularisation methods does deep learning use to prevent overfitting?",
    answer_en=(
        "A model overfits when it fits the particular training sample better than the distribution it came "
        "from: the training loss keeps falling while the validation loss stops falling or rises. The note's "
        "three causes are measured here as the train/validation gap: too little data (the gap shrinks as the "
        "training set grows), too many parameters (the gap grows with the width up to where the net fits the "
        "training set exactly; beyond it, wider nets need not generalise worse, the double-descent picture of "
        "Belkin et al. 2019 and Nakkiran et al. 2020) and too many iterations (the validation loss has a minimum "
        "and then rises). Regularisation changes the learning algorithm so that it generalises better: penalties "
        "on the weights (L1, L2), dropout, data augmentation and input noise, early stopping, auxiliary tasks "
        "(multi-task learning) and, as a side effect, batch normalisation. Their effects are measured one by one "
        "against the same unregularised baseline, with each strength chosen on validation data, not on the test set."
    ),
    answer_zh=(
        "当模型对训练样本本身的拟合好于对其来源分布的拟合时就是过拟合:训练损失继续下降,而验证损失不再下降甚至上升。"
        "笔记给出的三个原因在这里都以训练/验证差距来测量:数据太少(训练集越大差距越小)、参数太多(差距随宽度增大,"
        "直到网络能精确拟合训练集;更宽之后并不一定泛化更差,即 Belkin 等 2019、Nakkiran 等 2020 的双下降)、迭代太多"
        "(验证损失先到最小值再上升)。正则化通过改变学习算法来提高泛化:权重惩罚(L1、L2)、Dropout、数据增强与输入加噪、"
        "提前终止、辅助任务(多任务联合),以及作为副作用的 BN。各方法都与同一无正则基线逐一比较,强度在验证集上选择,而不是测试集。"
    ),
    implemented_by=(
        "mustknow.functional.l1_penalty",
        "mustknow.functional.l2_penalty",
        "mustknow.functional.dropout",
        "mustknow.nn.Dropout",
        "mustknow.nn.GaussianNoise",
        "mustknow.nn.EarlyStopping",
        "mustknow.nn.MultiTaskLoss",
        "mustknow.nn.BatchNorm1d",
        "mustknow.data.random_shift_rotate",
        "mustknow.data.add_gaussian_noise",
        "mustknow.lab.train.fit",
        "mustknow.lab.questions.q03_overfitting.TwoHeadMLP",
    ),
    note_figures=(),
    claims=_CLAIMS,
    full_profile_en=(
        f"The full profile trains every claim's MLP on Fashion-MNIST (28x28 images, 784 inputs in [0, 1]): "
        f"{_F.depth} hidden layers of width {_F.width}, full-batch Adam for {_F.epochs} epochs, 12000 validation "
        "images drawn with the seed from the official training part and the official 10000 test images. The "
        f"data-size claim doubles the training set from {_FULL_PUBLIC_SIZES[0]} to {_FULL_PUBLIC_SIZES[-2]} "
        f"images and ends at the whole training split (48000 images); the width claim runs "
        f"{len(_WIDTHS['full'])} widths from {_WIDTHS['full'][0]} to {_WIDTHS['full'][-1]} at {_F.n_train} images; "
        f"each regulariser gets a grid of 4-5 strengths (batch normalisation one arm) chosen on {N_SELECTION_SEEDS} selection seeds and measured on "
        f"{_EVAL_SEEDS['full']} fresh seeds; the data-size and width claims run 10 seeds. Without the "
        "Fashion-MNIST files under MUSTKNOW_DATA the full configs name digits instead (and use its 1079 "
        f"training images with sizes from {_SIZES['full'][0]} to {_SIZES['full'][-2]}), "
        "so their results are stored apart and never mixed."
    ),
    full_profile_zh=(
        f"full 配置中所有论断的 MLP 都改在 Fashion-MNIST 上训练(28x28 图像,784 个取值 [0, 1] 的输入):{_F.depth} 个宽 "
        f"{_F.width} 的隐藏层,全批量 Adam 训练 {_F.epochs} 个 epoch,验证集为按种子从官方训练部分抽取的 12000 张,"
        "测试集为官方的 10000 张。"
        f"数据量论断把训练集从 {_FULL_PUBLIC_SIZES[0]} 张逐次加倍到 {_FULL_PUBLIC_SIZES[-2]} 张,最后用整个训练集(48000 张);"
        f"宽度论断在 {_F.n_train} 张图像上取 {_WIDTHS['full'][0]} 到 {_WIDTHS['full'][-1]} 的 {len(_WIDTHS['full'])} 个宽度;"
        f"每种正则方法取 4-5 个强度(BN 只有一个配置),在 {N_SELECTION_SEEDS} 个选择种子上选出,"
        f"在 {_EVAL_SEEDS['full']} 个新种子上测量;数据量与宽度论断运行 10 个种子。若 MUSTKNOW_DATA 下没有 "
        "Fashion-MNIST 文件,full 配置改为使用 digits 并在配置中注明"
        f"(1079 张训练图像,训练集大小 {_SIZES['full'][0]} 到 {_SIZES['full'][-2]}),"
        "因此其结果单独存储,绝不混在一起。"
    ),
)
