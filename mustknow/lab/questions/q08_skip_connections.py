"""Question 8: what skip connections do.

The note answers: skips prevent vanishing gradients, and they pass shallow
information (edges, textures, shapes) on to deeper layers. Three claims, each
an experiment with a computed verdict:

1. skips keep gradients from vanishing: the first layer's gradient norm of
   plain and residual MLPs of depths 4-32 on digits (to 64 on Fashion-MNIST
   in the full profile), at initialisation and
   after a few steps;
2. degradation (He, Zhang, Ren & Sun 2016): under one training budget deeper
   plain networks (with BN) end at a higher training loss than shallower ones,
   residual networks do not;
3. the skips of a U-Net (Ronneberger, Fischer & Brox 2015) carry the shapes
   and edges: accuracy near class boundaries and mean IoU of a small U-Net
   segmenting digit canvases, with and without its skips (BN statistics
   recomputed on the training canvases after training, for both arms).

Every experiment is pure: ``run(config, seed) -> {"metrics", "series"}``.
Data are fixed (digits split seed 0, canvases seed 0); the seed sets the
initialisation and the minibatch order, and the arms of one seed share it, so
comparisons are paired by seed.

The full profile runs claims 1 and 2 on Fashion-MNIST (Xiao, Rasul & Vollgraf
2017, arXiv:1708.07747) where its files are there: 10000 (gradients) and 20000
(degradation) training images as 784 standardised pixels, loaded as question
6 loads MNIST (:func:`~mustknow.lab.questions._images.mlp_data`).
Fashion-MNIST rather than MNIST because it is harder to fit, so a few hundred
steps do not take every depth to a near-zero training loss and a gap between
depths has room to show; rather than CIFAR-10 because these claims are tested
on MLPs (there is no CNN experiment here), and CIFAR-10 calls for a CNN.
Without the files the full configs name ``"digits"``. Claim 3 stays on the digit-segmentation canvases in both
profiles: it needs per-pixel masks, which the public classification sets lack.
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

from ... import functional as MF
from ...data import digit_segmentation
from ...nn import UNet, make_mlp
from .. import stats
from ..claims import Claim, Question, Result, Verdict
from ..train import TrainConfig, fit, predict_logits, recalibrate_batch_norm, seed_everything
from ..figures import pyplot, save_figure
from ._images import FullData, data_fields, data_note, mlp_data

__all__ = ["QUESTION"]

_SECTION = "八、skip connection的作用"


# --------------------------------------------------------------------------- shared helpers


def _two_part(first: str, second: str) -> str:
    """Verdict of a claim made of two parts: both hold, both fail, one each, or undecided."""
    if first == second and first in ("SUPPORTED", "REFUTED"):
        return first
    if {first, second} == {"SUPPORTED", "REFUTED"}:
        return "NUANCED"
    return "INCONCLUSIVE"


def _errorbar(ax, xs, ivs: Sequence[stats.Interval], **kwargs) -> None:
    means = [iv.mean for iv in ivs]
    lows = [iv.mean - iv.low if math.isfinite(iv.low) else 0.0 for iv in ivs]
    highs = [iv.high - iv.mean if math.isfinite(iv.high) else 0.0 for iv in ivs]
    ax.errorbar(xs, means, yerr=[lows, highs], capsize=3, marker="o", **kwargs)


# =========================================================================== claim 1: gradients vs depth


@dataclass(frozen=True)
class GradientConfig:
    """First-layer gradient norm of plain or residual MLPs of several depths (claim 1)."""

    residual: bool = False  # the arm: plain blocks, or post-activation residual blocks (He et al. 2016)
    depths: tuple[int, ...] = (4, 8, 16, 32)  # doublings: a vanishing gradient shrinks geometrically with depth
    width: int = 64  # digits has 64 inputs: square hidden layers
    init: str = "default"  # PyTorch's default init, what a user gets; no BN, so only the skip differs
    grad_rows: int = 128  # a fixed batch of training rows for the gradient norms
    train_steps: int = 5  # "after a few steps": five Adam steps move the net off its initialisation
    batch_size: int = 128  # minibatch of those steps
    lr: float = 1e-3  # Adam's default step size


@dataclass(frozen=True)
class FullGradientConfig(FullData, GradientConfig):
    """A full-profile :class:`GradientConfig`: measured and trained on Fashion-MNIST (digits without its files)."""


#: Vanished: the first layer's gradient norm at the deepest depth is below
#: 10**-2 of its norm at the shallowest depth (same seed, same first-layer
#: weights): two orders of magnitude lost to the added depth.
VANISH_LOG10_DROP = -2.0


def _log10_layer_grads(model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor) -> list[float]:
    """log10 ||dL/dW_l|| for hidden layers l = 1..depth on the batch (x, y), in train mode."""
    model.zero_grad()
    model.train()
    MF.cross_entropy(model(x), y).backward()
    out = []
    for block in model.blocks:
        g = float(block.layer.weight.grad.norm())  # (width, fan_in) -> scalar
        out.append(max(math.log10(g), -30.0) if g > 0 else -30.0)  # -30 floors an exact zero (JSON-finite)
    model.zero_grad()
    return out


def run_gradients(config: GradientConfig, seed: int) -> dict[str, Any]:
    """Per-layer gradient norms of one arm at every depth, at init and after ``train_steps`` Adam steps."""
    data = mlp_data(config)
    rows = torch.randperm(len(data.train), generator=torch.Generator().manual_seed(seed))[: config.grad_rows]
    x, y = data.train.x[rows], data.train.y[rows]
    train = TrainConfig(lr=config.lr, epochs=config.train_steps, max_steps=config.train_steps,
                        batch_size=config.batch_size)
    metrics: dict[str, float] = {}
    series: dict[str, list[float]] = {}
    for depth in config.depths:
        seed_everything(seed)  # the first block's weights are drawn first: equal across depths and arms
        model = make_mlp(data.num_features, 10, depth, config.width, residual=config.residual, init=config.init)
        at_init = _log10_layer_grads(model, x, y)
        fit(model, data.train, None, train, seed=seed)
        trained = _log10_layer_grads(model, x, y)
        metrics[f"log10_grad_first_init_d{depth}"] = at_init[0]
        metrics[f"log10_grad_first_trained_d{depth}"] = trained[0]
        series[f"layers_init_d{depth}"] = at_init
        series[f"layers_trained_d{depth}"] = trained
    return {"metrics": metrics, "series": series}


#: Training images the full profile keeps from Fashion-MNIST, per claim: the
#: gradient claim draws 1079 rows and takes 50 steps, so 10000 is plenty; the
#: degradation claim measures the loss on the whole training split, and more
#: images make it harder to fit within the step budget.
FULL_N_TRAIN = {"gradients": 10000, "degradation": 20000}


def configs_gradients(profile: str) -> list[GradientConfig]:
    """Plain and residual arms; the full profile: depths to 64, 50 Adam steps, on Fashion-MNIST."""
    if profile == "quick":
        return [GradientConfig(residual=False), GradientConfig(residual=True)]
    extra = {"depths": (4, 8, 16, 32, 64), "grad_rows": 1079, "train_steps": 50,
             **data_fields("fashion_mnist", FULL_N_TRAIN["gradients"])}
    return [FullGradientConfig(residual=False, **extra), FullGradientConfig(residual=True, **extra)]


def _drop(arm: Sequence[Result], stage: str) -> stats.Interval:
    """log10 of the first-layer gradient norm at the deepest over the shallowest depth, paired by seed."""
    depths = arm[0]["config"]["depths"]
    return stats.paired_diff(stats.metric_values(arm, f"log10_grad_first_{stage}_d{max(depths)}"),
                             stats.metric_values(arm, f"log10_grad_first_{stage}_d{min(depths)}"))


def _stage_label(plain: stats.Interval, residual: stats.Interval) -> str:
    """One stage: plain vanished and residual not -> SUPPORTED; residual vanished -> REFUTED;
    neither vanished -> NUANCED (nothing to prevent); otherwise INCONCLUSIVE."""
    res = stats.decide(residual, VANISH_LOG10_DROP, "<")  # SUPPORTED here = the residual arm vanished
    pla = stats.decide(plain, VANISH_LOG10_DROP, "<")
    if res == "SUPPORTED":
        return "REFUTED"
    if res == "REFUTED" and pla == "SUPPORTED":
        return "SUPPORTED"
    if res == "REFUTED" and pla == "REFUTED":
        return "NUANCED"
    return "INCONCLUSIVE"


def verdict_gradients(results: list[Result]) -> Verdict:
    plain = stats.select(results, residual=False)
    resid = stats.select(results, residual=True)
    depths = plain[0]["config"]["depths"]
    lo, hi = min(depths), max(depths)
    evidence: dict[str, Any] = {"threshold_log10_drop": VANISH_LOG10_DROP, "depths": [lo, hi],
                                "metrics": [f"log10_grad_first_init_d{lo}", f"log10_grad_first_init_d{hi}",
                                            f"log10_grad_first_trained_d{lo}", f"log10_grad_first_trained_d{hi}"]}
    labels, en, zh = [], [], []
    for stage, name_en, name_zh in (("init", "at init", "初始化时"), ("trained", "after training", "训练若干步后")):
        p, r = _drop(plain, stage), _drop(resid, stage)
        labels.append(_stage_label(p, r))
        evidence[f"plain_drop_{stage}"] = p.to_dict()
        evidence[f"residual_drop_{stage}"] = r.to_dict()
        en.append(f"{name_en} plain {p.fmt()}, residual {r.fmt()}")
        zh.append(f"{name_zh}普通网络 {p.fmt()},残差网络 {r.fmt()}")
    if labels[0] == labels[1]:
        label = labels[0]
    elif "REFUTED" in labels:
        label = "REFUTED"
    elif "INCONCLUSIVE" in labels:
        label = "INCONCLUSIVE"
    else:
        label = "NUANCED"
    evidence["stage_labels"] = dict(zip(("init", "trained"), labels))
    note_en, note_zh, note = data_note(results)
    evidence.update(note)
    text_en = (
        f"log10 of the first layer's gradient norm at depth {hi} over depth {lo}: " + "; ".join(en)
        + f" (vanished below {VANISH_LOG10_DROP:g}, i.e. a hundredfold loss)." + note_en
    )
    text_zh = (
        f"第一层梯度范数在深度 {hi} 与深度 {lo} 之比的 log10:" + ";".join(zh)
        + f"(低于 {VANISH_LOG10_DROP:g},即缩小百倍,记为消失)。" + note_zh
    )
    return Verdict(label, text_en, text_zh, evidence)


def figure_gradients(results: list[Result], out_dir: Path) -> list[Path]:
    plt = pyplot()
    depths = results[0]["config"]["depths"]
    fig, axes = plt.subplots(1, 2, figsize=(10, 4), sharey=True)
    for ax, stage, title in zip(axes, ("init", "trained"), ("at initialisation", "after a few Adam steps")):
        for residual, name, colour in ((False, "plain", "tab:red"), (True, "residual", "tab:blue")):
            arm = stats.select(results, residual=residual)
            ivs = [stats.mean_ci(stats.metric_values(arm, f"log10_grad_first_{stage}_d{d}")) for d in depths]
            _errorbar(ax, list(depths), ivs, label=name, color=colour)
        base = stats.mean_ci(stats.metric_values(stats.select(results, residual=False),
                                                 f"log10_grad_first_{stage}_d{min(depths)}")).mean
        ax.axhline(base + VANISH_LOG10_DROP, color="grey", ls="--", lw=1,
                   label=f"vanished: {10 ** -VANISH_LOG10_DROP:g}x below plain at depth {min(depths)}")
        ax.set_xscale("log", base=2)
        ax.set_xticks(list(depths), [str(d) for d in depths])
        ax.set_xlabel("hidden layers (depth)")
        ax.set_title(f"First-layer gradient norm, {title}")
        ax.legend(fontsize=8)
    axes[0].set_ylabel("log10 ||dL/dW_1||")
    return [save_figure(fig, out_dir, "q08_first_layer_gradient.png")]


# =========================================================================== claim 2: degradation


@dataclass(frozen=True)
class DegradationConfig:
    """Training loss reached by a plain or residual MLP of one depth under a fixed budget (claim 2)."""

    residual: bool = False  # the arm
    depth: int = 4  # hidden blocks
    width: int = 32  # narrow keeps the deep nets cheap; the same for every depth
    norm: str = "batch"  # He et al. 2016 used BN in both arms, so gradients do not vanish at init
    steps: int = 25  # the budget: the same number of Adam steps for every depth and arm
    batch_size: int = 128  # minibatch
    lr: float = 1e-3  # Adam's default step size


@dataclass(frozen=True)
class FullDegradationConfig(FullData, DegradationConfig):
    """A full-profile :class:`DegradationConfig`: trained on Fashion-MNIST (digits without its files)."""


#: A depth "degrades" when its final training loss exceeds the shallowest
#: depth's by more than this many nats (paired 95% interval entirely above),
#: and "does not degrade" when the interval lies entirely below it.
DEGRADE_MARGIN = 0.05


@torch.no_grad()
def _train_mode_loss(model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor) -> float:
    """Cross-entropy on the whole training split with batch statistics (what the steps optimise)."""
    model.train()
    return float(MF.cross_entropy(model(x), y))


def run_degradation(config: DegradationConfig, seed: int) -> dict[str, Any]:
    """Train one net for ``steps`` Adam steps; final training loss and the per-step loss curve."""
    data = mlp_data(config)
    seed_everything(seed)
    model = make_mlp(data.num_features, 10, config.depth, config.width, norm=config.norm, residual=config.residual)
    curve: list[float] = []
    fit(model, data.train, None,
        TrainConfig(lr=config.lr, epochs=config.steps, max_steps=config.steps, batch_size=config.batch_size),
        seed=seed, on_step=lambda step, m, loss: curve.append(float(loss)))
    final = _train_mode_loss(model, data.train.x, data.train.y)
    return {"metrics": {"final_train_loss": final}, "series": {"step_loss": curve}}


def configs_degradation(profile: str) -> list[DegradationConfig]:
    """Plain and residual arms at two depths; the full profile: depths 4-32, width 64, 400 steps, Fashion-MNIST."""
    if profile == "quick":
        return [DegradationConfig(residual=r, depth=d) for r in (False, True) for d in (4, 16)]
    extra = {"width": 64, "steps": 400, **data_fields("fashion_mnist", FULL_N_TRAIN["degradation"])}
    return [FullDegradationConfig(residual=r, depth=d, **extra) for r in (False, True) for d in (4, 8, 16, 32)]


def _gap(arm: Sequence[Result]) -> tuple[stats.Interval, int, int]:
    groups = stats.by_config(arm, "depth")
    lo, hi = min(groups), max(groups)
    gap = stats.paired_diff(stats.metric_values(groups[hi], "final_train_loss"),
                            stats.metric_values(groups[lo], "final_train_loss"))
    return gap, lo, hi


def verdict_degradation(results: list[Result]) -> Verdict:
    plain = stats.select(results, residual=False)
    resid = stats.select(results, residual=True)
    p_gap, lo, hi = _gap(plain)
    r_gap, _, _ = _gap(resid)
    p_label = stats.decide(p_gap, DEGRADE_MARGIN, ">")  # plain deeper is worse
    r_label = stats.decide(r_gap, DEGRADE_MARGIN, "<")  # residual deeper is not worse
    label = _two_part(p_label, r_label)
    per_depth = {}
    for name, arm in (("plain", plain), ("residual", resid)):
        for depth, group in sorted(stats.by_config(arm, "depth").items()):
            per_depth[f"{name}_d{depth}"] = stats.mean_ci(stats.metric_values(group, "final_train_loss")).to_dict()
    deep = stats.paired_diff(
        stats.metric_values(stats.select(plain, depth=hi), "final_train_loss"),
        stats.metric_values(stats.select(resid, depth=hi), "final_train_loss"),
    )
    note_en, note_zh, note = data_note(results)
    evidence = {"threshold_margin_nats": DEGRADE_MARGIN, "plain_gap": p_gap.to_dict(),
                "residual_gap": r_gap.to_dict(), "plain_minus_residual_deepest": deep.to_dict(),
                "final_train_loss": per_depth, "metrics": ["final_train_loss"], **note}
    en = (
        f"Final training loss at depth {hi} minus depth {lo} (same steps): plain {p_gap.fmt()}, residual "
        f"{r_gap.fmt()} nats (degraded above {DEGRADE_MARGIN:g}); at depth {hi} plain minus residual "
        f"{deep.fmt()}." + note_en
    )
    zh = (
        f"相同训练步数下,深度 {hi} 与深度 {lo} 的最终训练损失之差:普通网络 {p_gap.fmt()},残差网络 "
        f"{r_gap.fmt()} nats(高于 {DEGRADE_MARGIN:g} 记为退化);深度 {hi} 时普通减残差 {deep.fmt()}。" + note_zh
    )
    return Verdict(label, en, zh, evidence)


def figure_degradation(results: list[Result], out_dir: Path) -> list[Path]:
    plt = pyplot()
    fig, (ax0, ax1) = plt.subplots(1, 2, figsize=(10, 4))
    depths = sorted(stats.by_config(results, "depth"))
    for residual, name, colour in ((False, "plain", "tab:red"), (True, "residual", "tab:blue")):
        arm = stats.select(results, residual=residual)
        ivs = [stats.mean_ci(stats.metric_values(stats.select(arm, depth=d), "final_train_loss")) for d in depths]
        _errorbar(ax0, depths, ivs, label=name, color=colour)
        for depth, style in ((depths[0], ":"), (depths[-1], "-")):
            rows = [r["series"]["step_loss"] for r in stats.select(arm, depth=depth)]
            mean = [statistics.fmean(col) for col in zip(*rows)]
            ax1.plot(range(1, len(mean) + 1), mean, ls=style, color=colour, label=f"{name}, depth {depth}")
    ax0.set_xscale("log", base=2)
    ax0.set_xticks(depths, [str(d) for d in depths])
    ax0.set_xlabel("hidden layers (depth)")
    ax0.set_ylabel("final training loss (nats)")
    ax0.set_title("Training loss after the same budget (95% CI)")
    ax0.legend()
    ax1.set_xlabel("Adam step")
    ax1.set_ylabel("minibatch training loss (mean over seeds)")
    ax1.set_title("Training curves, shallowest vs deepest")
    ax1.legend(fontsize=8)
    return [save_figure(fig, out_dir, "q08_degradation.png")]


# =========================================================================== claim 3: U-Net skips and edges


@dataclass(frozen=True)
class UNetConfig:
    """A small U-Net with or without its skips, on binary digit canvases (claim 3)."""

    skip: bool = True  # the arm: encoder-decoder concatenations on or off
    size: int = 16  # canvas side: 8-px digits, and a CPU run well under a second per trial
    max_digits: int = 2  # one or two digits per canvas
    n_train: int = 128  # canvases from the training pool of digits
    n_test: int = 64  # canvases from the disjoint test pool
    base_channels: int = 4  # channels at full resolution; x2 per level
    levels: int = 1  # 16 -> 8: without skips the decoder redraws 1-px edges from a half-resolution map
    norm: str = "batch"  # the U-Net's default
    steps: int = 32  # Adam steps: enough for both arms to outline the digits
    batch_size: int = 32  # canvases per step
    lr: float = 1e-2  # a large Adam step: BN keeps it stable, and the budget is short


def _boundary(labels: torch.Tensor) -> torch.Tensor:
    """Pixels whose 3x3 neighbourhood holds another label: (N, H, W) long -> (N, H, W) bool."""
    x = labels.unsqueeze(1).float()  # (N, H, W) -> (N, 1, H, W)
    high = torch_F.max_pool2d(x, 3, stride=1, padding=1)
    low = -torch_F.max_pool2d(-x, 3, stride=1, padding=1)
    return (high != low).squeeze(1)  # (N, 1, H, W) -> (N, H, W)


def _dilate(mask: torch.Tensor) -> torch.Tensor:
    """Grow a (N, H, W) bool mask by one pixel in every direction (8-neighbourhood)."""
    return torch_F.max_pool2d(mask.unsqueeze(1).float(), 3, stride=1, padding=1).squeeze(1) > 0


def segmentation_scores(pred: torch.Tensor, target: torch.Tensor, num_classes: int) -> dict[str, float]:
    """Boundary F-score (1-px tolerance), boundary/interior accuracy and mean IoU of label maps.

    The boundary of a label map is the set of pixels with a different label in
    their 3x3 neighbourhood (both sides of every edge). Boundary precision is
    the fraction of predicted boundary pixels within 1 px of a true one,
    recall the fraction of true boundary pixels within 1 px of a predicted one,
    and the F-score their harmonic mean (the boundary F-measure of Csurka,
    Larlus & Perronnin 2013, with a 1-px tolerance); 0 when either is 0.
    Boundary accuracy is the pixel accuracy on the true boundary pixels,
    interior accuracy on the rest. IoU per class is accumulated over the whole
    set; the mean is over classes present in the prediction or the target.

    Shape:
        pred, target: (N, H, W) long.
    """
    true_edge, pred_edge = _boundary(target), _boundary(pred)
    hits = pred == target
    precision = float((pred_edge & _dilate(true_edge)).sum()) / max(int(pred_edge.sum()), 1)
    recall = float((true_edge & _dilate(pred_edge)).sum()) / max(int(true_edge.sum()), 1)
    f_score = 2 * precision * recall / (precision + recall) if precision + recall > 0 else 0.0
    ious = []
    for c in range(num_classes):
        union = int(((pred == c) | (target == c)).sum())
        if union:
            ious.append(float(((pred == c) & (target == c)).sum()) / union)
    return {
        "boundary_f": f_score,
        "boundary_acc": float(hits[true_edge].float().mean()) if true_edge.any() else math.nan,
        "interior_acc": float(hits[~true_edge].float().mean()) if (~true_edge).any() else math.nan,
        "miou": statistics.fmean(ious),
    }


def run_unet(config: UNetConfig, seed: int) -> dict[str, Any]:
    """Train the U-Net arm, recalibrate its BN, score it on the test canvases; keep one canvas and its prediction."""
    common = dict(size=config.size, max_digits=config.max_digits, seed=0, binary=True)
    train = digit_segmentation(config.n_train, pool="train", **common)
    test = digit_segmentation(config.n_test, pool="test", **common)
    seed_everything(seed)
    model = UNet(1, train.num_classes, config.base_channels, config.levels, skip=config.skip, norm=config.norm)
    fit(model, train.to_split(), None,
        TrainConfig(lr=config.lr, epochs=config.steps, max_steps=config.steps, batch_size=config.batch_size),
        seed=seed)
    recalibrate_batch_norm(model, train.images)  # both arms: running statistics of their final weights
    pred = predict_logits(model, test.images).argmax(1)  # (N, C, H, W) -> (N, H, W)
    metrics = segmentation_scores(pred, test.masks, train.num_classes)
    series = {
        "example_image": test.images[0, 0].flatten().tolist(),  # (H, W) -> (H*W,)
        "example_mask": test.masks[0].flatten().float().tolist(),
        "example_pred": pred[0].flatten().float().tolist(),
    }
    return {"metrics": metrics, "series": series}


def configs_unet(profile: str) -> list[UNetConfig]:
    """With and without skips; the full profile: 32-px canvases, two levels, 300 steps -- still digit canvases,
    since the public classification sets have no per-pixel masks."""
    extra = {} if profile == "quick" else {"size": 32, "n_train": 512, "n_test": 256, "base_channels": 8,
                                           "levels": 2, "steps": 300}
    return [UNetConfig(skip=True, **extra), UNetConfig(skip=False, **extra)]


def verdict_unet(results: list[Result]) -> Verdict:
    on = stats.select(results, skip=True)
    off = stats.select(results, skip=False)
    diffs = {m: stats.paired_diff(stats.metric_values(on, m), stats.metric_values(off, m))
             for m in ("boundary_acc", "miou", "interior_acc", "boundary_f")}
    label = _two_part(stats.decide(diffs["boundary_acc"], 0.0, ">"), stats.decide(diffs["miou"], 0.0, ">"))
    arms = {f"{m}_{name}": stats.mean_ci(stats.metric_values(arm, m)).to_dict()
            for m in diffs for name, arm in (("skip", on), ("no_skip", off))}
    evidence = {"threshold": 0.0, "diff_skip_minus_no_skip": {m: iv.to_dict() for m, iv in diffs.items()},
                "arms": arms, "metrics": ["boundary_acc", "miou", "interior_acc", "boundary_f"]}
    en = (
        f"With minus without skips (paired): accuracy on pixels within 1 px of a boundary "
        f"{diffs['boundary_acc'].fmt()}, mean IoU {diffs['miou'].fmt()}; interior-pixel accuracy "
        f"{diffs['interior_acc'].fmt()}, boundary F-score (1-px tolerance) {diffs['boundary_f'].fmt()}."
    )
    zh = (
        f"有跳跃连接减无跳跃连接(配对):距边界 1 像素内的像素准确率 {diffs['boundary_acc'].fmt()},"
        f"平均 IoU {diffs['miou'].fmt()};内部像素准确率 {diffs['interior_acc'].fmt()},"
        f"边界 F 值(1 像素容差){diffs['boundary_f'].fmt()}。"
    )
    return Verdict(label, en, zh, evidence)


def figure_unet(results: list[Result], out_dir: Path) -> list[Path]:
    plt = pyplot()
    fig = plt.figure(figsize=(11, 4))
    grid = fig.add_gridspec(1, 5, width_ratios=(1, 1, 1, 1, 3.2))
    on = stats.select(results, skip=True)
    off = stats.select(results, skip=False)
    side = on[0]["config"]["size"]
    pictures = (("image", on[0]["series"]["example_image"]), ("true mask", on[0]["series"]["example_mask"]),
                ("with skips", on[0]["series"]["example_pred"]), ("without skips", off[0]["series"]["example_pred"]))
    for k, (title, flat) in enumerate(pictures):
        ax = fig.add_subplot(grid[0, k])
        ax.imshow(torch.tensor(flat).reshape(side, side).numpy(), cmap="gray" if k == 0 else "viridis")
        ax.set_title(f"{title}\n(seed {on[0]['seed']})", fontsize=9)
        ax.axis("off")
    ax = fig.add_subplot(grid[0, 4])
    names = ("boundary_f", "boundary_acc", "interior_acc", "miou")
    for j, (arm, label, colour) in enumerate(((on, "with skips", "tab:blue"), (off, "without skips", "tab:red"))):
        ivs = [stats.mean_ci(stats.metric_values(arm, m)) for m in names]
        xs = [i + (j - 0.5) * 0.35 for i in range(len(names))]
        ax.bar(xs, [iv.mean for iv in ivs], width=0.35, color=colour, label=label,
               yerr=[[iv.mean - iv.low if math.isfinite(iv.low) else 0 for iv in ivs],
                     [iv.high - iv.mean if math.isfinite(iv.high) else 0 for iv in ivs]], capsize=3)
    ax.set_xticks(range(len(names)), ["boundary F\n(1 px tol.)", "acc. within\n1 px of edge",
                                      "acc.\ninterior", "mean\nIoU"], fontsize=8)
    ax.set_ylim(0, 1.05)
    ax.set_title("Test canvases (mean, 95% CI)")
    ax.legend(fontsize=8, loc="lower left")
    return [save_figure(fig, out_dir, "q08_unet_skips.png")]


# =========================================================================== the question


_NOTE_GRADIENT = "防止梯度消失:跳跃连接能缓解超深网络中的梯度消失/爆炸问题。"

QUESTION = Question(
    number=8,
    title_zh="skip connection的作用",
    title_en="What do skip connections do?",
    answer_en=(
        "An identity skip y = x + F(x) adds 1 to the layer's Jacobian, so the gradient reaching a layer is the "
        "sum of a direct path and the paths through the blocks above it; it cannot shrink geometrically with "
        "depth as in a plain stack (He, Zhang, Ren & Sun 2016, 'Deep Residual Learning'; 'Identity Mappings "
        "in Deep Residual Networks', 2016). The ResNet paper's own point is about optimisation: plain networks "
        "with BN, whose gradients do not vanish, still reach a higher training error when made deeper "
        "(degradation), and residual networks do not. In encoder-decoder networks such as U-Net (Ronneberger, "
        "Fischer & Brox 2015) the skips pass the encoder's full-resolution features to the decoder, which "
        "cannot redraw exact edges and shapes from the coarse bottleneck alone. Each of these is measured "
        "below: gradient norm against depth, training loss against depth, and a U-Net with and without skips."
    ),
    answer_zh=(
        "恒等跳跃连接 y = x + F(x) 使该层的雅可比矩阵多出一个单位阵,传到某层的梯度是直连路径与经过上面各块的路径之和,"
        "不会像普通堆叠那样随深度几何级数地缩小(He、Zhang、Ren、Sun 2016《Deep Residual Learning》及《Identity Mappings "
        "in Deep Residual Networks》)。ResNet 论文本身强调的是优化问题:带 BN 的普通网络梯度并未消失,加深后训练误差反而更高"
        "(退化),残差网络则没有。在 U-Net(Ronneberger、Fischer、Brox 2015)这类编码-解码网络中,跳跃连接把编码器的全分辨率"
        "特征送到解码器,仅凭粗糙的瓶颈层解码器无法还原准确的边缘与形状。下面分别度量:梯度范数随深度的变化、训练损失随深度的变化,"
        "以及有无跳跃连接的 U-Net。"
    ),
    implemented_by=(
        "mustknow.nn.ResidualBlock",
        "mustknow.nn.PlainBlock",
        "mustknow.nn.make_mlp",
        "mustknow.nn.make_cnn",
        "mustknow.nn.UNet",
    ),
    note_figures=(),
    full_profile_en=(
        "The full profile runs 10 seeds per claim. The gradient claim goes to depth 64 (depths 4-64, width 64), "
        "measures the gradients on 1079 training rows and trains 50 Adam steps; the degradation claim trains plain "
        "and residual BN MLPs of depths 4, 8, 16 and 32 at width 64 for 400 Adam steps. Both use Fashion-MNIST "
        f"where its files are there ({FULL_N_TRAIN['gradients']} and {FULL_N_TRAIN['degradation']} training "
        "images, 784 pixels standardised with the training split's mean and std): harder to fit than digits "
        "or MNIST, so the budget does not take every depth to a near-zero loss and a depth gap has room to show; "
        "without the files the full configs name digits and use the quick profile's split, so results never mix. "
        "The U-Net claim stays on the "
        "digit-segmentation canvases (public classification sets have no masks) and grows them: 32-px canvases, "
        "512 training and 256 test canvases, 8 base channels, two levels, 300 steps."
    ),
    full_profile_zh=(
        "full 配置每个结论用 10 个种子。梯度结论的深度增至 64(深度 4-64、宽 64),在 1079 个训练样本上测梯度,并训练 50 步 Adam;"
        "退化结论训练深度 4、8、16、32、宽 64 的带 BN 普通与残差 MLP,各 400 步 Adam。两者在有数据文件时使用 Fashion-MNIST"
        f"(分别取 {FULL_N_TRAIN['gradients']} 和 {FULL_N_TRAIN['degradation']} 张训练图像,784 个像素用训练集的均值和标准差标准化),"
        "它比 digits 和 MNIST 更难拟合,这一预算不会让各深度的训练损失都接近零,深度带来的差距才有显现的余地;"
        "没有数据文件时,full 配置写明 digits 并使用 quick 配置的划分,结果不会混在一起。U-Net 结论仍用数字分割画布(公开的分类数据集没有像素级标注),但规模更大:32 像素画布,512 张训练"
        "画布和 256 张测试画布,基础通道 8,两级下采样,300 步。"
    ),
    claims=(
        Claim(
            id="q08.skips-keep-gradients",
            question=8,
            section=_SECTION,
            note_zh=_NOTE_GRADIENT,
            claim_en=(
                "Without BN and with PyTorch's default initialisation, the first layer's gradient norm of a plain "
                "ReLU MLP vanishes as depth grows from 4 to 32 (64 in the full profile; at init and after a few "
                "Adam steps; digits quick, Fashion-MNIST full), and that of a residual MLP (post-activation "
                "identity skips) does not."
            ),
            claim_zh=(
                "不用 BN、采用 PyTorch 默认初始化时,普通 ReLU MLP 的第一层梯度范数随深度从 4 增至 32(full 配置至 64)而消失"
                "(初始化时及 Adam 训练若干步后;quick 用 digits,full 用 Fashion-MNIST),带恒等跳跃连接(后激活)的残差 MLP 则不会。"
            ),
            metric="log10 of the first hidden layer's weight-gradient norm at the deepest over the shallowest depth",
            comparison=(
                "paired by seed (equal first-layer weights); per stage SUPPORTED when the plain interval lies below "
                "the threshold and the residual one above it, REFUTED when the residual one lies below, NUANCED "
                "when neither vanishes"
            ),
            threshold=VANISH_LOG10_DROP,
            experiment=run_gradients,
            configs=configs_gradients,
            verdict=verdict_gradients,
            seeds={"quick": 5, "full": 10},
            figure=figure_gradients,
        ),
        Claim(
            id="q08.degradation",
            question=8,
            section=_SECTION,
            note_zh="跳跃连接使超深网络可以训练(note 引 ResNet:更深的普通网络训练误差反而更高)。",
            claim_en=(
                "With BN and the same number of Adam steps (digits quick, Fashion-MNIST full), the deepest plain MLP "
                "ends at a training loss more than "
                f"{DEGRADE_MARGIN:g} nats above the shallowest one, while the deepest residual MLP does not "
                "(He et al. 2016's degradation problem)."
            ),
            claim_zh=(
                "在使用 BN、Adam 步数相同的条件下(quick 用 digits,full 用 Fashion-MNIST),"
                f"最深的普通 MLP 最终训练损失比最浅的高出 {DEGRADE_MARGIN:g} nats 以上,"
                "而最深的残差 MLP 不会(He 等 2016 所说的退化问题)。"
            ),
            metric="final training loss (whole training split, batch statistics) after a fixed number of steps",
            comparison=(
                "paired by seed: deepest minus shallowest depth, per arm; SUPPORTED when plain degrades and residual "
                "does not, REFUTED when plain does not and residual does, NUANCED when both or neither degrade"
            ),
            threshold=f"degraded: paired 95% CI of the gap > {DEGRADE_MARGIN:g} nats; not: CI < {DEGRADE_MARGIN:g}",
            experiment=run_degradation,
            configs=configs_degradation,
            verdict=verdict_degradation,
            seeds={"quick": 5, "full": 10},
            figure=figure_degradation,
        ),
        Claim(
            id="q08.unet-skips-carry-edges",
            question=8,
            section=_SECTION,
            note_zh="跳跃连接传递浅层信息,比如边缘、纹理和形状。",
            claim_en=(
                "A small U-Net segmenting digit canvases (digit vs background) draws better edges and shapes with "
                "its encoder-decoder skips than without: higher accuracy on the pixels within 1 px of a class "
                "boundary, and higher mean IoU, on unseen test canvases. (The boundary F-score with a 1-px "
                "tolerance is reported but does not decide: on the quick profile's 16-px canvases the digits' "
                "strokes are 1-2 px wide, so the tolerance band covers nearly the whole stroke.)"
            ),
            claim_zh=(
                "在数字画布分割(数字/背景)上,带编码-解码跳跃连接的小 U-Net 比去掉跳跃连接时画出更好的边缘和形状:"
                "测试画布上距类别边界 1 像素内的像素准确率和平均 IoU 都更高。(1 像素容差的边界 F 值只报告、不参与判定:"
                "quick 配置的 16 像素画布上数字笔画只有 1-2 像素宽,容差带几乎覆盖整个笔画。)"
            ),
            metric=(
                "accuracy on pixels within 1 px of a class boundary, and mean IoU, on test canvases, BN statistics "
                "recomputed on the training canvases (interior accuracy and boundary F-score reported)"
            ),
            comparison=(
                "paired by seed: with minus without skips; SUPPORTED when both intervals lie above 0, REFUTED when "
                "both lie at or below 0, NUANCED when one each"
            ),
            threshold=0.0,
            experiment=run_unet,
            configs=configs_unet,
            verdict=verdict_unet,
            seeds={"quick": 5, "full": 10},
            figure=figure_unet,
        ),
    ),
)
