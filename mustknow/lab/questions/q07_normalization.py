"""Question 7: batch normalisation and its relatives (layer, instance and group norm).

Seven claims of the note, each an experiment on digits with the verdict
computed from the stored results:

1. BN, LN, IN and GN normalise over exactly the axes the note states
   ([N,H,W], [H,W,C], [H,W], [H,W,C//G]), on a real conv activation;
2. BN works badly with small batches (Wu & He 2018): BN vs GN vs LN over
   batch sizes, on an MLP and a small CNN, learning rate scaled with the batch;
3. BN makes a layer invariant to the scale of its weights (output unchanged,
   gradient scaled by 1/a), which is why weights that are too large or too
   small no longer explode or vanish the gradients;
4. BN placed before tanh or sigmoid keeps their inputs centred and out of
   saturation;
5. LN mainly helps RNNs: a tanh RNN reading each digit row by row, with no
   norm, LN, or BN over the batch, against the same comparison on an MLP;
6. IN suits style transfer because it removes each image's contrast and
   brightness: invariance, and a task where that information is the label;
7. BN speeds up training and tolerates larger learning rates: the 3x100
   sigmoid MLP of Ioffe & Szegedy (2015) across a learning-rate sweep.

Every experiment is pure: ``run(config, seed) -> {"metrics", "series"}``.
The data split is fixed (``load_dataset("digits", seed=0)``), so seeds vary
the initialisation and the minibatch order, and arms that share a seed share
their random draws: comparisons across arms are paired.

The full profile runs the trained experiments on public image sets
(:func:`mustknow.data.load_image_classification`, split seed 0, a stratified
``n_train`` subset): claim 2's CNN on CIFAR-10 and its MLP on Fashion-MNIST,
claims 4-6 (MLPs, the row-by-row RNN, the IN/BN-first MLP) on Fashion-MNIST,
and claim 7 on MNIST rather than Fashion-MNIST, because it reproduces Ioffe &
Szegedy's MNIST network. Each full config names its set (``dataset``),
resolved by :func:`mustknow.data.available_image_dataset` when the configs are
built: without the files it names digits and keeps the earlier full sizes, so
results on different data never share a key. Standardised inputs are z-scored
per channel with the training split's statistics (see :func:`mustknow.data.load_image_classification`).
Claims 1 and 3 are exact identities checked on digits activations; a larger
image set adds nothing to them, so their full configs stay on digits.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as torch_F
from torch import nn

from ... import functional as MF
from ...data import IMAGE_DATASETS, available_image_dataset, load_dataset
from ...data.datasets import Split
from ...functional._checks import check_choice
from ...nn import (BatchNorm1d, BatchNorm2d, InstanceNorm2d, LayerNorm, block_activations, make_activation, make_cnn,
                   make_mlp)
from .. import stats
from ..claims import Claim, Question, Result, Verdict
from ._images import FullData, data_title, load_images
from ..train import TrainConfig, evaluate, fit, seed_everything
from ..figures import pyplot, save_figure

__all__ = ["QUESTION"]

_SECTION = "七、说说BN,BN的全称,BN的作用,为什么能解决梯度爆炸?BN一般放在哪里?"
_NORMS3 = ("batch", "group", "layer")


# --------------------------------------------------------------------------- shared helpers


def _digits(as_images: bool = True, n_train: int | None = None):
    """Digits with a fixed split (seeds vary the model, not the data); images in [0, 1] by default."""
    return load_dataset("digits", seed=0, as_images=as_images, n_train=n_train)


def _paired(results: Sequence[Result], a: str, b: str) -> stats.Interval:
    """Interval of the paired difference ``metric a - metric b`` over seeds."""
    return stats.paired_diff(stats.metric_values(results, a), stats.metric_values(results, b))


def _mean_of(results: Sequence[Result], metric: str) -> float:
    return statistics.fmean(stats.metric_values(results, metric))


# =========================================================================== claim 1: the axes


@dataclass(frozen=True)
class AxesConfig:
    """Per-slice statistics of BN, LN, IN and GN outputs on a conv layer's output on digits (claim 1)."""

    batch: int = 32  # digit images in the activation tensor: several per class
    channels: int = 8  # conv output channels, C
    groups: int = 4  # G for group norm: 2 channels per group, between LN (G=1) and IN (G=C)


#: float64 with eps = 0: the normalised slices must have mean 0 and variance 1 to rounding.
AXES_TOL = 1e-8
#: A finer slice (one a norm does not normalise) must miss mean 0 / variance 1 by more than this.
AXES_FINER_MIN = 0.1
#: mustknow's norms vs PyTorch's on the same tensor (float64, eps = 1e-5).
AXES_TORCH_TOL = 1e-10
_NORMS4 = ("batch", "layer", "instance", "group")
_AXES_TEXT = {"batch": "[N,H,W]", "layer": "[C,H,W]", "instance": "[H,W]", "group": "[C//G,H,W]"}


def _slice_dev(y: torch.Tensor, dims: tuple[int, ...]) -> tuple[float, float]:
    """Largest |mean| and |biased variance - 1| over the slices that reduce ``dims``."""
    mean = y.mean(dim=dims)  # one value per slice
    var = y.var(dim=dims, unbiased=False)
    return float(mean.abs().max()), float((var - 1).abs().max())


def run_axes(config: AxesConfig, seed: int) -> dict[str, Any]:
    """Deviations from mean 0 / variance 1 on the stated axes, on a finer slice, and vs PyTorch."""
    seed_everything(seed)
    data = _digits()
    idx = torch.randperm(len(data.train), generator=torch.Generator().manual_seed(seed))[: config.batch]
    conv = nn.Conv2d(1, config.channels, 3, padding=1).double()
    with torch.no_grad():
        x = conv(data.train.x[idx].double())  # (N, 1, 8, 8) -> (N, C, 8, 8)
    n, c, h, w = x.shape
    g = config.groups
    outs = {
        "batch": MF.batch_norm(x, None, None, training=True, eps=0.0),
        "layer": MF.layer_norm(x, (c, h, w), eps=0.0),
        "instance": MF.instance_norm(x, eps=0.0),
        "group": MF.group_norm(x, g, eps=0.0),
    }
    torch_outs = {
        "batch": (MF.batch_norm(x, None, None, training=True), torch_F.batch_norm(x, None, None, training=True)),
        "layer": (MF.layer_norm(x, (c, h, w)), torch_F.layer_norm(x, (c, h, w))),
        "instance": (MF.instance_norm(x), torch_F.instance_norm(x)),
        "group": (MF.group_norm(x, g), torch_F.group_norm(x, g)),
    }
    # The note's axes, as dims of (N, C, H, W), or of (N, G, C/G, H, W) for group norm.
    views = {
        "batch": (outs["batch"], (0, 2, 3)),
        "layer": (outs["layer"], (1, 2, 3)),
        "instance": (outs["instance"], (2, 3)),
        "group": (outs["group"].view(n, g, c // g, h, w), (2, 3, 4)),  # (N, C, H, W) -> (N, G, C/G, H, W)
    }
    # A finer slice than each norm's: per (n, c) for BN, LN, GN; per (n, c, row) for IN.
    finer = {"batch": (2, 3), "layer": (2, 3), "group": (2, 3), "instance": (3,)}
    metrics: dict[str, float] = {}
    for kind in _NORMS4:
        y, dims = views[kind]
        metrics[f"mean_dev_{kind}"], metrics[f"var_dev_{kind}"] = _slice_dev(y, dims)
        fm, fv = _slice_dev(outs[kind], finer[kind])
        metrics[f"finer_dev_{kind}"] = max(fm, fv)
        ours, theirs = torch_outs[kind]
        metrics[f"torch_diff_{kind}"] = float((ours - theirs).abs().max())
    return {"metrics": metrics, "series": {}}


def configs_axes(profile: str) -> list[AxesConfig]:
    if profile == "quick":
        return [AxesConfig()]
    return [AxesConfig(batch=128, channels=16, groups=4)]


def verdict_axes(results: list[Result]) -> Verdict:
    worst = {k: max(*stats.metric_values(results, f"mean_dev_{k}"), *stats.metric_values(results, f"var_dev_{k}"))
             for k in _NORMS4}
    finer = {k: min(stats.metric_values(results, f"finer_dev_{k}")) for k in _NORMS4}
    torch_diff = max(max(stats.metric_values(results, f"torch_diff_{k}")) for k in _NORMS4)
    evidence = {
        "tolerance": AXES_TOL, "finer_min": AXES_FINER_MIN, "torch_tol": AXES_TORCH_TOL,
        "worst_stated_axes_dev": worst, "smallest_finer_slice_dev": finer, "max_diff_vs_torch": torch_diff,
        "metrics": [f"{m}_{k}" for k in _NORMS4 for m in ("mean_dev", "var_dev", "finer_dev", "torch_diff")],
    }
    exact = all(v < AXES_TOL for v in worst.values())
    only = all(v > AXES_FINER_MIN for v in finer.values())
    if not exact:
        label = "REFUTED"
    else:
        label = "SUPPORTED" if only and torch_diff < AXES_TORCH_TOL else "INCONCLUSIVE"
    dev_text = ", ".join(f"{k} {_AXES_TEXT[k]} {worst[k]:.1e}" for k in _NORMS4)
    fin_text = ", ".join(f"{k} {finer[k]:.2f}" for k in _NORMS4)
    en = (
        f"On a conv layer's output on digits (float64, eps 0) the largest deviation from mean 0 / variance 1 over "
        f"the note's axes is {dev_text} (tolerance {AXES_TOL:g}), while a finer slice is not normalised "
        f"(smallest deviation {fin_text}; threshold > {AXES_FINER_MIN:g}) and the outputs match PyTorch's to "
        f"{torch_diff:.1e}."
    )
    zh = (
        f"在 digits 上卷积层的输出上(float64,eps 为 0),按笔记所说的维度,均值 0 / 方差 1 的最大偏差为 {dev_text}"
        f"(容差 {AXES_TOL:g});更细的切片则没有被归一化(最小偏差 {fin_text};阈值 > {AXES_FINER_MIN:g}),"
        f"输出与 PyTorch 相差 {torch_diff:.1e}。"
    )
    return Verdict(label, en, zh, evidence)


def figure_axes(results: list[Result], out_dir: Path) -> list[Path]:
    """The classic cube figure (Wu & He 2018, Fig. 2): which (N, C, H*W) values share one mean and variance."""
    plt = pyplot()
    import numpy as np

    n, c, s, groups = 4, 6, 4, 3
    shaded = {
        "Batch Norm [N,H,W]": lambda i, j: j == 0,
        "Layer Norm [C,H,W]": lambda i, j: i == 0,
        "Instance Norm [H,W]": lambda i, j: i == 0 and j == 0,
        f"Group Norm [C//G,H,W] (G={groups})": lambda i, j: i == 0 and j < c // groups,
    }
    fig = plt.figure(figsize=(13, 3.8))
    for k, (title, rule) in enumerate(shaded.items()):
        ax = fig.add_subplot(1, 4, k + 1, projection="3d")
        filled = np.ones((n, c, s), dtype=bool)
        colors = np.empty(filled.shape, dtype=object)
        for i in range(n):
            for j in range(c):
                colors[i, j, :] = "#3b75af" if rule(i, j) else "#ffffff10"
        ax.voxels(filled, facecolors=colors, edgecolor="#555555", linewidth=0.3)
        ax.set_xlabel("N (batch)")
        ax.set_ylabel("C (channels)")
        ax.set_zlabel("H, W")
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_zticks([])
        ax.set_box_aspect((n, c, s))
        ax.view_init(elev=20, azim=-60)
        ax.set_title(title, fontsize=10)
    fig.suptitle("Shaded: the values normalised by one mean and variance (one slice)")
    return [save_figure(fig, out_dir, "q07_norm_axes_cube.png")]


# =========================================================================== claim 2: small batches


@dataclass(frozen=True)
class SmallBatchConfig:
    """BN vs GN vs LN test error across batch sizes, on one architecture (claim 2)."""

    arch: str = "mlp"  # "mlp" (one hidden layer) or "cnn" (one 3x3 conv block and a linear head)
    batch_sizes: tuple[int, ...] = (2, 32)  # quick: the two ends of Wu & He's range; full: 2, 4, 8, 16, 32
    norms: tuple[str, ...] = _NORMS3  # Wu & He's comparison: BN vs GN, and LN
    width: int = 64  # hidden units (MLP); GN gets 8 groups of 8
    channels: int = 8  # conv channels (CNN); GN gets 8 groups of 1 channel x 64 positions
    n_train: int | None = 128  # a stratified subset: B=2 costs n/2 steps per epoch; divisible by every batch size
    epochs: int = 2  # the same number of epochs at every batch size (Wu & He's protocol)
    lr_at_32: float = 0.1  # SGD rate at B=32, as Wu & He; scaled linearly, lr = lr_at_32 * B / 32 (Goyal et al. 2017)
    momentum: float = 0.9  # Wu & He's SGD momentum


@dataclass(frozen=True)
class FullSmallBatchConfig(SmallBatchConfig):
    """A full-profile :class:`SmallBatchConfig` that also names its image set.

    A subclass rather than a new field, so the quick configs keep exactly their
    fields, and with them the keys of their stored results.
    """

    dataset: str = "digits"  # full: "cifar10" (CNN) / "fashion_mnist" (MLP) when their files are there

    def __post_init__(self) -> None:
        check_choice(self.dataset, "dataset", IMAGE_DATASETS)


#: BN at the smallest batch must have a test error higher than GN's, and than its own at the
#: largest batch, by more than this (one and a half percentage points on digits).
SMALL_BATCH_MARGIN = 0.015
#: Full profile on a public set: training images (320 batches of 32, so every batch size divides it).
SMALL_BATCH_FULL_N_TRAIN = 10240
#: The set each architecture's full config asks for: natural images for the CNN, Fashion-MNIST for the MLP.
SMALL_BATCH_FULL_DATASETS = {"mlp": "fashion_mnist", "cnn": "cifar10"}


def _small_batch_model(config: SmallBatchConfig, norm: str, shape: tuple[int, ...]) -> nn.Module:
    """One hidden layer: Linear(C*H*W, width) or a 3x3 conv block, with ``norm`` before ReLU, and a linear head.

    ``shape`` is one input's (C, H, W): (1, 8, 8) for digits. The CNN's head
    flattens the (channels, H, W) map instead of pooling it globally, so that a
    one-block network learns digits within a couple of epochs.
    """
    c, h, w = shape
    if config.arch == "mlp":
        return make_mlp(c * h * w, 10, depth=1, width=config.width, norm=norm)
    blocks = make_cnn(c, 10, depth=1, channels=config.channels, norm=norm).blocks
    return nn.Sequential(*blocks, nn.Flatten(), nn.Linear(config.channels * h * w, 10))  # (N, C', H, W) -> (N, 10)


def run_small_batch(config: SmallBatchConfig, seed: int) -> dict[str, Any]:
    """Test error of each norm at each batch size after the same number of epochs."""
    # Standardised pixels (train statistics), as images: the MLP flattens them.
    if isinstance(config, FullSmallBatchConfig):
        data = load_images(config.dataset, config.n_train, standardize=True)
    else:
        data = load_dataset("digits", seed=0, as_images=True, standardize=True, n_train=config.n_train)
    shape = tuple(data.train.x.shape[1:])
    metrics: dict[str, float] = {}
    for norm in config.norms:
        for b in config.batch_sizes:
            seed_everything(seed)
            model = _small_batch_model(config, norm, shape)
            cfg = TrainConfig(optimizer="sgd", lr=config.lr_at_32 * b / 32, momentum=config.momentum,
                              epochs=config.epochs, batch_size=b)
            hist = fit(model, data.train, None, cfg, seed=seed)
            res = evaluate(model, data.test)
            metrics[f"err_{norm}_b{b}"] = 1.0 - res["acc"] if not hist.diverged else 1.0
            metrics[f"train_err_{norm}_b{b}"] = 1.0 - hist.train_acc[-1] if hist.train_acc else 1.0
    return {"metrics": metrics, "series": {}}


def configs_small_batch(profile: str) -> list[SmallBatchConfig]:
    if profile == "quick":
        return [SmallBatchConfig(arch="mlp"), SmallBatchConfig(arch="cnn")]
    # 1056 = 33 * 32 digits (10240 = 320 * 32 on a public set): every batch is full (a batch of one
    # sample has no batch variance for BN).
    full = dict(batch_sizes=(2, 4, 8, 16, 32), n_train=1056, epochs=6, width=128, channels=16)
    out = []
    for arch in ("mlp", "cnn"):
        dataset = available_image_dataset(SMALL_BATCH_FULL_DATASETS[arch])
        n_train = full["n_train"] if dataset == "digits" else SMALL_BATCH_FULL_N_TRAIN
        out.append(FullSmallBatchConfig(arch=arch, dataset=dataset, **dict(full, n_train=n_train)))
    return out


def verdict_small_batch(results: list[Result]) -> Verdict:
    per_arch: dict[str, dict[str, Any]] = {}
    labels = []
    for arch, rs in sorted(stats.by_config(results, "arch").items()):
        sizes = rs[0]["config"]["batch_sizes"]
        lo, hi = min(sizes), max(sizes)
        vs_gn = _paired(rs, f"err_batch_b{lo}", f"err_group_b{lo}")
        vs_ln = _paired(rs, f"err_batch_b{lo}", f"err_layer_b{lo}") if "layer" in rs[0]["config"]["norms"] else None
        worse = _paired(rs, f"err_batch_b{lo}", f"err_batch_b{hi}")
        gn_worse = _paired(rs, f"err_group_b{lo}", f"err_group_b{hi}")
        label = stats.combine([stats.decide(vs_gn, SMALL_BATCH_MARGIN, ">"), stats.decide(worse, SMALL_BATCH_MARGIN, ">")])
        labels.append(label)
        per_arch[arch] = {
            "label": label, "dataset": data_title(rs), "smallest": lo, "largest": hi,
            "bn_minus_gn_at_smallest": vs_gn.to_dict(), "bn_smallest_minus_largest": worse.to_dict(),
            "gn_smallest_minus_largest": gn_worse.to_dict(),
            "bn_minus_ln_at_smallest": vs_ln.to_dict() if vs_ln else None,
            "mean_err": {f"{n}_b{b}": _mean_of(rs, f"err_{n}_b{b}") for n in rs[0]["config"]["norms"] for b in sizes},
        }
    label = stats.combine(labels)
    evidence = {"threshold": SMALL_BATCH_MARGIN, **per_arch,
                "metrics": sorted({m for r in results for m in r["metrics"] if m.startswith("err_")})}

    def part(arch: str, lang: str) -> str:
        p = per_arch[arch]
        g, w = stats.Interval(**p["bn_minus_gn_at_smallest"]), stats.Interval(**p["bn_smallest_minus_largest"])
        lo, hi = p["smallest"], p["largest"]
        bn_lo, gn_lo, bn_hi = (p["mean_err"][k] for k in (f"batch_b{lo}", f"group_b{lo}", f"batch_b{hi}"))
        if lang == "en":
            return (f"{arch.upper()} on {p['dataset']} ({p['label']}): test error at B={lo} BN {bn_lo:.3f}, "
                    f"GN {gn_lo:.3f}, BN at B={hi} {bn_hi:.3f}; BN - GN {g.fmt()}, BN small - large {w.fmt()}")
        return (f"{p['dataset']} 上的 {arch.upper()}({p['label']}):B={lo} 时测试误差 BN {bn_lo:.3f},GN {gn_lo:.3f},"
                f"B={hi} 时 BN {bn_hi:.3f};BN - GN {g.fmt()},BN 小批 - 大批 {w.fmt()}")

    arches = sorted(per_arch)
    en = ("With the learning rate scaled linearly with the batch, " + "; ".join(part(a, "en") for a in arches)
          + f" (paired, both must exceed {SMALL_BATCH_MARGIN:g}).")
    zh = ("学习率随批大小线性缩放:" + ";".join(part(a, "zh") for a in arches)
          + f"(配对区间,两者都须大于 {SMALL_BATCH_MARGIN:g})。")
    return Verdict(label, en, zh, evidence)


def figure_small_batch(results: list[Result], out_dir: Path) -> list[Path]:
    plt = pyplot()
    groups = sorted(stats.by_config(results, "arch").items())
    fig, axes = plt.subplots(1, len(groups), figsize=(5.5 * len(groups), 4), squeeze=False)
    for ax, (arch, rs) in zip(axes[0], groups):
        sizes = rs[0]["config"]["batch_sizes"]
        for k, norm in enumerate(rs[0]["config"]["norms"]):
            ivs = [stats.mean_ci(stats.metric_values(rs, f"err_{norm}_b{b}")) for b in sizes]
            means = [iv.mean for iv in ivs]
            lows = [iv.mean - max(iv.low, 0.0) if math.isfinite(iv.low) else 0.0 for iv in ivs]
            highs = [min(iv.high, 1.0) - iv.mean if math.isfinite(iv.high) else 0.0 for iv in ivs]
            ax.errorbar(sizes, means, yerr=[lows, highs], marker="o", capsize=3, label=f"{norm} norm", color=f"C{k}")
        ax.set_xscale("log", base=2)
        ax.set_xticks(sizes, [str(b) for b in sizes])
        ax.set_xlabel("batch size (lr scaled linearly)")
        ax.set_ylabel("test error (mean, 95% CI)")
        ax.set_title(f"{arch.upper()} on {data_title(rs)}, {len(rs)} seeds")
        ax.legend()
    fig.suptitle("Small batches: BN vs GN vs LN (Wu & He 2018 protocol)")
    return [save_figure(fig, out_dir, "q07_small_batch.png")]


# =========================================================================== claim 3: weight-scale invariance


@dataclass(frozen=True)
class ScaleConfig:
    """BN(aWx) vs BN(Wx) for one layer, and gradients through a deep MLP with all weights scaled (claim 3)."""

    scales: tuple[float, ...] = (0.1, 10.0, 100.0)  # a: both directions, up to a hundredfold
    rows: int = 256  # digits in the batch (BN's statistics)
    width: int = 64  # units of the layer
    depth: int = 8  # hidden layers of the deep ReLU MLP: enough for a^depth to explode or vanish


#: Invariance tolerance for the identity, in float64 with eps = 0: max |BN(aWx) - BN(Wx)|,
#: |a |g_a| / |g_1| - 1| and max |a g_a - g_1| / max |g_1|. With eps > 0 the identity holds only up to
#: eps / a^2 (BN(aWx) = BN_{eps/a^2}(Wx)); that deviation is measured and reported, not judged.
SCALE_TOL = 1e-8
#: Deep net (float32, eps = 1e-5): the first-layer gradient norm, beyond the 1/a the scaling itself
#: implies, must move by less than this (log10) with BN.
SCALE_DEEP_TOL = 1e-2
#: Without BN it must move by more than this many orders of magnitude.
SCALE_NONE_MIN_LOG10 = 1.0


def _first_layer_grad(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> float:
    model.zero_grad(set_to_none=True)
    MF.cross_entropy(model(x), y).backward()
    return float(model.blocks[0].layer.weight.grad.norm())


def run_scale(config: ScaleConfig, seed: int) -> dict[str, Any]:
    """Output and gradient of BN(aWx) against a, and a deep MLP's first-layer gradient with and without BN."""
    seed_everything(seed)
    data = _digits(as_images=False)
    idx = torch.randperm(len(data.train), generator=torch.Generator().manual_seed(seed))[: config.rows]
    x, y = data.train.x[idx], data.train.y[idx]
    layer = nn.Linear(64, config.width)
    head = nn.Linear(config.width, 10)
    bn = BatchNorm1d(config.width)  # eps = 1e-5: the contrast that shows where eps breaks the identity

    def single(a: float, eps: float) -> tuple[torch.Tensor, torch.Tensor]:
        """BN(a W x + b) with batch statistics, in float64, and the gradient of the loss w.r.t. a W."""
        w = (a * layer.weight.detach().double()).requires_grad_(True)
        z = torch_F.linear(x.double(), w, layer.bias.detach().double())  # (N, 64) -> (N, width)
        out = MF.batch_norm(z, None, None, training=True, eps=eps)
        MF.cross_entropy(torch_F.linear(out, head.weight.double(), head.bias.double()), y).backward()
        return out.detach(), w.grad

    out1, g1 = single(1.0, 0.0)
    with torch.no_grad():
        ref_eps = bn(layer(x))
    metrics: dict[str, float] = {}
    series: dict[str, list[float]] = {"scales": list(config.scales)}
    for a in config.scales:
        out, g = single(a, 0.0)
        metrics[f"out_diff_a{a:g}"] = float((out - out1).abs().max())
        metrics[f"grad_ratio_err_a{a:g}"] = abs(a * float(g.norm()) / float(g1.norm()) - 1.0)
        metrics[f"grad_elem_err_a{a:g}"] = float((a * g - g1).abs().max() / g1.abs().max())
        with torch.no_grad():
            scaled = bn(torch_F.linear(x, a * layer.weight, layer.bias))
            metrics[f"out_diff_eps_a{a:g}"] = float((scaled - ref_eps).abs().max())
    for norm in ("none", "batch"):
        seed_everything(seed)
        model = make_mlp(64, 10, config.depth, config.width, norm=norm)
        base = _first_layer_grad(model, x, y)
        weights = [b.layer.weight for b in model.blocks]
        originals = [w.detach().clone() for w in weights]
        logs = []
        for a in config.scales:
            with torch.no_grad():
                for w, w0 in zip(weights, originals):
                    w.copy_(a * w0)
            ratio = math.log10(max(_first_layer_grad(model, x, y), 1e-300) / base)
            metrics[f"deep_log10_ratio_{norm}_a{a:g}"] = ratio
            metrics[f"deep_excess_{norm}_a{a:g}"] = abs(ratio + math.log10(a))  # beyond the implied 1/a
            logs.append(ratio)
        series[f"deep_log10_ratio_{norm}"] = logs
    return {"metrics": metrics, "series": series}


def configs_scale(profile: str) -> list[ScaleConfig]:
    if profile == "quick":
        return [ScaleConfig()]
    return [ScaleConfig(scales=(0.01, 0.1, 10.0, 100.0, 1000.0), rows=1024, depth=16)]


def verdict_scale(results: list[Result]) -> Verdict:
    scales = results[0]["config"]["scales"]

    def worst(prefix: str) -> float:
        return max(max(stats.metric_values(results, f"{prefix}_a{a:g}")) for a in scales)

    out_err, ratio_err, elem_err = worst("out_diff"), worst("grad_ratio_err"), worst("grad_elem_err")
    eps_diff = {f"{a:g}": max(stats.metric_values(results, f"out_diff_eps_a{a:g}")) for a in scales}
    bn_excess, none_excess = worst("deep_excess_batch"), worst("deep_excess_none")
    single = max(out_err, ratio_err, elem_err) < SCALE_TOL
    deep = bn_excess < SCALE_DEEP_TOL and none_excess > SCALE_NONE_MIN_LOG10
    label = "SUPPORTED" if single and deep else ("REFUTED" if not single else "NUANCED")
    evidence = {
        "tolerance": SCALE_TOL, "deep_tolerance_log10": SCALE_DEEP_TOL, "none_min_log10": SCALE_NONE_MIN_LOG10,
        "scales": scales, "max_output_diff": out_err, "max_grad_ratio_err": ratio_err, "max_grad_elem_err": elem_err,
        "max_output_diff_with_eps_1e-5": eps_diff,
        "deep_bn_max_excess_log10": bn_excess, "deep_none_max_excess_log10": none_excess,
        "metrics": [f"{m}_a{a:g}" for m in ("out_diff", "grad_ratio_err", "out_diff_eps", "deep_log10_ratio_none",
                                            "deep_log10_ratio_batch") for a in scales],
    }
    depth = results[0]["config"]["depth"]
    a_text = ", ".join(f"{a:g}" for a in scales)
    small = f"{min(scales):g}"
    en = (
        f"Scaling a layer's weights by a in {{{a_text}}} before BN (float64, eps 0) changes its output by at most "
        f"{out_err:.1e} and its weight gradient equals the original times 1/a to {max(ratio_err, elem_err):.1e} "
        f"(tolerance {SCALE_TOL:g}); with PyTorch's eps = 1e-5 the identity holds only up to eps/a^2 (output change "
        f"{eps_diff[small]:.1e} at a = {small}); scaling every weight of a ReLU MLP with {depth} hidden layers moves the first-layer "
        f"gradient beyond that 1/a by at most {bn_excess:.1e} orders of magnitude with BN (tolerance {SCALE_DEEP_TOL:g}) "
        f"and by up to {none_excess:.1f} without (threshold > {SCALE_NONE_MIN_LOG10:g}): with BN the weights' scale "
        f"no longer reaches the gradients."
    )
    zh = (
        f"把 BN 前一层的权重乘以 a(a 取 {a_text};float64,eps 为 0),输出最多变化 {out_err:.1e},权重梯度等于原梯度乘 "
        f"1/a,误差 {max(ratio_err, elem_err):.1e}(容差 {SCALE_TOL:g});采用 PyTorch 的 eps = 1e-5 时,该恒等式只在 eps/a^2 "
        f"的精度内成立(a = {small} 时输出变化 {eps_diff[small]:.1e});把 {depth} 层 ReLU MLP 的全部权重乘以 a,第一层梯度在 "
        f"1/a 之外的变化,有 BN 时至多 {bn_excess:.1e} 个数量级(容差 {SCALE_DEEP_TOL:g}),无 BN 时可达 {none_excess:.1f} 个"
        f"(阈值 > {SCALE_NONE_MIN_LOG10:g}):有了 BN,权重的尺度不再传到梯度上。"
    )
    return Verdict(label, en, zh, evidence)


def figure_scale(results: list[Result], out_dir: Path) -> list[Path]:
    plt = pyplot()
    scales = results[0]["series"]["scales"]
    fig, ax = plt.subplots(figsize=(6, 4))
    for norm, label in (("none", "no norm"), ("batch", "BN before ReLU")):
        rows = [r["series"][f"deep_log10_ratio_{norm}"] for r in results]
        ax.plot(scales, [statistics.fmean(col) for col in zip(*rows)], marker="o", label=label)
    ax.plot(scales, [-math.log10(a) for a in scales], "k--", linewidth=0.8, label="1/a (exact BN prediction)")
    ax.set_xscale("log")
    ax.set_xlabel("every weight multiplied by a")
    ax.set_ylabel("log10 first-layer gradient norm / at a = 1")
    ax.set_title(f"Deep ReLU MLP ({results[0]['config']['depth']} layers), mean of {len(results)} seeds")
    ax.legend()
    return [save_figure(fig, out_dir, "q07_weight_scale.png")]


# =========================================================================== claim 4: saturation


@dataclass(frozen=True)
class SaturationConfig:
    """Saturated tanh/sigmoid units in a trained MLP, with and without BN before the activation (claim 4)."""

    activations: tuple[str, ...] = ("tanh", "sigmoid")  # the two saturating activations of the note
    depth: int = 3  # hidden layers
    width: int = 64  # units per layer
    lr: float = 1e-2  # Adam: trains the sigmoid net without BN too within the budget (plain SGD does not)
    epochs: int = 6  # 54 steps at batch 128: > 90% test accuracy for every arm
    batch_size: int = 128


@dataclass(frozen=True)
class FullSaturationConfig(FullData, SaturationConfig):
    """A full-profile :class:`SaturationConfig` that also names its image set and training size (a subclass: see
    :class:`FullSmallBatchConfig`)."""


#: Full profile on a public set: training images of the MLP experiments (claims 4, 5, 6 and 7).
FULL_N_TRAIN = 20000

#: A unit is saturated when its derivative is below this fraction of the maximum f'(0):
#: |z| > 1.82 for tanh, |z| > 3.64 for sigmoid.
SAT_DERIV_FRACTION = 0.1
#: BN's effect: the paired differences (no norm - BN) of the saturated fraction and of the
#: off-centre measure (mean over units of |unit mean|, over the mean unit std) must exceed this.
SAT_MARGIN = 0.0


def _saturation_threshold(activation: str) -> float:
    """|z| beyond which f'(z) < SAT_DERIV_FRACTION * f'(0)."""
    r = math.sqrt(1.0 - SAT_DERIV_FRACTION)
    if activation == "tanh":
        return math.atanh(r)  # 1 - tanh^2 = fraction
    return 2.0 * math.atanh(r)  # 4 s (1 - s) = fraction; sigmoid(z) = (1 + tanh(z/2)) / 2


def run_saturation(config: SaturationConfig, seed: int) -> dict[str, Any]:
    """Fraction of saturated units and the mean |centre| of pre-activations on the test set, after training."""
    if isinstance(config, FullSaturationConfig):
        data = load_images(config.dataset, config.n_train, standardize=True, flatten=True)
    else:
        data = _digits(as_images=False)
    metrics: dict[str, float] = {}
    series: dict[str, list[float]] = {}
    for act in config.activations:
        limit = _saturation_threshold(act)
        for norm in ("none", "batch"):
            seed_everything(seed)
            model = make_mlp(data.num_features, 10, config.depth, config.width, activation=act, norm=norm)
            cfg = TrainConfig(optimizer="adam", lr=config.lr, epochs=config.epochs, batch_size=config.batch_size)
            fit(model, data.train, None, cfg, seed=seed)
            pre, _ = block_activations(model, data.test.x)  # per layer (N, width)
            sat = [float((z.abs() > limit).float().mean()) for z in pre]
            centre = [float(z.mean(0).abs().mean() / z.std(0).mean().clamp_min(1e-12)) for z in pre]
            metrics[f"sat_{act}_{norm}"] = statistics.fmean(sat)
            metrics[f"centre_{act}_{norm}"] = statistics.fmean(centre)
            metrics[f"acc_{act}_{norm}"] = evaluate(model, data.test)["acc"]
            series[f"sat_by_layer_{act}_{norm}"] = sat
    return {"metrics": metrics, "series": series}


def configs_saturation(profile: str) -> list[SaturationConfig]:
    if profile == "quick":
        return [SaturationConfig()]
    dataset = available_image_dataset("fashion_mnist")
    if dataset == "digits":
        return [FullSaturationConfig(depth=5, width=128, epochs=40, batch_size=64)]
    return [FullSaturationConfig(depth=5, width=128, epochs=10, batch_size=64, dataset=dataset, n_train=FULL_N_TRAIN)]


def verdict_saturation(results: list[Result]) -> Verdict:
    acts = results[0]["config"]["activations"]
    diffs = {a: _paired(results, f"sat_{a}_none", f"sat_{a}_batch") for a in acts}
    cdiffs = {a: _paired(results, f"centre_{a}_none", f"centre_{a}_batch") for a in acts}
    sat_label = stats.combine([stats.decide(diffs[a], SAT_MARGIN, ">") for a in acts])
    centre_label = stats.combine([stats.decide(cdiffs[a], SAT_MARGIN, ">") for a in acts])
    label = stats.combine([sat_label, centre_label])
    arms = {f"{a}_{n}": stats.mean_ci(stats.metric_values(results, f"sat_{a}_{n}"))
            for a in acts for n in ("none", "batch")}
    centres = {f"{a}_{n}": _mean_of(results, f"centre_{a}_{n}") for a in acts for n in ("none", "batch")}
    accs = {f"{a}_{n}": _mean_of(results, f"acc_{a}_{n}") for a in acts for n in ("none", "batch")}
    evidence = {
        "threshold": SAT_MARGIN, "deriv_fraction": SAT_DERIV_FRACTION,
        "saturation_limits": {a: _saturation_threshold(a) for a in acts},
        "saturation_verdict": sat_label, "centring_verdict": centre_label,
        **{f"sat_none_minus_bn_{a}": diffs[a].to_dict() for a in acts},
        **{f"centre_none_minus_bn_{a}": cdiffs[a].to_dict() for a in acts},
        "saturated": {k: v.to_dict() for k, v in arms.items()}, "centre": centres, "test_acc": accs,
        "dataset": data_title(results),
        "metrics": [f"{m}_{a}_{n}" for a in acts for m in ("sat", "centre", "acc") for n in ("none", "batch")],
    }
    en_parts = [
        f"{a} (|z| > {_saturation_threshold(a):.2f}): saturated {arms[f'{a}_none'].fmt()} without BN vs "
        f"{arms[f'{a}_batch'].fmt()} with BN before it (paired {diffs[a].fmt()}), off-centre "
        f"{centres[f'{a}_none']:.2f} vs {centres[f'{a}_batch']:.2f} (paired {cdiffs[a].fmt()}), test accuracy "
        f"{accs[f'{a}_none']:.3f} vs {accs[f'{a}_batch']:.3f}"
        for a in acts
    ]
    zh_parts = [
        f"{a}(|z| > {_saturation_threshold(a):.2f}):饱和比例无 BN {arms[f'{a}_none'].fmt()},激活前加 BN "
        f"{arms[f'{a}_batch'].fmt()}(配对差 {diffs[a].fmt()}),偏离中心程度 {centres[f'{a}_none']:.2f} 对 "
        f"{centres[f'{a}_batch']:.2f}(配对差 {cdiffs[a].fmt()}),测试准确率 {accs[f'{a}_none']:.3f} 对 {accs[f'{a}_batch']:.3f}"
        for a in acts
    ]
    en = (f"On the {evidence['dataset']} test set after training (saturated: derivative < {SAT_DERIV_FRACTION:g} "
          f"of its maximum; off-centre: mean |unit mean| / mean unit std): " + "; ".join(en_parts)
          + f". BN must lower both (difference > {SAT_MARGIN:g}): saturation {sat_label}, centring {centre_label}.")
    zh = (f"训练后在 {evidence['dataset']} 测试集上(饱和:导数小于最大值的 {SAT_DERIV_FRACTION:g};偏离中心:各单元 |均值| 的平均除以各单元标准差的平均):"
          + ";".join(zh_parts) + f"。BN 须同时降低两者(差 > {SAT_MARGIN:g}):饱和 {sat_label},居中 {centre_label}。")
    return Verdict(label, en, zh, evidence)


def figure_saturation(results: list[Result], out_dir: Path) -> list[Path]:
    plt = pyplot()
    acts = results[0]["config"]["activations"]
    fig, axes = plt.subplots(1, len(acts), figsize=(5 * len(acts), 3.8), squeeze=False)
    for ax, act in zip(axes[0], acts):
        for k, norm in enumerate(("none", "batch")):
            rows = [r["series"][f"sat_by_layer_{act}_{norm}"] for r in results]
            means = [statistics.fmean(col) for col in zip(*rows)]
            xs = [i + 1 + (k - 0.5) * 0.35 for i in range(len(means))]
            ax.bar(xs, means, width=0.35, label="no norm" if norm == "none" else "BN before activation")
        ax.set_xticks(range(1, len(means) + 1))
        ax.set_xlabel("hidden layer")
        ax.set_ylabel(f"saturated fraction (|z| > {_saturation_threshold(act):.2f})")
        ax.set_title(f"{act} on {data_title(results)}, mean of {len(results)} seeds")
        ax.legend()
    return [save_figure(fig, out_dir, "q07_saturation.png")]


# =========================================================================== claim 5: LN in RNNs


class RowRNN(nn.Module):
    r"""A tanh RNN reading an image row by row: :math:`h_t = \tanh(\mathrm{norm}_t(W_x x_t + W_h h_{t-1} + b))`.

    ``norm`` is ``"none"``, ``"layer"`` (one LayerNorm shared over time, Ba et
    al. 2016) or ``"batch"`` (one BatchNorm1d per time step, with its own
    statistics, as Cooijmans et al. 2017 do). The head reads the last state.

    Shape:
        (N, 1, T, D) -> (N, num_classes).
    """

    def __init__(self, rows: int, row_size: int, hidden: int, num_classes: int, norm: str) -> None:
        super().__init__()
        self.inp = nn.Linear(row_size, hidden)
        self.rec = nn.Linear(hidden, hidden, bias=False)
        if norm == "layer":
            shared = LayerNorm(hidden)
            self.norms = nn.ModuleList([shared] * rows)
        elif norm == "batch":
            self.norms = nn.ModuleList([BatchNorm1d(hidden) for _ in range(rows)])
        else:
            self.norms = nn.ModuleList([nn.Identity()] * rows)
        self.act = make_activation("tanh")
        self.head = nn.Linear(hidden, num_classes)
        self.hidden = hidden

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        seq = x.flatten(1, 2)  # (N, 1, T, D) -> (N, T, D)
        h = seq.new_zeros(seq.shape[0], self.hidden)
        for t, norm in enumerate(self.norms):
            h = self.act(norm(self.inp(seq[:, t]) + self.rec(h)))  # (N, D), (N, H) -> (N, H)
        return self.head(h)


@dataclass(frozen=True)
class RNNConfig:
    """A row-by-row tanh RNN with no norm, LN or BN, and an MLP with and without LN, same budget (claim 5)."""

    hidden: int = 32  # recurrent units: small, so the budget, not capacity, limits accuracy
    epochs: int = 3  # the fixed budget: 51 Adam steps at batch 64
    batch_size: int = 64
    lr: float = 1e-2  # Adam: one rate for every arm, large enough to learn in the budget
    mlp_width: int = 32  # the feed-forward contrast: 2 hidden layers of this width


@dataclass(frozen=True)
class FullRNNConfig(FullData, RNNConfig):
    """A full-profile :class:`RNNConfig` that also names its image set and training size (a subclass: see
    :class:`FullSmallBatchConfig`). The RNN reads one-channel images, so the set is digits, MNIST or
    Fashion-MNIST."""

    def __post_init__(self) -> None:
        super().__post_init__()
        check_choice(self.dataset, "dataset", ("digits", "mnist", "fashion_mnist"))


#: LN's gain in test accuracy (paired, LN - none) must be positive, and larger in the RNN than in the MLP.
RNN_MARGIN = 0.0


def run_rnn(config: RNNConfig, seed: int) -> dict[str, Any]:
    """Test accuracy and loss of each arm after the same number of steps.

    A :class:`FullRNNConfig` adds the metric ``train_steps`` (Adam steps per arm), which quick results get
    from the digits split's size.
    """
    full = isinstance(config, FullRNNConfig)
    data = load_images(config.dataset, config.n_train, standardize=False) if full else _digits()
    _, _, rows, row_size = data.train.x.shape  # (N, 1, T, D): T rows of D pixels
    cfg = TrainConfig(optimizer="adam", lr=config.lr, epochs=config.epochs, batch_size=config.batch_size)
    metrics: dict[str, float] = {}
    series: dict[str, list[float]] = {}
    models = {f"rnn_{n}": (lambda n=n: RowRNN(rows, row_size, config.hidden, 10, n))
              for n in ("none", "layer", "batch")}
    models.update({f"mlp_{n}": (lambda n=n: make_mlp(data.num_features, 10, 2, config.mlp_width, norm=n))
                   for n in ("none", "layer")})
    for name, build in models.items():
        seed_everything(seed)
        model = build()
        hist = fit(model, data.train, None, cfg, seed=seed)
        res = evaluate(model, data.test)
        metrics[f"acc_{name}"] = res["acc"]
        metrics[f"loss_{name}"] = res["loss"] if math.isfinite(res["loss"]) else 1e9
        series[f"train_loss_{name}"] = hist.train_loss
    if full:
        metrics["train_steps"] = float(hist.steps)  # the same for every arm: same data, epochs and batch size
    return {"metrics": metrics, "series": series}


def configs_rnn(profile: str) -> list[RNNConfig]:
    if profile == "quick":
        return [RNNConfig()]
    dataset = available_image_dataset("fashion_mnist")
    if dataset == "digits":
        return [FullRNNConfig(hidden=64, epochs=30, mlp_width=64)]
    return [FullRNNConfig(hidden=64, epochs=10, mlp_width=64, dataset=dataset, n_train=FULL_N_TRAIN)]


def verdict_rnn(results: list[Result]) -> Verdict:
    gain_rnn = _paired(results, "acc_rnn_layer", "acc_rnn_none")
    gain_mlp = _paired(results, "acc_mlp_layer", "acc_mlp_none")
    gains = {arch: [ln - none for ln, none in zip(stats.metric_values(results, f"acc_{arch}_layer"),
                                                  stats.metric_values(results, f"acc_{arch}_none"))]
             for arch in ("rnn", "mlp")}
    mainly = stats.paired_diff(gains["rnn"], gains["mlp"])
    ln_vs_bn = _paired(results, "acc_rnn_layer", "acc_rnn_batch")
    helps, more = stats.decide(gain_rnn, RNN_MARGIN, ">"), stats.decide(mainly, RNN_MARGIN, ">")
    if helps == "SUPPORTED":
        label = "SUPPORTED" if more == "SUPPORTED" else ("NUANCED" if more == "REFUTED" else "INCONCLUSIVE")
    else:
        label = helps
    accs = {n: stats.mean_ci(stats.metric_values(results, f"acc_{n}"))
            for n in ("rnn_none", "rnn_layer", "rnn_batch", "mlp_none", "mlp_layer")}
    evidence = {
        "threshold": RNN_MARGIN, "ln_gain_rnn": gain_rnn.to_dict(), "ln_gain_mlp": gain_mlp.to_dict(),
        "rnn_gain_minus_mlp_gain": mainly.to_dict(), "rnn_ln_minus_bn": ln_vs_bn.to_dict(),
        **{f"acc_{k}": v.to_dict() for k, v in accs.items()},
        "metrics": [f"{m}_{n}" for m in ("acc", "loss") for n in accs],
    }
    if "train_steps" in results[0]["metrics"]:
        steps = int(results[0]["metrics"]["train_steps"])
    else:  # quick results: the fixed digits split
        steps = math.ceil(len(_digits().train) / results[0]["config"]["batch_size"]) * results[0]["config"]["epochs"]
    evidence["dataset"] = data_title(results)
    en = (
        f"On {evidence['dataset']}: after {steps} Adam steps a row-by-row tanh RNN reaches test accuracy "
        f"{accs['rnn_none'].fmt()} without a norm, "
        f"{accs['rnn_layer'].fmt()} with LN and {accs['rnn_batch'].fmt()} with per-step BN; LN's paired gain is "
        f"{gain_rnn.fmt()} in the RNN and {gain_mlp.fmt()} in an MLP, so the RNN gain exceeds the MLP gain by "
        f"{mainly.fmt()} (both must be > {RNN_MARGIN:g}); LN - BN in the RNN {ln_vs_bn.fmt()}."
    )
    zh = (
        f"在 {evidence['dataset']} 上训练 {steps} 步 Adam 后,逐行读图的 tanh RNN 测试准确率:无归一化 {accs['rnn_none'].fmt()},LN "
        f"{accs['rnn_layer'].fmt()},逐时间步 BN {accs['rnn_batch'].fmt()};LN 的配对增益在 RNN 中为 {gain_rnn.fmt()},"
        f"在 MLP 中为 {gain_mlp.fmt()},RNN 增益比 MLP 增益多 {mainly.fmt()}(两者都须 > {RNN_MARGIN:g});"
        f"RNN 中 LN - BN 为 {ln_vs_bn.fmt()}。"
    )
    return Verdict(label, en, zh, evidence)


def figure_rnn(results: list[Result], out_dir: Path) -> list[Path]:
    plt = pyplot()
    names = ("rnn_none", "rnn_layer", "rnn_batch", "mlp_none", "mlp_layer")
    fig, axes = plt.subplots(1, 2, figsize=(11, 3.8))
    ivs = [stats.mean_ci(stats.metric_values(results, f"acc_{n}")) for n in names]
    err = [[iv.mean - iv.low if math.isfinite(iv.low) else 0 for iv in ivs],
           [iv.high - iv.mean if math.isfinite(iv.high) else 0 for iv in ivs]]
    axes[0].bar(range(len(names)), [iv.mean for iv in ivs], yerr=err, capsize=3,
                color=["C0", "C1", "C2", "C0", "C1"])
    axes[0].set_xticks(range(len(names)), [n.replace("_", "\n") for n in names])
    axes[0].set_ylabel("test accuracy (mean, 95% CI)")
    axes[0].set_ylim(min(iv.mean for iv in ivs) - 0.1, 1.0)
    axes[0].set_title("Same budget for every arm")
    for k, n in enumerate(names[:3]):
        rows = [r["series"][f"train_loss_{n}"] for r in results]
        axes[1].plot(range(1, len(rows[0]) + 1), [statistics.fmean(c) for c in zip(*rows)], marker="o",
                     color=f"C{k}", label=n.replace("_", " "))
    axes[1].set_xticks(range(1, len(results[0]["series"]["train_loss_rnn_none"]) + 1))
    axes[1].set_xlabel("epoch")
    axes[1].set_ylabel("training loss (mean over seeds)")
    axes[1].set_title(f"Row-by-row RNN training on {data_title(results)}")
    axes[1].legend()
    return [save_figure(fig, out_dir, "q07_rnn.png")]


# =========================================================================== claim 6: what IN removes


@dataclass(frozen=True)
class InstanceConfig:
    """IN's and BN's response to per-image contrast/brightness, and a contrast-level task (claim 6)."""

    levels: tuple[float, ...] = (0.25, 0.5, 1.0)  # contrast levels a (x -> a x), the classes of the task
    width: int = 32  # hidden units of the MLP after the first (norm) layer
    epochs: int = 8  # 72 Adam steps at batch 128
    batch_size: int = 128
    lr: float = 1e-2  # Adam; enough to fit a 3-class task in the budget


@dataclass(frozen=True)
class FullInstanceConfig(FullData, InstanceConfig):
    """A full-profile :class:`InstanceConfig` that also names its image set and training size (a subclass: see
    :class:`FullSmallBatchConfig`)."""


#: Invariance: IN's output may move by less than this under x -> a x + b; BN's must move by more than INV_BN_MIN.
INV_TOL = 1e-2
INV_BN_MIN = 0.1
#: Contrast-level task: BN-first accuracy minus IN-first accuracy (paired) must exceed this.
INV_ACC_MARGIN = 0.3


def _contrast_task(split: Split, levels: Sequence[float], gen: torch.Generator) -> Split:
    """Each digit multiplied by a random level; the label is the level's index."""
    y = torch.randint(len(levels), (len(split),), generator=gen)
    a = torch.tensor(levels)[y].view(-1, 1, 1, 1)  # (N,) -> (N, 1, 1, 1)
    return Split(split.x * a, y)


def run_instance(config: InstanceConfig, seed: int) -> dict[str, Any]:
    """Max output change under per-image a x + b for IN and BN; contrast-level accuracy of IN-first vs BN-first."""
    seed_everything(seed)
    if isinstance(config, FullInstanceConfig):
        data = load_images(config.dataset, config.n_train, standardize=False)
    else:
        data = _digits()
    channels = data.train.x.shape[1]
    gen = torch.Generator().manual_seed(seed)
    x = data.test.x
    a = torch.empty(len(x), 1, 1, 1).uniform_(0.5, 2.0, generator=gen)  # per-image contrast
    b = torch.empty(len(x), 1, 1, 1).uniform_(-0.5, 0.5, generator=gen)  # per-image brightness
    metrics: dict[str, float] = {}
    inorm, bnorm = InstanceNorm2d(channels), BatchNorm2d(channels)  # bnorm in training mode: batch statistics
    with torch.no_grad():
        metrics["in_max_diff"] = float((inorm(a * x + b) - inorm(x)).abs().max())
        metrics["bn_max_diff"] = float((bnorm(a * x + b) - bnorm(x)).abs().max())
    train = _contrast_task(data.train, config.levels, gen)
    test = _contrast_task(data.test, config.levels, gen)
    cfg = TrainConfig(optimizer="adam", lr=config.lr, epochs=config.epochs, batch_size=config.batch_size)
    for kind, first in (("instance", InstanceNorm2d), ("batch", BatchNorm2d)):
        seed_everything(seed)
        model = nn.Sequential(first(channels), make_mlp(data.num_features, len(config.levels), 1, config.width))
        fit(model, train, None, cfg, seed=seed)
        metrics[f"acc_level_{kind}"] = evaluate(model, test)["acc"]
    metrics["chance"] = 1.0 / len(config.levels)
    return {"metrics": metrics, "series": {}}


def configs_instance(profile: str) -> list[InstanceConfig]:
    if profile == "quick":
        return [InstanceConfig()]
    full = dict(levels=(0.2, 0.4, 0.6, 0.8, 1.0), width=64)
    dataset = available_image_dataset("fashion_mnist")
    if dataset == "digits":
        return [FullInstanceConfig(epochs=30, **full)]
    return [FullInstanceConfig(epochs=10, dataset=dataset, n_train=FULL_N_TRAIN, **full)]


def verdict_instance(results: list[Result]) -> Verdict:
    in_diff = max(stats.metric_values(results, "in_max_diff"))
    bn_diff = min(stats.metric_values(results, "bn_max_diff"))
    gap = _paired(results, "acc_level_batch", "acc_level_instance")
    acc = {k: stats.mean_ci(stats.metric_values(results, f"acc_level_{k}")) for k in ("instance", "batch")}
    chance = results[0]["metrics"]["chance"]
    invariant = in_diff < INV_TOL and bn_diff > INV_BN_MIN
    label = stats.decide(gap, INV_ACC_MARGIN, ">") if invariant else "REFUTED"
    evidence = {
        "tolerance": INV_TOL, "bn_min": INV_BN_MIN, "threshold": INV_ACC_MARGIN, "in_max_diff": in_diff,
        "bn_min_max_diff": bn_diff, "bn_minus_in_acc": gap.to_dict(), "chance": chance,
        "dataset": data_title(results),
        **{f"acc_level_{k}": v.to_dict() for k, v in acc.items()},
        "metrics": ["in_max_diff", "bn_max_diff", "acc_level_instance", "acc_level_batch"],
    }
    en = (
        f"Under a per-image change x -> a x + b (a in [0.5, 2], b in [-0.5, 0.5]) IN's output moves by at most "
        f"{in_diff:.1e} (tolerance {INV_TOL:g}) and BN's by at least {bn_diff:.2f} (threshold > {INV_BN_MIN:g}); "
        f"predicting an image's contrast level ({evidence['dataset']}), an IN-first network reaches "
        f"{acc['instance'].fmt()} (chance "
        f"{chance:.2f}) and a BN-first one {acc['batch'].fmt()}, paired gap {gap.fmt()} (threshold > {INV_ACC_MARGIN:g}): "
        f"IN discards exactly the per-image contrast and brightness that style transfer wants gone."
    )
    zh = (
        f"对每张图做 x -> a x + b(a 取 [0.5, 2],b 取 [-0.5, 0.5]),IN 的输出至多变化 {in_diff:.1e}(容差 {INV_TOL:g}),"
        f"BN 的输出至少变化 {bn_diff:.2f}(阈值 > {INV_BN_MIN:g});预测图像的对比度等级时({evidence['dataset']}),IN 在前的网络准确率 "
        f"{acc['instance'].fmt()}(随机水平 {chance:.2f}),BN 在前的网络 {acc['batch'].fmt()},配对差 {gap.fmt()}"
        f"(阈值 > {INV_ACC_MARGIN:g}):IN 去掉的正是风格迁移想去掉的逐图对比度与亮度。"
    )
    return Verdict(label, en, zh, evidence)


def figure_instance(results: list[Result], out_dir: Path) -> list[Path]:
    plt = pyplot()
    x = _digits().test.x[:1]  # the illustration's example image: bundled, so rendering needs no data files
    variants = [(1.0, 0.0), (0.5, 0.0), (2.0, -0.5)]
    fig = plt.figure(figsize=(10, 6.4))
    grid = fig.add_gridspec(3, len(variants) + 2)
    inorm, bnorm = InstanceNorm2d(1), BatchNorm2d(1).eval()  # eval: BN is a fixed affine map per channel
    with torch.no_grad():
        for j, (a, b) in enumerate(variants):
            xi = a * x + b
            for i, (img, name) in enumerate(((xi, "input"), (inorm(xi), "IN output"), (bnorm(xi), "BN output"))):
                ax = fig.add_subplot(grid[i, j])
                ax.imshow(img[0, 0], cmap="gray", vmin=-2.5, vmax=2.5)
                ax.set_title(f"{name}, a={a:g}, b={b:g}", fontsize=8)
                ax.axis("off")
    ax = fig.add_subplot(grid[:, len(variants):])
    ivs = [stats.mean_ci(stats.metric_values(results, f"acc_level_{k}")) for k in ("instance", "batch")]
    ax.bar([0, 1], [iv.mean for iv in ivs], color=["C1", "C0"])
    ax.axhline(results[0]["metrics"]["chance"], color="k", linestyle="--", linewidth=0.8, label="chance")
    ax.set_xticks([0, 1], ["IN first", "BN first"])
    ax.set_ylabel(f"contrast-level test accuracy, {data_title(results)} (mean of {len(results)} seeds)")
    ax.set_ylim(0, 1)
    ax.legend()
    fig.suptitle("Instance norm removes per-image contrast and brightness (x -> a x + b)")
    return [save_figure(fig, out_dir, "q07_instance_norm.png")]


# =========================================================================== claim 7: speed and learning rates


@dataclass(frozen=True)
class LRSweepConfig:
    """The 3x100 sigmoid MLP of Ioffe & Szegedy (2015) with and without BN, over learning rates (claim 7)."""

    lrs: tuple[float, ...] = (0.1, 1.0, 10.0)  # plain SGD: a decade apart, up to rates that break plain nets
    depth: int = 3  # the paper's MNIST network: 3 hidden layers
    width: int = 100  # of 100 sigmoid units
    batch_size: int = 60  # the paper's 60 examples per minibatch
    epochs: int = 3  # 54 steps: the budget within which the target must be reached
    target: float = 0.9  # validation accuracy counted as "trained"
    eval_every: int = 6  # steps between validation checks (the resolution of steps-to-target)


@dataclass(frozen=True)
class FullLRSweepConfig(FullData, LRSweepConfig):
    """A full-profile :class:`LRSweepConfig` that also names its image set and training size (a subclass: see
    :class:`FullSmallBatchConfig`)."""


#: BN's steps to the target (best rate of each arm, paired) must be fewer by more than this.
LR_SPEED_MARGIN = 0.0


def _lrkey(lr: float) -> str:
    return f"lr{lr:g}"


def run_lr_sweep(config: LRSweepConfig, seed: int) -> dict[str, Any]:
    """Steps to the target validation accuracy, final loss and divergence, per arm and learning rate."""
    if isinstance(config, FullLRSweepConfig):
        data = load_images(config.dataset, config.n_train, standardize=True, flatten=True)
    else:
        data = _digits(as_images=False)
    steps_per_epoch = math.ceil(len(data.train) / config.batch_size)
    budget = steps_per_epoch * config.epochs
    metrics: dict[str, float] = {"budget": float(budget)}
    series: dict[str, list[float]] = {}
    for norm in ("none", "batch"):
        for lr in config.lrs:
            seed_everything(seed)
            model = make_mlp(data.num_features, 10, config.depth, config.width, activation="sigmoid", norm=norm)
            curve: list[float] = []

            def on_step(step: int, m: nn.Module, loss: torch.Tensor, curve: list[float] = curve) -> None:
                if step % config.eval_every == 0:
                    curve.append(evaluate(m, data.val)["acc"])

            cfg = TrainConfig(optimizer="sgd", lr=lr, epochs=config.epochs, batch_size=config.batch_size)
            hist = fit(model, data.train, None, cfg, seed=seed, on_step=on_step)
            hit = next((i for i, acc in enumerate(curve) if acc >= config.target), None)
            key = f"{norm}_{_lrkey(lr)}"
            # Not reached (or diverged): censored at the budget plus one check.
            steps = (hit + 1) * config.eval_every if hit is not None else budget + config.eval_every
            metrics[f"steps_{key}"] = float(steps)
            metrics[f"reached_{key}"] = float(hit is not None and not hist.diverged)
            metrics[f"diverged_{key}"] = float(hist.diverged)
            res = evaluate(model, data.val) if not hist.diverged else {"loss": math.inf, "acc": 0.0}
            metrics[f"final_loss_{key}"] = res["loss"] if math.isfinite(res["loss"]) else 1e9
            metrics[f"final_acc_{key}"] = res["acc"] if math.isfinite(res["acc"]) else 0.0
            series[f"val_acc_{key}"] = curve
    return {"metrics": metrics, "series": series}


def configs_lr_sweep(profile: str) -> list[LRSweepConfig]:
    if profile == "quick":
        return [LRSweepConfig()]
    lrs = (0.03, 0.1, 0.3, 1.0, 3.0, 10.0, 30.0)
    dataset = available_image_dataset("mnist")
    if dataset == "digits":
        return [FullLRSweepConfig(lrs=lrs, epochs=30, target=0.95)]
    # 334 steps per epoch: a validation check every 30 steps keeps the 12000-image evaluations cheap.
    return [FullLRSweepConfig(lrs=lrs, epochs=10, target=0.95, eval_every=30, dataset=dataset, n_train=FULL_N_TRAIN)]


def _largest_good_lr(results: Sequence[Result], norm: str, lrs: Sequence[float]) -> float:
    """The largest rate at which every seed reached the target without diverging (0 if none)."""
    good = [lr for lr in lrs if min(stats.metric_values(results, f"reached_{norm}_{_lrkey(lr)}")) == 1.0]
    return max(good, default=0.0)


def verdict_lr_sweep(results: list[Result]) -> Verdict:
    lrs = results[0]["config"]["lrs"]
    ordered = sorted(results, key=lambda r: r["seed"])
    best = {n: [min(r["metrics"][f"steps_{n}_{_lrkey(lr)}"] for lr in lrs) for r in ordered] for n in ("none", "batch")}
    speed = stats.paired_diff(best["none"], best["batch"])
    largest = {n: _largest_good_lr(results, n, lrs) for n in ("none", "batch")}
    div = {n: {_lrkey(lr): _mean_of(results, f"diverged_{n}_{_lrkey(lr)}") for lr in lrs} for n in ("none", "batch")}
    loss = {n: {_lrkey(lr): _mean_of(results, f"final_loss_{n}_{_lrkey(lr)}") for lr in lrs} for n in ("none", "batch")}
    faster = stats.decide(speed, LR_SPEED_MARGIN, ">")
    tolerant = "SUPPORTED" if largest["batch"] > largest["none"] else "REFUTED"
    label = stats.combine([faster, tolerant])
    budget = results[0]["metrics"]["budget"]
    evidence = {
        "threshold": LR_SPEED_MARGIN, "budget_steps": budget, "target": results[0]["config"]["target"],
        "best_steps_none_minus_bn": speed.to_dict(), "best_steps": {n: statistics.fmean(v) for n, v in best.items()},
        "largest_lr_reaching_target": largest, "divergence_rate": div, "final_val_loss": loss,
        "dataset": data_title(results),
        "metrics": [f"{m}_{n}_{_lrkey(lr)}" for m in ("steps", "final_loss") for n in ("none", "batch") for lr in lrs],
    }
    tgt = results[0]["config"]["target"]
    loss_en = ", ".join(f"lr {lr:g}: {loss['none'][_lrkey(lr)]:.3g} vs {loss['batch'][_lrkey(lr)]:.3g}" for lr in lrs)
    div_none = statistics.fmean(v for v in div["none"].values())
    div_bn = statistics.fmean(v for v in div["batch"].values())
    en = (
        f"3x100 sigmoid MLP on {evidence['dataset']}, plain SGD, batch 60: at each arm's best rate BN reaches {tgt:g} "
        f"validation accuracy in "
        f"{statistics.fmean(best['batch']):.0f} steps vs {statistics.fmean(best['none']):.0f} without (paired saving "
        f"{speed.fmt()}, > {LR_SPEED_MARGIN:g}; {budget:.0f} steps budget, unreached counted as {budget:.0f} + one "
        f"check); the largest rate at which every seed reaches it is {largest['batch']:g} with BN and "
        f"{largest['none']:g} without; final validation loss without vs with BN {loss_en}; divergence rate "
        f"{div_none:.2f} without vs {div_bn:.2f} with BN."
    )
    loss_zh = ",".join(f"lr {lr:g}:{loss['none'][_lrkey(lr)]:.3g} 对 {loss['batch'][_lrkey(lr)]:.3g}" for lr in lrs)
    zh = (
        f"{evidence['dataset']} 上的 3x100 sigmoid MLP,普通 SGD,批大小 60:在各自最佳学习率下,BN 达到 {tgt:g} 验证准确率需 "
        f"{statistics.fmean(best['batch']):.0f} 步,无 BN 需 {statistics.fmean(best['none']):.0f} 步(配对节省 {speed.fmt()},"
        f"> {LR_SPEED_MARGIN:g};预算 {budget:.0f} 步,未达到记为 {budget:.0f} 加一次检查);所有种子都能达到目标的最大学习率:"
        f"有 BN {largest['batch']:g},无 BN {largest['none']:g};最终验证损失(无 BN 对有 BN){loss_zh};发散率 "
        f"无 BN {div_none:.2f},有 BN {div_bn:.2f}。"
    )
    return Verdict(label, en, zh, evidence)


def figure_lr_sweep(results: list[Result], out_dir: Path) -> list[Path]:
    plt = pyplot()
    cfg = results[0]["config"]
    lrs = cfg["lrs"]
    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    for k, lr in enumerate(lrs):
        for norm, style in (("none", "--"), ("batch", "-")):
            rows = [r["series"][f"val_acc_{norm}_{_lrkey(lr)}"] for r in results]
            n = min(len(row) for row in rows)
            xs = [(i + 1) * cfg["eval_every"] for i in range(n)]
            axes[0].plot(xs, [statistics.fmean(row[i] for row in rows) for i in range(n)], style, color=f"C{k}",
                         label=f"{'BN' if norm == 'batch' else 'no BN'}, lr {lr:g}")
    axes[0].axhline(cfg["target"], color="k", linewidth=0.6)
    axes[0].set_xlabel("SGD step")
    axes[0].set_ylabel("validation accuracy (mean over seeds)")
    axes[0].set_title(f"3x100 sigmoid MLP (Ioffe & Szegedy's setting) on {data_title(results)}")
    axes[0].legend(fontsize=7)
    for norm, label in (("none", "no BN"), ("batch", "BN")):
        axes[1].plot(lrs, [_mean_of(results, f"steps_{norm}_{_lrkey(lr)}") for lr in lrs], marker="o", label=label)
    axes[1].axhline(results[0]["metrics"]["budget"], color="k", linewidth=0.6, linestyle=":", label="budget")
    axes[1].set_xscale("log")
    axes[1].set_xlabel("learning rate")
    axes[1].set_ylabel(f"steps to {cfg['target']:g} val accuracy (censored)")
    axes[1].legend()
    return [save_figure(fig, out_dir, "q07_lr_sweep.png")]


# =========================================================================== records

_CLAIMS = (
    Claim(
        id="q07.norm-axes",
        question=7,
        section=_SECTION,
        note_zh="BN 归一化的维度是 [N,H,W],LN 是 [H,W,C],IN 是 [H,W],GN 把通道分成 G 组,归一化的维度为 [H,W,C//G]。",
        claim_en=(
            "On a conv layer's output (N, C, H, W) on digits, BN's output has mean 0 and variance 1 over each "
            "[N,H,W] slice (per channel), LN's over each [C,H,W] slice (per sample), IN's over each [H,W] slice "
            "(per sample and channel) and GN's over each [C//G,H,W] slice (per sample and group), to 1e-8 in float64 "
            "with eps 0; a finer slice than each norm's is not normalised (deviation > 0.1), and the outputs match "
            "PyTorch's."
        ),
        claim_zh=(
            "在 digits 上卷积层的输出 (N, C, H, W) 上,BN 输出在每个 [N,H,W] 切片(每个通道)上均值 0、方差 1,LN 在每个 "
            "[C,H,W] 切片(每个样本)上,IN 在每个 [H,W] 切片(每个样本的每个通道)上,GN 在每个 [C//G,H,W] 切片(每个样本"
            "的每组)上,float64、eps 为 0 时误差小于 1e-8;比各自更细的切片则没有被归一化(偏差 > 0.1),且输出与 PyTorch 一致。"
        ),
        metric="max |slice mean| and max |slice variance - 1| over the stated axes; the same over a finer slice",
        comparison="maximum over seeds vs the tolerance; minimum finer-slice deviation vs its threshold",
        threshold=f"stated axes < {AXES_TOL:g}, finer slice > {AXES_FINER_MIN:g}",
        experiment=run_axes,
        configs=configs_axes,
        verdict=verdict_axes,
        figure=figure_axes,
        seeds={"quick": 3, "full": 10},
    ),
    Claim(
        id="q07.bn-small-batch",
        question=7,
        section=_SECTION,
        note_zh="BN 对小的 batch size 效果不好。",
        claim_en=(
            "Trained for the same number of epochs with SGD (momentum 0.9) and the learning rate scaled linearly with "
            "the batch size (Wu & He 2018), BN's test error at the smallest batch size exceeds GN's by more than 0.015 "
            "and exceeds BN's own at batch 32 by more than 0.015 (paired intervals), on an MLP and on a small CNN on "
            "digits (one hidden layer each); LN is shown as well. Quick profile: batch sizes 2 and 32, 2 epochs on 128 "
            "training digits; full: 2, 4, 8, 16, 32, 6 epochs on 10240 training images, the CNN on CIFAR-10 and the "
            "MLP on Fashion-MNIST (1056 training digits where their files are missing)."
        ),
        claim_zh=(
            "以相同的 epoch 数、SGD(动量 0.9)、学习率随批大小线性缩放(Wu 与 He 2018)训练,在最小批大小下 BN 的测试误差"
            "比 GN 高出 0.015 以上,并比批大小 32 时的 BN 高出 0.015 以上(配对区间),在 digits 的 MLP 与小 CNN(各一个隐藏层)上都检验;"
            "同时给出 LN。quick 只用批大小 2 和 32、128 个训练样本训练 2 个 epoch;full 用 2、4、8、16、32,"
            "10240 张训练图像训练 6 个 epoch,CNN 用 CIFAR-10,MLP 用 Fashion-MNIST(缺少其数据文件时用 1056 个训练数字)。"
        ),
        metric="test error per norm and batch size",
        comparison="paired differences BN - GN at the smallest batch and BN(smallest) - BN(32), per architecture",
        threshold=SMALL_BATCH_MARGIN,
        experiment=run_small_batch,
        configs=configs_small_batch,
        verdict=verdict_small_batch,
        figure=figure_small_batch,
        seeds={"quick": 5, "full": 10},
    ),
    Claim(
        id="q07.bn-weight-scale-invariance",
        question=7,
        section=_SECTION,
        note_zh="经过 BN 的归一化消除了尺度的影响,避免了反向传播时因为权重过大或过小导致的梯度消失或爆炸。",
        claim_en=(
            "For a Linear layer followed by BN (batch statistics; float64 and eps = 0, since eps > 0 makes the identity "
            "hold only up to eps/a^2, which is reported), multiplying the weights by a (0.1, 10, 100; full: 0.01 to 1000) leaves the "
            "output unchanged and multiplies the weight gradient by 1/a (to 1e-8); multiplying every "
            "weight of a deep ReLU MLP (8 layers; full: 16) by a moves the first-layer gradient beyond that 1/a by less than 0.01 "
            "orders of magnitude with BN and by more than one order without."
        ),
        claim_zh=(
            "对线性层后接 BN(批统计量;用 float64 且 eps = 0,因为 eps > 0 时恒等式只在 eps/a^2 的精度内成立,另行报告),"
            "把权重乘以 a(a 取 0.1、10、100;full 为 0.01 到 1000)时输出不变,权重梯度变为原来的 1/a(误差小于 1e-8);把深层 ReLU MLP(8 层;full 为 16 层)的全部权重乘以 a,第一层梯度在 1/a 之外的变化有 BN 时小于 0.01 个数量级,无 BN 时超过一个数量级。"
        ),
        metric="max |BN(aWx) - BN(Wx)|, |a |g_a| / |g_1| - 1|; |log10 gradient ratio + log10 a| in a deep MLP",
        comparison="maxima over seeds and scales vs the tolerances",
        threshold=(f"identity < {SCALE_TOL:g}; deep excess with BN < {SCALE_DEEP_TOL:g}, "
                   f"without > {SCALE_NONE_MIN_LOG10:g} (log10)"),
        experiment=run_scale,
        configs=configs_scale,
        verdict=verdict_scale,
        figure=figure_scale,
        seeds={"quick": 3, "full": 10},
    ),
    Claim(
        id="q07.bn-before-activation-saturation",
        question=7,
        section=_SECTION,
        note_zh=(
            "(第六题 tanh 一节)tanh 仍然存在饱和问题;为了防止饱和,主流做法是在激活函数前做一步 BN,尽可能保证每层的输入"
            "具有均值较小的、零中心的分布(第七题:BN 一般放在激活函数前面)。"
        ),
        claim_en=(
            "In a trained MLP on digits (3x64; full: 5x128 on Fashion-MNIST, 20000 training images, where its files are "
            "there), BN placed before tanh (or sigmoid) lowers the fraction of saturated "
            "units on the test set (derivative below 0.1 of its maximum: |z| > 1.82 for tanh, > 3.64 for sigmoid) "
            "and keeps the pre-activations centred (mean over units of |unit mean| / mean unit std): both paired "
            "differences no-BN - BN are > 0 for both activations. One holding and the other failing is NUANCED."
        ),
        claim_zh=(
            "在 digits 上训练好的 MLP(3x64;full 为 5x128,有数据文件时在 Fashion-MNIST 的 20000 张训练图像上)中,在 tanh(或 sigmoid)之前加 BN 会降低测试集上饱和单元的比例(导数小于最大值的 "
            "0.1:tanh 为 |z| > 1.82,sigmoid 为 |z| > 3.64),并使预激活保持居中(各单元 |均值| 的平均除以各单元标准差的平均):"
            "两种激活下两个配对差(无 BN - 有 BN)都 > 0。一个成立、另一个不成立判为 NUANCED。"
        ),
        metric="fraction of (test sample, hidden unit) pairs beyond the saturation limit; off-centre measure",
        comparison="paired differences no-BN - BN per activation",
        threshold=SAT_MARGIN,
        experiment=run_saturation,
        configs=configs_saturation,
        verdict=verdict_saturation,
        figure=figure_saturation,
        seeds={"quick": 5, "full": 10},
    ),
    Claim(
        id="q07.ln-helps-rnn",
        question=7,
        section=_SECTION,
        note_zh="LN 归一化的维度是 [H,W,C],主要对 RNN 作用明显。",
        claim_en=(
            "After the same number of Adam steps, a tanh RNN reading each 8x8 digit row by row (full profile: each 28x28 "
            "Fashion-MNIST image, 20000 training images, where its files are there) reaches a higher test "
            "accuracy with LN than without a norm (paired difference > 0), and LN's gain in the RNN exceeds its gain "
            "in a 2-layer MLP trained the same way (difference of paired gains > 0). BN over the batch (statistics per "
            "time step) is the contrast. A gain that is real but not larger than the MLP's makes the verdict NUANCED."
        ),
        claim_zh=(
            "训练相同步数的 Adam 后,逐行读取 8x8 数字图像(full:有数据文件时为 Fashion-MNIST 的 28x28 图像,20000 张训练图像)的 tanh RNN 加 LN 的测试准确率高于不加归一化(配对差 > 0),"
            "且 LN 在 RNN 中的增益大于在同样训练的两层 MLP 中的增益(配对增益之差 > 0)。以按批(每个时间步单独统计)的 BN 作对照。"
            "若增益存在但不大于 MLP 中的增益,判为 NUANCED。"
        ),
        metric="test accuracy after a fixed budget",
        comparison="paired LN - none in the RNN; (RNN gain) - (MLP gain)",
        threshold=RNN_MARGIN,
        experiment=run_rnn,
        configs=configs_rnn,
        verdict=verdict_rnn,
        figure=figure_rnn,
        seeds={"quick": 5, "full": 10},
    ),
    Claim(
        id="q07.in-removes-contrast",
        question=7,
        section=_SECTION,
        note_zh="IN 归一化的维度是 [H,W],用在风格化迁移。",
        claim_en=(
            "IN's output is invariant to a per-image change of contrast and brightness x -> a x + b (max change < 0.01) "
            "where BN's is not (> 0.1); consequently, on a task whose label is the image's contrast level (each digit "
            "scaled by 0.25, 0.5 or 1), a network whose first layer is IN is beaten by the same network with BN first "
            "by more than 0.3 in test accuracy (paired); the full profile uses Fashion-MNIST images (20000 for training) "
            "where its files are there. Style transfer itself is not run: this is the mechanism the "
            "note's sentence relies on (Ulyanov et al. 2016; Huang & Belongie 2017)."
        ),
        claim_zh=(
            "IN 的输出对逐图的对比度与亮度变化 x -> a x + b 不变(最大变化 < 0.01),BN 的输出则会变(> 0.1);因此在标签就是"
            "图像对比度等级的任务上(每个数字乘以 0.25、0.5 或 1),第一层为 IN 的网络的测试准确率比第一层为 BN 的同一网络低 "
            "0.3 以上(配对);full 在有数据文件时改用 Fashion-MNIST 图像(20000 张用于训练)。这里没有真正做风格迁移:检验的是笔记那句话所依据的机制(Ulyanov 等 2016;Huang 与 Belongie 2017)。"
        ),
        metric="max output change under x -> a x + b; contrast-level test accuracy",
        comparison="invariance tolerances; paired accuracy BN-first - IN-first",
        threshold=f"IN < {INV_TOL:g}, BN > {INV_BN_MIN:g}, gap > {INV_ACC_MARGIN:g}",
        experiment=run_instance,
        configs=configs_instance,
        verdict=verdict_instance,
        figure=figure_instance,
        seeds={"quick": 5, "full": 10},
    ),
    Claim(
        id="q07.bn-faster-larger-lr",
        question=7,
        section=_SECTION,
        note_zh="BN 避免了梯度消失或爆炸,从而可以加速神经网络训练(可用更大学习率一说来自 Ioffe 与 Szegedy 2015)。",
        claim_en=(
            "On the 3x100 sigmoid MLP of Ioffe & Szegedy's MNIST experiment (here on digits; full profile: MNIST itself, "
            "20000 training images, where its files are there; plain SGD, batch 60), "
            "with BN before each sigmoid, over learning rates 0.1, 1, 10 (full: 0.03 to 30): (a) at each arm's best rate, the steps to the target validation "
            "accuracy (0.9; full: 0.95) are fewer than without BN (paired difference > 0, unreached runs censored at the budget), and (b) "
            "the largest learning rate at which every seed reaches the target without diverging is larger. Final loss "
            "and divergence rate per rate are reported. Both hold: SUPPORTED; one: NUANCED."
        ),
        claim_zh=(
            "在 Ioffe 与 Szegedy 的 MNIST 实验所用的 3x100 sigmoid MLP 上(这里用 digits,full 在有数据文件时就用 MNIST 的 "
            "20000 张训练图像;普通 SGD、批大小 60),在每个 sigmoid "
            "前加 BN,学习率取 0.1、1、10(full 为 0.03 到 30):(a)在各自最佳的学习率下,达到目标验证准确率(0.9;full 为 0.95)所需步数少于无 BN(配对差 > 0,未达到的按预算截尾);"
            "(b)所有种子都能达到目标且不发散的最大学习率更大。同时报告每个学习率的最终损失与发散率。两者都成立为 SUPPORTED,"
            "只有一个为 NUANCED。"
        ),
        metric="steps to the target validation accuracy; largest learning rate reaching it; final loss; divergence",
        comparison="paired best-rate steps no-BN - BN; largest good rate BN vs no-BN",
        threshold=LR_SPEED_MARGIN,
        experiment=run_lr_sweep,
        configs=configs_lr_sweep,
        verdict=verdict_lr_sweep,
        figure=figure_lr_sweep,
        seeds={"quick": 5, "full": 10},
    ),
)

QUESTION = Question(
    number=7,
    title_zh="说说BN,BN的全称,BN的作用,为什么能解决梯度爆炸?BN一般放在哪里?",
    title_en=(
        "What is BN, what does it stand for and do, why does it solve exploding gradients, and where is it usually "
        "placed?"
    ),
    answer_en=(
        "BN is Batch Normalization (Ioffe & Szegedy 2015): in training it normalises each channel with the mean and "
        "(biased) variance of the current minibatch over [N, H, W], then applies a learned scale and shift; at test "
        "time it uses running averages of those statistics. Because BN(aWx) = BN(Wx), a layer followed by BN does not "
        "care about the scale of its weights: its output is unchanged and its weight gradient scales as 1/a, so "
        "weights that grow or shrink no longer multiply the back-propagated gradients layer after layer, which is why "
        "it tames exploding and vanishing gradients and tolerates larger learning rates. The original paper places it "
        "before the nonlinearity, where it keeps a saturating activation's inputs centred. Its relatives differ only "
        "in the axes of the statistics: layer norm over [C, H, W] per sample (Ba et al. 2016; no dependence on the "
        "batch, so it works in RNNs and at batch size 1), instance norm over [H, W] per sample and channel (Ulyanov et "
        "al. 2016; removes each image's contrast and brightness, as style transfer wants), and group norm over "
        "[C/G, H, W] per sample and group (Wu & He 2018; between the two, and robust to small batches, where BN's "
        "batch statistics become noisy and differ from the running ones used at test time)."
    ),
    answer_zh=(
        "BN 即 Batch Normalization(Ioffe 与 Szegedy 2015):训练时对每个通道用当前小批量在 [N, H, W] 上的均值与(有偏)"
        "方差做归一化,再乘以可学习的缩放并加上平移;测试时使用这些统计量的滑动平均。由于 BN(aWx) = BN(Wx),后接 BN 的层"
        "不在乎自身权重的尺度:输出不变,权重梯度按 1/a 缩放,于是变大或变小的权重不再逐层放大或缩小反向传播的梯度,这就是"
        "它能抑制梯度爆炸与消失、容忍更大学习率的原因。原论文把它放在非线性之前,使饱和型激活的输入保持居中。它的几个亲戚"
        "只在统计的维度上不同:LN 对每个样本在 [C, H, W] 上统计(Ba 等 2016;不依赖批次,因此适用于 RNN 和批大小为 1 的情形),"
        "IN 对每个样本的每个通道在 [H, W] 上统计(Ulyanov 等 2016;去掉每张图的对比度与亮度,正是风格迁移想要的),GN 对每个"
        "样本的每组通道在 [C/G, H, W] 上统计(Wu 与 He 2018;介于两者之间,对小批量稳健;小批量时 BN 的批统计量噪声大,且与测试"
        "时使用的滑动平均不一致)。"
    ),
    implemented_by=(
        "mustknow.functional.batch_norm",
        "mustknow.functional.layer_norm",
        "mustknow.functional.instance_norm",
        "mustknow.functional.group_norm",
        "mustknow.nn.BatchNorm1d",
        "mustknow.nn.BatchNorm2d",
        "mustknow.nn.LayerNorm",
        "mustknow.nn.InstanceNorm2d",
        "mustknow.nn.GroupNorm",
        "mustknow.nn.make_norm",
    ),
    note_figures=(),
    claims=_CLAIMS,
    full_profile_en=(
        "Every claim runs 10 seeds (quick: 3 or 5). The small-batch test (Wu & He's protocol) spans batch sizes 2, "
        "4, 8, 16 and 32 with 6 epochs on 10240 training images: the one-block CNN (16 channels) on CIFAR-10 and the "
        "one-hidden-layer MLP (128 units) on Fashion-MNIST. On Fashion-MNIST (20000 training images, 10 epochs) the "
        "saturation test trains 5x128 tanh and sigmoid MLPs, the LN-in-RNNs test reads each 28x28 image row by row "
        "(64 hidden units, against a 2x64 MLP), and the instance-norm test uses five contrast levels; the "
        "learning-rate sweep trains Ioffe & Szegedy's 3x100 sigmoid MLP on MNIST itself (20000 training images, 10 "
        "epochs, seven rates from 0.03 to 30, target 0.95 validation accuracy). The axes test (batch 128, 16 "
        "channels) and the weight-scale identity (scales 0.01 to 1000, a 16-layer MLP) check exact identities and "
        "stay on digits activations. Where a set's files are missing its configs name digits and keep the earlier "
        "digits sizes (1056 training digits for the small-batch test, 30 or 40 epochs for the others), so results "
        "on different data never share a key."
    ),
    full_profile_zh=(
        "每个论断都跑 10 个种子(quick 为 3 或 5 个)。小批量检验(Wu 与 He 的做法)取批大小 2、4、8、16、32,在 10240 张训练"
        "图像上训练 6 个 epoch:单卷积块 CNN(16 个通道)用 CIFAR-10,单隐藏层 MLP(128 个单元)用 Fashion-MNIST。在 "
        "Fashion-MNIST 上(20000 张训练图像,10 个 epoch),饱和检验训练 5x128 的 tanh 与 sigmoid MLP,LN 与 RNN 的检验逐行读取 "
        "28x28 图像(64 个隐藏单元,对照为 2x64 的 MLP),IN 检验用五个对比度等级;学习率扫描在 MNIST 本身上训练 Ioffe 与 "
        "Szegedy 的 3x100 sigmoid MLP(20000 张训练图像,10 个 epoch,七个学习率从 0.03 到 30,目标验证准确率 0.95)。"
        "归一化维度检验(批大小 128,16 个通道)和权重尺度恒等式(尺度 0.01 到 1000,16 层 MLP)检验的是精确恒等式,仍在 "
        "digits 的激活上进行。缺少某个数据集的文件时,其配置写明 digits 并沿用原先的 digits 规模(小批量检验 1056 个训练"
        "数字,其余 30 或 40 个 epoch),因此不同数据上的结果绝不会共用同一个键。"
    ),
)
