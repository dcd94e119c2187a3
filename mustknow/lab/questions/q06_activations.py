"""Question 6: sigmoid, tanh, ReLU, Leaky ReLU and ELU compared.

Nine claims of the note, each an experiment on small MLPs and the digits data
set (64 standardised pixels, 10 classes), with the verdict computed from the
stored results:

1. sigmoid gradients vanish "within 5 layers" (per-layer gradient norms,
   depths 2-10, two initialisations);
2. sigmoid outputs are not zero-centred, so a neuron's weight gradients share
   one sign and updates zig-zag;
3. tanh is zero-centred but still saturates;
4. ReLU is cheaper to compute (forward + backward time, as a ratio to ReLU);
5. ReLU activations are sparse (exact zeros);
6. ReLU units die, irreversibly, more often at a large learning rate;
7. Leaky ReLU's alpha is "a small negative value" (it is a small positive slope);
8. ELU's mean activation is closer to zero and it learns faster;
9. without BN, 30-layer ReLU nets do not converge while ELU nets do.

Every experiment is pure: ``run(config, seed) -> {"metrics", "series"}``.
The data split is fixed (``load_dataset("digits", seed=0)``), so seeds vary
the initialisation and the minibatch order only, and arms that share a seed
share their first layers' random draws: comparisons across arms are paired.

The full profile trains and measures on public image sets where their files
are there (:class:`FullData`): MNIST (LeCun et al. 1998) for the
gradient-flow, sign, saturation, sparsity, dying-ReLU and 30-layer claims, and
Fashion-MNIST (Xiao, Rasul & Vollgraf 2017, arXiv:1708.07747) for ELU's
learning speed, whose "epochs to a training loss of 0.2" needs a set that
takes more than an epoch or two to fit (on MNIST every arm would tie at one or
two epochs). 10000 training images each, as 784 pixels standardised with the
training split's mean and std (:func:`~mustknow.lab.questions._images.mlp_data`). Timing (claim 4) and Leaky
ReLU's alpha (claim 7) use no data and stay as they are. Without the files the
full configs name ``"digits"`` and use the quick profile's digits split.
"""

from __future__ import annotations

import inspect
import math
import random
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as torch_F

from ... import functional as MF
from ...data import load_dataset
from ...nn import block_activations, make_mlp
from .. import stats
from ..claims import Claim, Question, Result, Verdict
from ..train import TrainConfig, evaluate, fit, seed_everything
from ..figures import pyplot, save_figure, series_mean
from ._images import FullData, data_fields, data_note, mlp_data

__all__ = ["QUESTION"]

_SECTION = "六、详细比较sigmoid、relu、leaky-relu等激活函数?"
_ACTS5 = ("sigmoid", "tanh", "relu", "leaky_relu", "elu")


# --------------------------------------------------------------------------- shared helpers


def _digits():
    """The digits set with a fixed split (seeds vary the model, not the data)."""
    return load_dataset("digits", seed=0)


#: Training images a full config keeps from MNIST or Fashion-MNIST: a stratified
#: subset of the 48000 left after the validation split, so that a trial of the
#: heaviest claim (30 layers, 60 epochs) stays within minutes on one CPU thread.
FULL_N_TRAIN = 10000

def _mlp(activation: str, depth: int, width: int, init: str, norm: str = "none",
         inputs: int = 64) -> torch.nn.Module:
    return make_mlp(inputs, 10, depth, width, activation=activation, norm=norm, init=init)


def _sgd(lr: float, epochs: int, batch_size: int, momentum: float = 0.0, optimizer: str = "sgd") -> TrainConfig:
    return TrainConfig(optimizer=optimizer, lr=lr, momentum=momentum, epochs=epochs, batch_size=batch_size)


# =========================================================================== claim 1: vanishing gradients


@dataclass(frozen=True)
class GradientDepthConfig:
    """Per-layer gradient norms of MLPs of several depths (claim 1)."""

    activation: str = "sigmoid"  # the activation of every hidden layer
    init: str = "default"  # "default" (PyTorch) or the activation's recommended xavier/kaiming
    depths: tuple[int, ...] = tuple(range(2, 11))  # the note's "5 layers" sits in the middle of 2..10
    width: int = 64  # digits has 64 inputs; a square net keeps fan-in = fan-out
    grad_rows: int = 256  # training rows the gradient norms are measured on (a large fixed batch)
    train_epochs: int = 1  # "after some training": one epoch of SGD moves the net off its init
    batch_size: int = 512  # 3 steps per epoch on 1079 training rows: cheap
    lr: float = 0.1  # plain SGD at a rate that trains shallow nets on digits


@dataclass(frozen=True)
class FullGradientDepthConfig(FullData, GradientDepthConfig):
    """A full-profile :class:`GradientDepthConfig`: the same measurement on MNIST (digits without its files)."""


#: Vanished: the first layer's weight-gradient norm is below 1e-2 of the output
#: layer's (the head's) -- two orders of magnitude lost on the way down.
VANISH_LOG10_RATIO = -2.0
#: The depth the note names.
VANISH_DEPTH = 5


def _log10_ratios(model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor) -> list[float]:
    """log10(||dL/dW_l|| / ||dL/dW_head||) for hidden layers l = 1..depth, on the batch (x, y)."""
    model.zero_grad()
    model.train()
    MF.cross_entropy(model(x), y).backward()
    head = model.head.weight.grad.norm()  # (classes, width) -> scalar
    out = []
    for block in model.blocks:
        g = block.layer.weight.grad.norm()
        out.append(float(torch.log10(g / head)) if g > 0 else -math.inf)
    model.zero_grad()
    return [max(v, -30.0) for v in out]  # -30 floors an exactly-zero gradient (keeps JSON finite)


def run_gradient_depth(config: GradientDepthConfig, seed: int) -> dict[str, Any]:
    """Per-layer gradient norms relative to the head, at init and after a little training, per depth."""
    data = mlp_data(config)
    rows = torch.randperm(len(data.train), generator=torch.Generator().manual_seed(seed))[: config.grad_rows]
    x, y = data.train.x[rows], data.train.y[rows]
    metrics: dict[str, float] = {}
    series: dict[str, list[float]] = {}
    for depth in config.depths:
        seed_everything(seed)
        model = _mlp(config.activation, depth, config.width, config.init, inputs=data.num_features)
        init = _log10_ratios(model, x, y)
        fit(model, data.train, None, _sgd(config.lr, config.train_epochs, config.batch_size), seed=seed)
        trained = _log10_ratios(model, x, y)
        metrics[f"log10_ratio_init_d{depth}"] = init[0]  # first layer vs head
        metrics[f"log10_ratio_trained_d{depth}"] = trained[0]
        series[f"layers_init_d{depth}"] = init  # layer 1..depth, vs head
        series[f"layers_trained_d{depth}"] = trained
    return {"metrics": metrics, "series": series}


def _recommended_init(activation: str) -> str:
    return "xavier" if activation in ("sigmoid", "tanh") else "kaiming"


def configs_gradient_depth(profile: str) -> list[GradientDepthConfig]:
    """Five activations x two inits; the full profile: width 128, 10 epochs of SGD at batch 64, MNIST."""
    if profile == "quick":
        cls, extra = GradientDepthConfig, {}
    else:
        cls = FullGradientDepthConfig
        extra = {"width": 128, "grad_rows": 1079, "train_epochs": 10, "batch_size": 64, **data_fields("mnist", FULL_N_TRAIN)}
    return [cls(activation=act, init=init, **extra) for act in _ACTS5 for init in ("default", _recommended_init(act))]


def _first_vanishing_depth(results: Sequence[Result], when: str) -> int | None:
    depths = results[0]["config"]["depths"]
    for d in depths:
        if stats.mean_ci(stats.metric_values(results, f"log10_ratio_{when}_d{d}")).mean < VANISH_LOG10_RATIO:
            return d
    return None


def verdict_gradient_depth(results: list[Result]) -> Verdict:
    labels, evidence = [], {"threshold_log10_ratio": VANISH_LOG10_RATIO, "depth": VANISH_DEPTH}
    parts, parts_zh = [], []
    for init in ("default", "xavier"):
        arm = stats.select(results, activation="sigmoid", init=init)
        for when in ("init", "trained"):
            iv = stats.mean_ci(stats.metric_values(arm, f"log10_ratio_{when}_d{VANISH_DEPTH}"))
            labels.append(stats.decide(iv, VANISH_LOG10_RATIO, "<"))
            evidence[f"sigmoid_{init}_{when}"] = iv.to_dict()
            parts.append(f"{init} init, {'at init' if when == 'init' else 'after training'}: {iv.fmt()}")
            parts_zh.append(f"{init} 初始化,{'初始化时' if when == 'init' else '训练后'}:{iv.fmt()}")
    first = {}
    for act in _ACTS5:
        for init in ("default", _recommended_init(act)):
            arm = stats.select(results, activation=act, init=init)
            if arm:
                first[f"{act}/{init}"] = _first_vanishing_depth(arm, "init")
    evidence["first_vanishing_depth_at_init"] = first
    label = stats.combine(labels)
    note_en, note_zh, note = data_note(results)
    evidence.update(note)
    others = ", ".join(f"{k}: {'none' if v is None else v}" for k, v in first.items() if not k.startswith("sigmoid"))
    others_zh = ",".join(f"{k}:{'从未' if v is None else v}" for k, v in first.items() if not k.startswith("sigmoid"))
    en = (
        f"Sigmoid nets of depth {VANISH_DEPTH}: log10(first-layer / output-layer gradient norm) = "
        + "; ".join(parts)
        + f" (vanished below {VANISH_LOG10_RATIO:g}); first depth at which the mean ratio at init "
        f"crosses it for the other activations -- {others}." + note_en
    )
    zh = (
        f"{VANISH_DEPTH} 层 sigmoid 网络中第一层与输出层梯度范数之比的 log10:"
        + ";".join(parts_zh)
        + f"(低于 {VANISH_LOG10_RATIO:g} 记为消失);其他激活函数在初始化时首次越过该阈值的深度:{others_zh}。" + note_zh
    )
    return Verdict(label, en, zh, evidence)


def figure_gradient_depth(results: list[Result], out_dir: Path) -> list[Path]:
    plt = pyplot()
    depths = results[0]["config"]["depths"]
    paths = []
    for when in ("init", "trained"):
        fig, axes = plt.subplots(2, len(_ACTS5), figsize=(3.2 * len(_ACTS5), 6.4), squeeze=False,
                                 sharex=True, sharey=True)
        fig.subplots_adjust(left=0.05, right=0.9, bottom=0.09, top=0.88, wspace=0.08, hspace=0.22)
        image = None
        for col, act in enumerate(_ACTS5):
            for row, init in enumerate(("default", _recommended_init(act))):
                ax = axes[row][col]
                arm = stats.select(results, activation=act, init=init)
                grid = torch.full((max(depths), len(depths)), float("nan"))  # (layer, depth)
                for j, d in enumerate(depths):
                    grid[:d, j] = torch.tensor(series_mean(arm, f"layers_{when}_d{d}"))
                image = ax.imshow(grid.numpy(), origin="lower", aspect="auto", cmap="viridis", vmin=-6, vmax=1,
                                  extent=(depths[0] - 0.5, depths[-1] + 0.5, 0.5, max(depths) + 0.5))
                ax.contour(list(depths), list(range(1, max(depths) + 1)), grid.numpy(), levels=[VANISH_LOG10_RATIO],
                           colors="red", linewidths=1.2)
                ax.set_title(f"{act}, {init} init", fontsize=10)
                if row == 1:
                    ax.set_xlabel("network depth")
                if col == 0:
                    ax.set_ylabel("hidden layer (1 = first)")
        fig.colorbar(image, cax=fig.add_axes((0.92, 0.15, 0.015, 0.7)),
                     label="log10(||grad W_l|| / ||grad W_head||)")
        stage = "at init" if when == "init" else "after training"
        fig.suptitle(f"Per-layer gradient norm relative to the output layer ({stage}); "
                     f"red: {VANISH_LOG10_RATIO:g} (vanished)")
        out_dir = Path(out_dir)
        out_dir.mkdir(parents=True, exist_ok=True)
        path = out_dir / f"q06_gradient_heatmap_{when}.png"
        fig.savefig(path, dpi=110)
        plt.close(fig)
        paths.append(path)
    return paths


# =========================================================================== claim 2: one-sign gradients


@dataclass(frozen=True)
class SignConfig:
    """Sign agreement of weight-gradient rows, and the 2-weight toy path (claim 2)."""

    activation: str = "sigmoid"  # what feeds the measured layers: sigmoid (positive) or tanh (centred)
    depth: int = 4  # layers 2..4 and the head are fed by the activation
    width: int = 64  # as in the other experiments
    batch_size: int = 32  # a typical minibatch: per-example signs may mix when summed
    num_batches: int = 8  # minibatches averaged per seed
    toy_steps: int = 60  # per-example SGD steps of the 2-weight toy
    toy_lr: float = 0.5  # large enough to see the path's shape in 60 steps


@dataclass(frozen=True)
class FullSignConfig(FullData, SignConfig):
    """A full-profile :class:`SignConfig`: minibatches of MNIST (digits without its files)."""


def _one_sign_fraction(grad: torch.Tensor) -> float:
    """Fraction of rows (neurons) whose incoming weight-gradient entries are all > 0 or all < 0."""
    # (out, in) -> (out,)
    same = (grad > 0).all(dim=1) | (grad < 0).all(dim=1)
    return float(same.float().mean())


def _toy_path(activation: str, steps: int, lr: float, gen: torch.Generator) -> tuple[list[float], list[float], float]:
    """Per-example SGD on 0.5 (w.x - y)^2 with inputs x = act(u), target weights w* = (1, -1).

    With sigmoid inputs (all positive) each step moves both weights in the same
    direction, so reaching w* = (1, -1) from (-1, 1) takes a zig-zag.
    """
    act = MF.sigmoid if activation == "sigmoid" else MF.tanh
    x = act(2.0 * torch.randn(steps, 2, generator=gen))  # (steps, 2)
    w_star = torch.tensor([1.0, -1.0])
    y = x @ w_star  # (steps, 2) -> (steps,)
    w = torch.tensor([-1.0, 1.0])
    path = [w.clone()]
    same_sign = 0
    for t in range(steps):
        grad = (w @ x[t] - y[t]) * x[t]
        same_sign += int(grad[0] * grad[1] > 0)
        w = w - lr * grad
        path.append(w.clone())
    pts = torch.stack(path)  # (steps + 1, 2)
    return pts[:, 0].tolist(), pts[:, 1].tolist(), same_sign / steps


def run_sign_agreement(config: SignConfig, seed: int) -> dict[str, Any]:
    """Fraction of neurons with one-sign weight-gradient rows, in layers fed by the activation."""
    seed_everything(seed)
    data = mlp_data(config)
    model = _mlp(config.activation, config.depth, config.width, "default", inputs=data.num_features)
    fed = [block.layer for block in model.blocks[1:]] + [model.head]  # layers whose input is an activation output
    gen = torch.Generator().manual_seed(seed)
    batch, single = [], []
    for _ in range(config.num_batches):
        idx = torch.randperm(len(data.train), generator=gen)[: config.batch_size]
        model.zero_grad()
        MF.cross_entropy(model(data.train.x[idx]), data.train.y[idx]).backward()
        batch.append(statistics.fmean(_one_sign_fraction(layer.weight.grad) for layer in fed))
        model.zero_grad()
        MF.cross_entropy(model(data.train.x[idx[:1]]), data.train.y[idx[:1]]).backward()
        single.append(statistics.fmean(_one_sign_fraction(layer.weight.grad) for layer in fed))
    w1, w2, same = _toy_path(config.activation, config.toy_steps, config.toy_lr, gen)
    return {
        "metrics": {
            "one_sign_fraction_batch": statistics.fmean(batch),
            "one_sign_fraction_single": statistics.fmean(single),
            "toy_same_sign_update_fraction": same,
            "toy_final_distance": math.hypot(w1[-1] - 1.0, w2[-1] + 1.0),
        },
        "series": {"toy_w1": w1, "toy_w2": w2},
    }


def configs_sign_agreement(profile: str) -> list[SignConfig]:
    """Sigmoid- and tanh-fed layers; the full profile: 64 minibatches, width 128, MNIST."""
    if profile == "quick":
        return [SignConfig(activation=act) for act in ("sigmoid", "tanh")]
    return [FullSignConfig(activation=act, num_batches=64, width=128, **data_fields("mnist", FULL_N_TRAIN))
            for act in ("sigmoid", "tanh")]


#: Minibatch one-sign fraction, sigmoid-fed minus tanh-fed (paired by seed),
#: must exceed this for the zig-zag mechanism to matter beyond single examples.
SIGN_GAP = 0.5


def verdict_sign_agreement(results: list[Result]) -> Verdict:
    sig = stats.select(results, activation="sigmoid")
    tan = stats.select(results, activation="tanh")
    diff = stats.paired_diff(stats.metric_values(sig, "one_sign_fraction_batch"),
                             stats.metric_values(tan, "one_sign_fraction_batch"))
    label = stats.decide(diff, SIGN_GAP, ">")
    s_single = stats.mean_ci(stats.metric_values(sig, "one_sign_fraction_single"))
    t_single = stats.mean_ci(stats.metric_values(tan, "one_sign_fraction_single"))
    s_batch = stats.mean_ci(stats.metric_values(sig, "one_sign_fraction_batch"))
    t_batch = stats.mean_ci(stats.metric_values(tan, "one_sign_fraction_batch"))
    toy = stats.mean_ci(stats.metric_values(sig, "toy_same_sign_update_fraction"))
    note_en, note_zh, note = data_note(results)
    en = (
        f"Neurons whose incoming weight gradients share one sign: per example {s_single.fmt()} (sigmoid-fed) vs "
        f"{t_single.fmt()} (tanh-fed); per minibatch of {sig[0]['config']['batch_size']} {s_batch.fmt()} vs "
        f"{t_batch.fmt()}, gap {diff.fmt()} (threshold {SIGN_GAP:g}); in the positive-input toy "
        f"{toy.fmt()} of the updates move both weights the same way." + note_en
    )
    zh = (
        f"输入权重梯度同号的神经元比例:单样本时 sigmoid 输入层 {s_single.fmt()},tanh 输入层 {t_single.fmt()};"
        f"小批量({sig[0]['config']['batch_size']})时 {s_batch.fmt()} 对 {t_batch.fmt()},差 {diff.fmt()}"
        f"(阈值 {SIGN_GAP:g});正输入的二维玩具问题中 {toy.fmt()} 的更新让两个权重同向移动。" + note_zh
    )
    evidence = {"threshold_gap": SIGN_GAP, "gap": diff.to_dict(), "sigmoid_single": s_single.to_dict(),
                "tanh_single": t_single.to_dict(), "sigmoid_batch": s_batch.to_dict(),
                "tanh_batch": t_batch.to_dict(), "toy_same_sign_sigmoid": toy.to_dict(), **note}
    return Verdict(label, en, zh, evidence)


def figure_sign_agreement(results: list[Result], out_dir: Path) -> list[Path]:
    plt = pyplot()
    fig, (ax0, ax1) = plt.subplots(1, 2, figsize=(11, 4.5))
    acts = ("sigmoid", "tanh")
    for k, (metric, name) in enumerate((("one_sign_fraction_single", "one example"),
                                        ("one_sign_fraction_batch", "minibatch"))):
        means, errs = [], []
        for act in acts:
            iv = stats.mean_ci(stats.metric_values(stats.select(results, activation=act), metric))
            means.append(iv.mean)
            errs.append(0.0 if not math.isfinite(iv.high) else iv.high - iv.mean)
        ax0.bar([i + 0.38 * k for i in range(len(acts))], means, width=0.36, yerr=errs, capsize=4, label=name)
    ax0.set_xticks([i + 0.19 for i in range(len(acts))], [f"fed by {a}" for a in acts])
    ax0.set_ylabel("fraction of neurons with one-sign gradient row")
    ax0.set_ylim(0, 1.05)
    ax0.legend()
    ax0.set_title("Weight-gradient sign agreement (mean, 95% CI)")
    w = torch.linspace(-2.0, 2.0, 81)
    grid1, grid2 = torch.meshgrid(w, w, indexing="xy")
    ax1.contour(grid1.numpy(), grid2.numpy(), ((grid1 - 1) ** 2 + (grid2 + 1) ** 2).numpy(), levels=8,
                colors="lightgray")
    for act, style in zip(acts, ("-o", "-s")):
        r = stats.select(results, activation=act)[0]
        ax1.plot(r["series"]["toy_w1"], r["series"]["toy_w2"], style, ms=2.5, lw=1,
                 label=f"inputs = {act}(u) (seed {r['seed']})")
    ax1.plot([1.0], [-1.0], "k*", ms=12, label="optimum w* = (1, -1)")
    ax1.plot([-1.0], [1.0], "kx", ms=8, label="start")
    ax1.set_xlabel("w1")
    ax1.set_ylabel("w2")
    ax1.set_title("Per-example SGD path, 2-weight linear toy")
    ax1.legend(fontsize=8)
    return [save_figure(fig, out_dir, "q06_sign_agreement.png")]


# =========================================================================== claim 3: tanh saturates


@dataclass(frozen=True)
class SaturationConfig:
    """Activation statistics of a deep tanh/sigmoid MLP at a given weight scale (claim 3)."""

    activation: str = "tanh"  # tanh, with sigmoid as the non-centred contrast
    scale: float = 1.0  # multiplies the Xavier weights: 1 = Glorot's scale, larger = larger pre-activations
    depth: int = 6  # a few layers so the scale compounds
    width: int = 128  # enough units for stable fractions


@dataclass(frozen=True)
class FullSaturationConfig(FullData, SaturationConfig):
    """A full-profile :class:`SaturationConfig`: MNIST's training images as inputs (digits without its files)."""


#: A unit is saturated on an input when its derivative is below 10% of the
#: activation's maximum derivative (tanh: 1, sigmoid: 1/4).
SATURATION_DERIVATIVE = 0.1
#: "Zero-centred": |mean activation| below this (tanh's range is [-1, 1]).
CENTRED_MAX_ABS_MEAN = 0.1
#: "Still saturates": at the largest pre-activation scale tested, more than
#: this fraction of unit-inputs are saturated.
SATURATED_MIN_FRACTION = 0.1
_MAX_DERIVATIVE = {"tanh": 1.0, "sigmoid": 0.25}


def run_saturation(config: SaturationConfig, seed: int) -> dict[str, Any]:
    """Mean activation and saturated fraction per layer of a deep tanh/sigmoid MLP at init."""
    seed_everything(seed)
    data = mlp_data(config)
    model = _mlp(config.activation, config.depth, config.width, "xavier", inputs=data.num_features)
    with torch.no_grad():
        for block in model.blocks:
            block.layer.weight.mul_(config.scale)
    _, post = block_activations(model, data.train.x)
    means, saturated, derivs = [], [], []
    for a in post:
        deriv = (1 - a * a) if config.activation == "tanh" else a * (1 - a)  # f'(z) from f(z)
        rel = deriv / _MAX_DERIVATIVE[config.activation]
        means.append(float(a.mean()))  # (N, width) -> scalar
        saturated.append(float((rel < SATURATION_DERIVATIVE).float().mean()))
        derivs.append(float(rel.mean()))
    return {
        "metrics": {
            "mean_abs_layer_mean": statistics.fmean(abs(m) for m in means),
            "saturated_fraction": statistics.fmean(saturated),
            "mean_relative_derivative": statistics.fmean(derivs),
        },
        "series": {"layer_mean": means, "layer_saturated": saturated, "layer_relative_derivative": derivs},
    }


_SCALES = (1.0, 2.0, 4.0)


def configs_saturation(profile: str) -> list[SaturationConfig]:
    """tanh and sigmoid at three weight scales; the full profile: 10 layers of width 256 on MNIST."""
    if profile == "quick":
        cls, extra = SaturationConfig, {}
    else:
        cls, extra = FullSaturationConfig, {"width": 256, "depth": 10, **data_fields("mnist", FULL_N_TRAIN)}
    return [cls(activation=act, scale=s, **extra) for act in ("tanh", "sigmoid") for s in _SCALES]


def verdict_saturation(results: list[Result]) -> Verdict:
    tanh = stats.by_config(stats.select(results, activation="tanh"), "scale")
    sig = stats.by_config(stats.select(results, activation="sigmoid"), "scale")
    scales = sorted(tanh)
    centred = {s: stats.mean_ci(stats.metric_values(tanh[s], "mean_abs_layer_mean")) for s in scales}
    sat = {s: stats.mean_ci(stats.metric_values(tanh[s], "saturated_fraction")) for s in scales}
    sig_mean = {s: stats.mean_ci(stats.metric_values(sig[s], "mean_abs_layer_mean")) for s in sorted(sig)}
    labels = [stats.decide(centred[s], CENTRED_MAX_ABS_MEAN, "<") for s in scales]
    labels.append(stats.decide(sat[scales[-1]], SATURATED_MIN_FRACTION, ">"))
    label = stats.combine(labels)
    note_en, note_zh, note = data_note(results)
    en = (
        "tanh |mean activation| per layer: "
        + ", ".join(f"x{s:g}: {centred[s].fmt()}" for s in scales)
        + f" (centred if < {CENTRED_MAX_ABS_MEAN:g}; sigmoid: "
        + ", ".join(f"x{s:g}: {sig_mean[s].fmt()}" for s in sig_mean)
        + "); saturated fraction (derivative < "
        + f"{SATURATION_DERIVATIVE:g} of its maximum): "
        + ", ".join(f"x{s:g}: {sat[s].fmt()}" for s in scales)
        + f" (threshold {SATURATED_MIN_FRACTION:g} at the largest scale)." + note_en
    )
    zh = (
        "tanh 每层平均激活的绝对值:"
        + ",".join(f"x{s:g}:{centred[s].fmt()}" for s in scales)
        + f"(< {CENTRED_MAX_ABS_MEAN:g} 视为零中心;sigmoid:"
        + ",".join(f"x{s:g}:{sig_mean[s].fmt()}" for s in sig_mean)
        + f");饱和比例(导数低于最大值的 {SATURATION_DERIVATIVE:g}):"
        + ",".join(f"x{s:g}:{sat[s].fmt()}" for s in scales)
        + f"(最大尺度下阈值 {SATURATED_MIN_FRACTION:g})。" + note_zh
    )
    evidence = {"threshold_abs_mean": CENTRED_MAX_ABS_MEAN, "threshold_saturated": SATURATED_MIN_FRACTION,
                "saturation_derivative": SATURATION_DERIVATIVE,
                "tanh_abs_mean": {str(s): centred[s].to_dict() for s in scales},
                "tanh_saturated": {str(s): sat[s].to_dict() for s in scales},
                "sigmoid_abs_mean": {str(s): v.to_dict() for s, v in sig_mean.items()}, **note}
    return Verdict(label, en, zh, evidence)


def figure_saturation(results: list[Result], out_dir: Path) -> list[Path]:
    plt = pyplot()
    fig, (ax0, ax1) = plt.subplots(1, 2, figsize=(10, 4))
    for act, color in (("tanh", "tab:blue"), ("sigmoid", "tab:orange")):
        groups = stats.by_config(stats.select(results, activation=act), "scale")
        for s, style in zip(sorted(groups), ("-", "--", ":")):
            ax0.plot(range(1, len(groups[s][0]["series"]["layer_mean"]) + 1),
                     series_mean(groups[s], "layer_mean"), style, color=color, label=f"{act} x{s:g}")
            ax1.plot(range(1, len(groups[s][0]["series"]["layer_saturated"]) + 1),
                     series_mean(groups[s], "layer_saturated"), style, color=color, label=f"{act} x{s:g}")
    ax0.axhline(0, color="gray", lw=0.8)
    ax0.set_xlabel("hidden layer")
    ax0.set_ylabel("mean activation")
    ax0.set_title("Mean activation (0 = zero-centred)")
    ax1.axhline(SATURATED_MIN_FRACTION, color="red", lw=0.8, label="threshold")
    ax1.set_xlabel("hidden layer")
    ax1.set_ylabel(f"fraction with f' < {SATURATION_DERIVATIVE:g} max f'")
    ax1.set_title("Saturated units vs weight scale (x Xavier)")
    ax1.legend(fontsize=7, ncol=2)
    ax0.legend(fontsize=7, ncol=2)
    return [save_figure(fig, out_dir, "q06_saturation.png")]


# =========================================================================== claim 4: compute cost


@dataclass(frozen=True)
class TimingConfig:
    """Forward+backward timing of the activations (claim 4)."""

    rows: int = 256  # a hidden activation tensor of a mid-sized batch
    cols: int = 1024  # 256K elements: large enough that per-call overhead is not everything
    repeats: int = 15  # medians over interleaved repeats resist timing noise on a shared CPU


def _torch_activation(name: str) -> Callable[[torch.Tensor], torch.Tensor]:
    return {"sigmoid": torch.sigmoid, "tanh": torch.tanh, "relu": torch.relu,
            "leaky_relu": torch_F.leaky_relu, "elu": torch_F.elu}[name]


def run_timing(config: TimingConfig, seed: int) -> dict[str, Any]:
    """Median forward+backward time of each activation, as a ratio to ReLU of the same implementation.

    Timing is the one measurement here that is not reproducible for a seed:
    the seed fixes the input and the (shuffled, interleaved) call order only.
    """
    gen = torch.Generator().manual_seed(seed)
    x0 = torch.randn(config.rows, config.cols, generator=gen)
    g = torch.randn(config.rows, config.cols, generator=gen)
    # mustknow's autograd Functions vs PyTorch's own kernels, all timed in one interleaved loop
    ops = {(impl, act): (getattr(MF, act) if impl == "mustknow" else _torch_activation(act))
           for impl in ("mustknow", "torch") for act in _ACTS5}
    order = list(ops)
    rng = random.Random(seed)
    times: dict[tuple[str, str], list[float]] = {key: [] for key in ops}
    for rep in range(config.repeats + 1):  # the first round warms up and is dropped
        rng.shuffle(order)
        for key in order:
            x = x0.clone().requires_grad_(True)
            t0 = time.perf_counter()
            ops[key](x).backward(g)
            dt = time.perf_counter() - t0
            if rep:
                times[key].append(dt)
    med = {key: statistics.median(v) for key, v in times.items()}
    metrics = {f"ratio_{impl}_{act}": med[(impl, act)] / med[(impl, "relu")] for impl, act in ops}
    metrics.update({f"us_{impl}_{act}": 1e6 * med[(impl, act)] for impl, act in ops})
    return {"metrics": metrics, "series": {}}


def configs_timing(profile: str) -> list[TimingConfig]:
    return [TimingConfig() if profile == "quick" else TimingConfig(repeats=101)]


#: "Cheaper": the median time ratio to ReLU (torch's own kernels) is above 1.
TIMING_RATIO = 1.0


def verdict_timing(results: list[Result]) -> Verdict:
    iv = {f"{impl}_{act}": stats.mean_ci(stats.metric_values(results, f"ratio_{impl}_{act}"))
          for impl in ("torch", "mustknow") for act in _ACTS5 if act != "relu"}
    label = stats.combine([stats.decide(iv[f"torch_{act}"], TIMING_RATIO, ">") for act in ("sigmoid", "tanh")])
    en = (
        "Forward+backward time as a ratio to ReLU, torch kernels: "
        + ", ".join(f"{a} {iv['torch_' + a].fmt()}" for a in _ACTS5 if a != "relu")
        + "; mustknow's autograd Functions: "
        + ", ".join(f"{a} {iv['mustknow_' + a].fmt()}" for a in _ACTS5 if a != "relu")
        + f" (cheaper if sigmoid's and tanh's torch ratios > {TIMING_RATIO:g}; medians of interleaved repeats)."
    )
    zh = (
        "前向+反向时间相对 ReLU 的比值,torch 内核:"
        + ",".join(f"{a} {iv['torch_' + a].fmt()}" for a in _ACTS5 if a != "relu")
        + ";mustknow 的 autograd Function:"
        + ",".join(f"{a} {iv['mustknow_' + a].fmt()}" for a in _ACTS5 if a != "relu")
        + f"(sigmoid 与 tanh 的 torch 比值 > {TIMING_RATIO:g} 即 ReLU 更便宜;取交错重复的中位数)。"
    )
    evidence = {"threshold_ratio": TIMING_RATIO, **{k: v.to_dict() for k, v in iv.items()}}
    return Verdict(label, en, zh, evidence)


def figure_timing(results: list[Result], out_dir: Path) -> list[Path]:
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(7, 4))
    for k, impl in enumerate(("torch", "mustknow")):
        ivs = [stats.mean_ci(stats.metric_values(results, f"ratio_{impl}_{a}")) for a in _ACTS5]
        ax.bar([i + 0.38 * k for i in range(len(_ACTS5))], [iv.mean for iv in ivs], width=0.36,
               yerr=[0.0 if not math.isfinite(iv.high) else iv.high - iv.mean for iv in ivs], capsize=3,
               label=impl)
    ax.axhline(1.0, color="gray", lw=0.8)
    ax.set_xticks([i + 0.19 for i in range(len(_ACTS5))], list(_ACTS5))
    ax.set_ylabel("forward+backward time / ReLU's")
    ax.set_title("Activation cost relative to ReLU (median of interleaved runs)")
    ax.legend()
    return [save_figure(fig, out_dir, "q06_timing.png")]


# =========================================================================== claims 5, 6, 8: a trained MLP


@dataclass(frozen=True)
class TrainingConfig:
    """One trained MLP: sparsity, dead units and learning speed (claims 5, 6, 8)."""

    activation: str = "relu"  # the hidden activation
    lr: float = 0.1  # plain SGD rate; the dying-ReLU claim sweeps it
    depth: int = 6  # deep enough for mean shifts to compound (Clevert et al. use > 5 layers)
    width: int = 64  # as the other experiments
    init: str = "kaiming"  # He init: the standard for the ReLU family, so ReLU is not handicapped
    epochs: int = 5  # ~85 SGD steps: a 6-layer net reaches a low training loss on digits at lr 0.1
    batch_size: int = 64  # minibatch SGD: noise and large steps are what kill units
    early_epochs: int = 1  # dead units are first counted after this many epochs


@dataclass(frozen=True)
class FullTrainingConfig(FullData, TrainingConfig):
    """A full-profile :class:`TrainingConfig`: trained on MNIST or Fashion-MNIST (digits without their files)."""


def _dead_mask(model: torch.nn.Module, x: torch.Tensor) -> torch.Tensor:
    """(units,) True where a hidden unit's pre-activation is <= 0 on every row of ``x`` (or not finite)."""
    pre, _ = block_activations(model, x)
    # (N, width) per layer -> (width,) -> (layers * width,)
    return torch.cat([~(z > 0).any(dim=0) for z in pre])


def run_training(config: TrainingConfig, seed: int) -> dict[str, Any]:
    """Train an MLP; record activation statistics, dead units early and late, and the loss curve.

    A run that diverges (``fit`` flags a non-finite or exploding loss) has no
    meaningful activations: its activation and dead-unit metrics are NaN and
    the verdicts leave it out, counting it under ``diverged``.
    """
    seed_everything(seed)
    data = mlp_data(config)
    model = _mlp(config.activation, config.depth, config.width, config.init, inputs=data.num_features)
    _, post0 = block_activations(model, data.train.x)
    early: list[torch.Tensor] = []

    def snapshot(epoch: int, net: torch.nn.Module, history: Any) -> None:
        if epoch == config.early_epochs:
            early.append(_dead_mask(net, data.train.x))

    hist = fit(model, data.train, None, _sgd(config.lr, config.epochs, config.batch_size), seed=seed,
               on_epoch=snapshot)
    curve = [float(v) for v in hist.train_loss]
    init_mean = statistics.fmean(abs(float(a.mean())) for a in post0)
    if hist.diverged or not early:
        nan = float("nan")
        metrics = dict.fromkeys(("zero_fraction", "abs_mean_activation", "dead_fraction_early", "dead_fraction",
                                 "dead_early_count", "revived_count", "final_train_loss"), nan)
        metrics.update(abs_mean_activation_init=init_mean, diverged=1.0)
        return {"metrics": metrics, "series": {"train_loss": curve}}
    dead_final = _dead_mask(model, data.train.x)
    _, post = block_activations(model, data.train.x)
    _, post_test = block_activations(model, data.test.x)
    return {
        "metrics": {
            "zero_fraction": statistics.fmean(float((a == 0).float().mean()) for a in post_test),
            "abs_mean_activation_init": init_mean,
            "abs_mean_activation": statistics.fmean(abs(float(a.mean())) for a in post),
            "dead_fraction_early": float(early[0].float().mean()),
            "dead_fraction": float(dead_final.float().mean()),
            "dead_early_count": float(early[0].sum()),
            "revived_count": float((early[0] & ~dead_final).sum()),
            "final_train_loss": evaluate(model, data.train)["loss"],
            "diverged": 0.0,
        },
        "series": {
            "train_loss": curve,
            "layer_mean_init": [float(a.mean()) for a in post0],
            "layer_mean": [float(a.mean()) for a in post],
            "layer_zero_fraction": [float((a == 0).float().mean()) for a in post_test],
            "layer_dead_fraction": [float(d.float().mean()) for d in dead_final.view(config.depth, -1)],
        },
    }


def _finite(results: Sequence[Result]) -> list[Result]:
    """The runs that did not diverge."""
    return [r for r in results if not r["metrics"]["diverged"]]


def _training_config(profile: str, dataset: str, **arms: Any) -> TrainingConfig:
    """One arm of the trained-MLP claims; the full profile: 30 epochs, width 128, on ``dataset`` (see _images.data_fields)."""
    if profile == "quick":
        return TrainingConfig(**arms)
    return FullTrainingConfig(epochs=30, width=128, **data_fields(dataset, FULL_N_TRAIN), **arms)


# --------------------------------------------------------------------------- claim 5: sparsity

#: "Sparse": at least a quarter of ReLU hidden outputs are exactly 0 (test set,
#: after training); the contrasts (Leaky ReLU, ELU, tanh) stay below 1%.
SPARSE_MIN_ZERO_FRACTION = 0.25
DENSE_MAX_ZERO_FRACTION = 0.01
_SPARSITY_ACTS = ("relu", "leaky_relu", "elu", "tanh")


def configs_sparsity(profile: str) -> list[TrainingConfig]:
    """ReLU and its contrasts at lr 0.1; the full profile trains on MNIST."""
    return [_training_config(profile, "mnist", activation=act) for act in _SPARSITY_ACTS]


def verdict_sparsity(results: list[Result]) -> Verdict:
    iv = {act: stats.mean_ci(stats.metric_values(_finite(stats.select(results, activation=act, lr=0.1)),
                                                 "zero_fraction"))
          for act in _SPARSITY_ACTS}
    labels = [stats.decide(iv["relu"], SPARSE_MIN_ZERO_FRACTION, ">")]
    labels += [stats.decide(iv[a], DENSE_MAX_ZERO_FRACTION, "<") for a in _SPARSITY_ACTS if a != "relu"]
    label = stats.combine(labels)
    note_en, note_zh, note = data_note(results)
    en = (
        "Fraction of hidden outputs exactly 0 on the test set after training: "
        + ", ".join(f"{a} {iv[a].fmt()}" for a in _SPARSITY_ACTS)
        + f" (sparse if ReLU > {SPARSE_MIN_ZERO_FRACTION:g} and the others < {DENSE_MAX_ZERO_FRACTION:g})."
        + note_en
    )
    zh = (
        "训练后测试集上隐藏层输出恰为 0 的比例:"
        + ",".join(f"{a} {iv[a].fmt()}" for a in _SPARSITY_ACTS)
        + f"(ReLU > {SPARSE_MIN_ZERO_FRACTION:g} 且其余 < {DENSE_MAX_ZERO_FRACTION:g} 视为稀疏)。"
        + note_zh
    )
    evidence = {"threshold_relu": SPARSE_MIN_ZERO_FRACTION, "threshold_others": DENSE_MAX_ZERO_FRACTION,
                **{a: v.to_dict() for a, v in iv.items()}, **note}
    return Verdict(label, en, zh, evidence)


def figure_sparsity(results: list[Result], out_dir: Path) -> list[Path]:
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6.5, 4))
    for act in _SPARSITY_ACTS:
        arm = _finite(stats.select(results, activation=act, lr=0.1))
        values = series_mean(arm, "layer_zero_fraction")
        ax.plot(range(1, len(values) + 1), values, "-o", label=act)
    ax.axhline(SPARSE_MIN_ZERO_FRACTION, color="red", lw=0.8, ls="--", label="threshold (ReLU)")
    ax.set_xlabel("hidden layer")
    ax.set_ylabel("fraction of outputs exactly 0")
    ax.set_title("Activation sparsity after training (test set)")
    ax.legend()
    return [save_figure(fig, out_dir, "q06_sparsity.png")]


# --------------------------------------------------------------------------- claim 6: dying ReLU

_LRS = (0.01, 0.1, 0.5)  # two decades, up to just below where plain SGD diverges here
_DYING_ACTS = ("relu", "leaky_relu", "elu")
#: The learning-rate effect: ReLU's dead fraction at the largest rate minus at
#: the smallest (paired by seed) must exceed this.
DEAD_LR_GAP = 0.05
#: "Irreversible": of the units dead after the first epoch, fewer than this
#: fraction are alive at the end (pooled over seeds and rates).
REVIVED_MAX_FRACTION = 0.05


def configs_dying(profile: str) -> list[TrainingConfig]:
    """ReLU at every rate; the quick profile leaves the Leaky ReLU / ELU contrasts to the full one (on MNIST)."""
    acts = ("relu",) if profile == "quick" else _DYING_ACTS
    return [_training_config(profile, "mnist", activation=act, lr=lr) for act in acts for lr in _LRS]


def _paired_finite(a: Sequence[Result], b: Sequence[Result], metric: str) -> tuple[list[float], list[float]]:
    """Values of ``metric`` for the seeds where neither run diverged, paired by seed."""
    fa = {r["seed"]: r["metrics"][metric] for r in _finite(a)}
    fb = {r["seed"]: r["metrics"][metric] for r in _finite(b)}
    seeds = sorted(set(fa) & set(fb))
    return [fa[s] for s in seeds], [fb[s] for s in seeds]


def verdict_dying(results: list[Result]) -> Verdict:
    relu = stats.select(results, activation="relu")
    by_lr = stats.by_config(relu, "lr")
    lrs = sorted(by_lr)
    high, low = _paired_finite(by_lr[lrs[-1]], by_lr[lrs[0]], "dead_fraction")
    gap = stats.paired_diff(high, low) if high else stats.Interval(math.nan, -math.inf, math.inf, 0)
    finite = _finite(relu)
    dead_early = sum(stats.metric_values(finite, "dead_early_count")) if finite else 0.0
    revived = sum(stats.metric_values(finite, "revived_count")) if finite else 0.0
    revived_frac = revived / dead_early if dead_early else math.nan
    lr_label = stats.decide(gap, DEAD_LR_GAP, ">") if high else "INCONCLUSIVE"
    if dead_early == 0:
        rev_label = "INCONCLUSIVE"
    else:
        rev_label = "SUPPORTED" if revived_frac < REVIVED_MAX_FRACTION else "REFUTED"
    label = stats.combine([lr_label, rev_label])
    per, diverged = {}, {}
    for act in _DYING_ACTS:
        for lr in lrs:
            arm = stats.select(results, activation=act, lr=lr)
            ok = _finite(arm)
            diverged[f"{act}@{lr:g}"] = len(arm) - len(ok)
            if ok:
                per[f"{act}@{lr:g}"] = stats.mean_ci(stats.metric_values(ok, "dead_fraction"))
    table = ", ".join(f"{k} {v.fmt()}" for k, v in per.items())
    div = ", ".join(f"{k}: {v}" for k, v in diverged.items() if v) or "none"
    note_en, note_zh, note = data_note(results)
    en = (
        f"Dead fraction (pre-activation <= 0 on every training row) after training: {table} (diverged runs, "
        f"left out: {div}); ReLU gap lr {lrs[-1]:g} - lr {lrs[0]:g} = {gap.fmt()} (threshold {DEAD_LR_GAP:g}); "
        f"of {dead_early:g} ReLU units dead after epoch 1, {revived:g} were alive at the end "
        f"({revived_frac:.3g}; irreversible if < {REVIVED_MAX_FRACTION:g})." + note_en
    )
    zh = (
        f"训练后死亡单元比例(在全部训练样本上预激活 <= 0):{table}(发散的运行不计:{div});"
        f"ReLU 学习率 {lrs[-1]:g} 与 {lrs[0]:g} 之差 {gap.fmt()}(阈值 {DEAD_LR_GAP:g});"
        f"第 1 个 epoch 后死亡的 {dead_early:g} 个 ReLU 单元中,{revived:g} 个在训练结束时复活"
        f"(比例 {revived_frac:.3g};< {REVIVED_MAX_FRACTION:g} 视为不可逆)。" + note_zh
    )
    evidence = {"threshold_gap": DEAD_LR_GAP, "threshold_revived": REVIVED_MAX_FRACTION, "gap": gap.to_dict(),
                "relu_dead_early_units": dead_early, "relu_revived_units": revived,
                "relu_revived_fraction": None if dead_early == 0 else revived_frac, "diverged_runs": diverged,
                **{k: v.to_dict() for k, v in per.items()}, **note}
    return Verdict(label, en, zh, evidence)


def figure_dying(results: list[Result], out_dir: Path) -> list[Path]:
    plt = pyplot()
    fig, (ax0, ax1) = plt.subplots(1, 2, figsize=(11, 4))
    for act, color in zip(_DYING_ACTS, ("tab:red", "tab:blue", "tab:green")):
        panels = ((ax0, "dead_fraction_early", "--", "after epoch 1"), (ax0, "dead_fraction", "-o", "end"),
                  (ax1, "zero_fraction", "-o", "end"))
        for ax, metric, style, when in panels:
            xs, ys = [], []
            for lr in _LRS:
                ok = _finite(stats.select(results, activation=act, lr=lr))
                if ok:
                    xs.append(lr)
                    ys.append(stats.mean_ci(stats.metric_values(ok, metric)).mean)
            if xs:
                ax.plot(xs, ys, style, color=color, label=f"{act}, {when}")
    for ax in (ax0, ax1):
        ax.set_xscale("log")
        ax.set_xlabel("learning rate (plain SGD)")
        ax.legend(fontsize=8)
    ax0.set_ylabel("fraction of hidden units dead on all training data")
    ax0.set_title("Dead units vs learning rate (non-diverged runs)")
    ax1.set_ylabel("fraction of hidden outputs exactly 0 (test set)")
    ax1.set_title("Exact zeros vs learning rate")
    return [save_figure(fig, out_dir, "q06_dying_relu.png")]


# --------------------------------------------------------------------------- claim 8: ELU vs ReLU

#: Target training loss for "epochs to reach" (chance is ln 10 = 2.30).
ELU_TARGET_LOSS = 0.2
#: Paired ELU - ReLU differences must be below 0 (closer to zero / fewer epochs).
ELU_DIFF = 0.0


def configs_elu(profile: str) -> list[TrainingConfig]:
    """ReLU and ELU at lr 0.1; the full profile trains on Fashion-MNIST (MNIST is fitted too fast to time)."""
    return [_training_config(profile, "fashion_mnist", activation=act) for act in ("relu", "elu")]


def _epochs_to_target(result: Result) -> float:
    """First epoch (1-based) whose training loss is <= the target; epochs + 1 if never (censored)."""
    curve = result["series"]["train_loss"]
    censored = result["config"]["epochs"] + 1
    return float(next((i + 1 for i, v in enumerate(curve) if v <= ELU_TARGET_LOSS), censored))


def verdict_elu(results: list[Result]) -> Verdict:
    relu = stats.select(results, activation="relu", lr=0.1)
    elu = stats.select(results, activation="elu", lr=0.1)
    mean_diff = stats.paired_diff(*_paired_finite(elu, relu, "abs_mean_activation"))
    ep_elu = [_epochs_to_target(r) for r in elu]
    ep_relu = [_epochs_to_target(r) for r in relu]
    ep_diff = stats.paired_diff(ep_elu, ep_relu)
    label = stats.combine([stats.decide(mean_diff, ELU_DIFF, "<"), stats.decide(ep_diff, ELU_DIFF, "<")])
    m_elu = stats.mean_ci(stats.metric_values(_finite(elu), "abs_mean_activation"))
    m_relu = stats.mean_ci(stats.metric_values(_finite(relu), "abs_mean_activation"))
    e_elu, e_relu = stats.mean_ci(ep_elu), stats.mean_ci(ep_relu)
    cap = elu[0]["config"]["epochs"]
    note_en, note_zh, note = data_note(results)
    en = (
        f"|mean activation| per layer after training: ELU {m_elu.fmt()} vs ReLU {m_relu.fmt()} "
        f"(paired difference {mean_diff.fmt()}); epochs to training loss <= {ELU_TARGET_LOSS:g} "
        f"(of {cap}; {cap + 1} = not reached): ELU {e_elu.fmt()} vs ReLU {e_relu.fmt()} "
        f"(paired difference {ep_diff.fmt()}; both claims need a difference < 0)." + note_en
    )
    zh = (
        f"训练后每层平均激活的绝对值:ELU {m_elu.fmt()},ReLU {m_relu.fmt()}(配对差 {mean_diff.fmt()});"
        f"训练损失降到 {ELU_TARGET_LOSS:g} 所需 epoch(共 {cap},{cap + 1} 表示未达到):ELU {e_elu.fmt()},"
        f"ReLU {e_relu.fmt()}(配对差 {ep_diff.fmt()};两项都需差 < 0)。" + note_zh
    )
    evidence = {"target_loss": ELU_TARGET_LOSS, "threshold_diff": ELU_DIFF, "abs_mean_diff": mean_diff.to_dict(),
                "epochs_diff": ep_diff.to_dict(), "elu_abs_mean": m_elu.to_dict(), "relu_abs_mean": m_relu.to_dict(),
                "elu_epochs": ep_elu, "relu_epochs": ep_relu, **note}
    return Verdict(label, en, zh, evidence)


def figure_elu(results: list[Result], out_dir: Path) -> list[Path]:
    plt = pyplot()
    fig, (ax0, ax1) = plt.subplots(1, 2, figsize=(11, 4))
    for act, color in (("relu", "tab:red"), ("elu", "tab:green")):
        arm = _finite(stats.select(results, activation=act, lr=0.1))
        for key, style, when in (("layer_mean_init", "--", "init"), ("layer_mean", "-o", "trained")):
            values = series_mean(arm, key)
            ax0.plot(range(1, len(values) + 1), values, style, color=color, label=f"{act}, {when}")
        for r in arm:
            curve = r["series"]["train_loss"]
            ax1.plot(range(1, len(curve) + 1), curve, color=color, alpha=0.5,
                     label=act if r is arm[0] else None)
    ax0.axhline(0, color="gray", lw=0.8)
    ax0.set_xlabel("hidden layer")
    ax0.set_ylabel("mean activation (training set)")
    ax0.set_title("Mean activation per layer")
    ax0.legend(fontsize=8)
    ax1.axhline(ELU_TARGET_LOSS, color="black", lw=0.8, ls="--", label="target")
    ax1.set_yscale("log")
    ax1.set_xlabel("epoch")
    ax1.set_ylabel("training loss")
    ax1.set_title("Training loss, one line per seed")
    ax1.legend()
    return [save_figure(fig, out_dir, "q06_elu_vs_relu.png")]


# =========================================================================== claim 7: Leaky ReLU's alpha


@dataclass(frozen=True)
class AlphaConfig:
    """Leaky ReLU on a grid for several alphas (claim 7)."""

    alphas: tuple[float, ...] = (0.01, 0.2, -0.01, -0.5)  # PyTorch's default, a large one, and two negatives
    points: int = 601  # grid on [-3, 3], step 0.01, including the kink at 0
    half_width: float = 3.0  # covers the inputs a standardised unit usually sees


def run_leaky_alpha(config: AlphaConfig, seed: int) -> dict[str, Any]:
    """Monotonicity and derivative sign changes of Leaky ReLU for positive and negative alpha."""
    x = torch.linspace(-config.half_width, config.half_width, config.points, dtype=torch.float64)
    metrics: dict[str, float] = {
        "default_negative_slope": float(inspect.signature(MF.leaky_relu).parameters["negative_slope"].default),
    }
    series: dict[str, list[float]] = {"x": x.tolist()}
    for alpha in config.alphas:
        xr = x.clone().requires_grad_(True)
        y = MF.leaky_relu(xr, negative_slope=alpha)
        (dy,) = torch.autograd.grad(y.sum(), xr)
        signs = torch.sign(dy[dy != 0])
        tag = f"{alpha:g}"
        metrics[f"monotone_{tag}"] = float(bool((y[1:] - y[:-1] >= 0).all()))
        metrics[f"derivative_sign_changes_{tag}"] = float((signs[1:] != signs[:-1]).sum())
        metrics[f"slope_negative_side_{tag}"] = float(dy[0])
        series[f"y_{tag}"] = y.detach().tolist()
    return {"metrics": metrics, "series": series}


def configs_leaky_alpha(profile: str) -> list[AlphaConfig]:
    return [AlphaConfig() if profile == "quick" else AlphaConfig(points=6001)]


#: The note's reading "alpha is a small negative number" holds if the
#: standard slope is negative; it fails if the standard slope is positive
#: (> 0) and a negative alpha makes the function non-monotone (>= 1 change of
#: the derivative's sign) -- no longer a rectifier.
ALPHA_SIGN_THRESHOLD = 0.0


def verdict_leaky_alpha(results: list[Result]) -> Verdict:
    default = stats.mean_ci(stats.metric_values(results, "default_negative_slope"))
    alphas = results[0]["config"]["alphas"]
    neg = [a for a in alphas if a < 0]
    pos = [a for a in alphas if a > 0]
    changes = {a: stats.mean_ci(stats.metric_values(results, f"derivative_sign_changes_{a:g}")) for a in alphas}
    monotone = {a: stats.mean_ci(stats.metric_values(results, f"monotone_{a:g}")) for a in alphas}
    default_positive = stats.decide(default, ALPHA_SIGN_THRESHOLD, ">") == "SUPPORTED"
    negative_breaks = all(changes[a].low >= 1 and monotone[a].high == 0 for a in neg)
    positive_monotone = all(changes[a].high == 0 and monotone[a].low == 1 for a in pos)
    if stats.decide(default, ALPHA_SIGN_THRESHOLD, "<") == "SUPPORTED":
        label = "SUPPORTED"
    elif default_positive and negative_breaks and positive_monotone:
        label = "REFUTED"
    else:
        label = "INCONCLUSIVE"
    desc = "; ".join(f"alpha={a:g}: monotone={monotone[a].mean:g}, derivative sign changes={changes[a].mean:g}"
                     for a in alphas)
    desc_zh = ";".join(f"α={a:g}:单调={monotone[a].mean:g},导数变号次数={changes[a].mean:g}" for a in alphas)
    reading = {
        "REFUTED": ("so 'alpha is a small negative value' is wrong: alpha is the small positive gradient on "
                    "negative inputs, and a negative alpha folds the function (non-monotone, V-shaped)",
                    "因此“α 是很小的负数”是错的:α 是负输入上很小的正梯度,负的 α 会使函数折返(非单调,呈 V 形)"),
        "SUPPORTED": ("so the standard slope is indeed negative", "因此标准斜率确实为负"),
        "INCONCLUSIVE": ("which does not settle the sign question", "不足以判定符号问题"),
    }[label]
    en = (f"The default negative-side slope (mustknow's leaky_relu; Maas et al. 2013) is alpha = {default.mean:g}; "
          f"{desc}; {reading[0]}.")
    zh = f"默认的负半轴斜率(mustknow 的 leaky_relu;Maas 等 2013)α = {default.mean:g};{desc_zh};{reading[1]}。"
    evidence = {"threshold": ALPHA_SIGN_THRESHOLD, "default_negative_slope": default.to_dict(),
                **{f"sign_changes_{a:g}": changes[a].to_dict() for a in alphas},
                **{f"monotone_{a:g}": monotone[a].to_dict() for a in alphas}}
    return Verdict(label, en, zh, evidence)


def figure_leaky_alpha(results: list[Result], out_dir: Path) -> list[Path]:
    plt = pyplot()
    r = results[0]
    fig, ax = plt.subplots(figsize=(6.5, 4))
    x = r["series"]["x"]
    for alpha in r["config"]["alphas"]:
        ax.plot(x, r["series"][f"y_{alpha:g}"], ls="-" if alpha > 0 else "--", label=f"alpha = {alpha:g}")
    ax.axhline(0, color="gray", lw=0.6)
    ax.axvline(0, color="gray", lw=0.6)
    ax.set_ylim(-1.0, 3.0)
    ax.set_xlabel("x")
    ax.set_ylabel("leaky_relu(x; alpha)")
    ax.set_title("Leaky ReLU: positive alpha leaks, negative alpha folds (non-monotone)")
    ax.legend()
    return [save_figure(fig, out_dir, "q06_leaky_alpha.png")]


# =========================================================================== claim 9: 30 layers without BN


@dataclass(frozen=True)
class DeepConfig:
    """A 30-layer MLP trained under a fixed budget (claim 9)."""

    activation: str = "relu"  # relu, elu, leaky_relu
    init: str = "default"  # PyTorch default (fan-in, small), Xavier (fan-avg, with gain), He (fan-in, gain)
    norm: str = "none"  # "none", or "batch" as the contrast
    depth: int = 30  # the note's "30 layers or more"
    width: int = 32  # small, to keep 30 layers affordable on a CPU
    epochs: int = 6  # the quick budget (~54 SGD steps); the full profile trains for 60 epochs
    batch_size: int = 128  # ~9 steps per epoch
    lr: float = 0.02  # SGD + momentum, as He et al. (2015) and Clevert et al. (2016) trained
    momentum: float = 0.9  # standard heavy-ball momentum


@dataclass(frozen=True)
class FullDeepConfig(FullData, DeepConfig):
    """A full-profile :class:`DeepConfig`: trained on MNIST (digits without its files)."""


#: "Does not converge" is read as He et al. (2015) saw it for 30 layers: the
#: training loss stalls at the chance level ln 10 = 2.30. A net counts as
#: converging when its training loss (whole training split, after the budget)
#: is below 2.0, i.e. it has clearly left that plateau.
CONVERGED_LOSS = 2.0
_DEEP_ACTS = ("relu", "elu", "leaky_relu")
_DEEP_INITS = ("default", "xavier", "kaiming")


def run_deep_net(config: DeepConfig, seed: int) -> dict[str, Any]:
    """Train a deep MLP under a fixed budget; record the final training loss and its curve."""
    seed_everything(seed)
    data = mlp_data(config)
    model = _mlp(config.activation, config.depth, config.width, config.init, norm=config.norm,
                 inputs=data.num_features)
    grad_ratio = _log10_ratios(model, data.train.x, data.train.y)[0]
    hist = fit(model, data.train, None,
               _sgd(config.lr, config.epochs, config.batch_size, momentum=config.momentum), seed=seed)
    final = evaluate(model, data.train)
    finite = math.isfinite(final["loss"])
    return {
        "metrics": {
            "final_train_loss": final["loss"] if finite else 1e9,  # divergence counts as not converged
            "final_train_acc": final["acc"] if finite else 0.0,
            "diverged": float(not finite),
            "log10_grad_ratio_init": grad_ratio,
        },
        "series": {"train_loss": [float(v) if math.isfinite(v) else 1e9 for v in hist.train_loss]},
    }


def configs_deep_net(profile: str) -> list[DeepConfig]:
    """The quick grid: ReLU and ELU x three inits, and ReLU + BN; the full grid adds Leaky ReLU and BN for all,
    on MNIST."""
    if profile == "quick":
        grid = [DeepConfig(activation=a, init=i) for a in ("relu", "elu") for i in _DEEP_INITS]
        return grid + [DeepConfig(activation="relu", norm="batch")]
    extra = {"width": 64, "epochs": 60, **data_fields("mnist", FULL_N_TRAIN)}
    grid = [FullDeepConfig(activation=a, init=i, **extra) for a in _DEEP_ACTS for i in _DEEP_INITS]
    return grid + [FullDeepConfig(activation=a, init="default", norm="batch", **extra) for a in _DEEP_ACTS]


def _cell(results: Sequence[Result]) -> tuple[str, stats.Interval]:
    iv = stats.mean_ci(stats.metric_values(results, "final_train_loss"))
    label = stats.decide(iv, CONVERGED_LOSS, "<")
    return {"SUPPORTED": "converged", "REFUTED": "failed"}.get(label, "undecided"), iv


def verdict_deep_net(results: list[Result]) -> Verdict:
    cells = {}
    for r in results:
        c = r["config"]
        cells.setdefault((c["activation"], c["init"], c["norm"]), []).append(r)
    states = {k: _cell(sorted(v, key=lambda r: r["seed"])) for k, v in cells.items()}
    agree, disagree, undecided = [], [], []
    for (act, init, norm), (state, _) in states.items():
        if norm != "none" or act not in ("relu", "elu"):
            continue
        expected = "failed" if act == "relu" else "converged"
        (undecided if state == "undecided" else agree if state == expected else disagree).append(f"{act}/{init}")
    if disagree and agree:
        label = "NUANCED"
    elif disagree:
        label = "REFUTED"
    elif undecided:
        label = "INCONCLUSIVE"
    else:
        label = "SUPPORTED"
    grid = "; ".join(f"{a}/{i}{'+BN' if n == 'batch' else ''}: {s} ({iv.fmt()})"
                     for (a, i, n), (s, iv) in sorted(states.items()))
    by_init = "; ".join(
        f"{i}: " + ", ".join(f"{a} {states[(a, i, 'none')][0]}" for a in _DEEP_ACTS if (a, i, "none") in states)
        for i in _DEEP_INITS
    )
    zh_state = {"converged": "收敛", "failed": "未收敛", "undecided": "未定"}
    grid_zh = ";".join(f"{a}/{i}{'+BN' if n == 'batch' else ''}:{zh_state[s]}({iv.fmt()})"
                       for (a, i, n), (s, iv) in sorted(states.items()))
    note_en, note_zh, note = data_note(results)
    by_init_zh = ";".join(
        f"{i}:" + ",".join(f"{a} {zh_state[states[(a, i, 'none')][0]]}" for a in _DEEP_ACTS if (a, i, "none") in states)
        for i in _DEEP_INITS
    )
    en = (
        f"30-layer MLPs, final training loss (converging = left the chance plateau, < {CONVERGED_LOSS:g}; "
        f"chance 2.30): {grid}. By init, without BN -- {by_init}. Cells that agree with the note (ReLU "
        f"fails, ELU converges): {', '.join(agree) or 'none'}; that contradict it: {', '.join(disagree) or 'none'}."
        + note_en
    )
    zh = (
        f"30 层 MLP 的最终训练损失(< {CONVERGED_LOSS:g} 即离开随机水平平台、记为收敛;随机水平 2.30):{grid_zh}。"
        f"无 BN 时按初始化:{by_init_zh}。与笔记一致的条件(ReLU 不收敛、ELU 收敛):{'、'.join(agree) or '无'};"
        f"与笔记相反的条件:{'、'.join(disagree) or '无'}。" + note_zh
    )
    evidence = {"threshold_loss": CONVERGED_LOSS,
                "cells": {f"{a}/{i}/{n}": {"state": s, **iv.to_dict()} for (a, i, n), (s, iv) in states.items()},
                "agree": agree, "disagree": disagree, "undecided": undecided, **note}
    return Verdict(label, en, zh, evidence)


def figure_deep_net(results: list[Result], out_dir: Path) -> list[Path]:
    plt = pyplot()
    columns = [(i, "none") for i in _DEEP_INITS] + [("default", "batch")]
    acts = [a for a in _DEEP_ACTS if stats.select(results, activation=a)]
    grid = torch.full((len(acts), len(columns)), float("nan"))
    for row, act in enumerate(acts):
        for col, (init, norm) in enumerate(columns):
            arm = stats.select(results, activation=act, init=init, norm=norm)
            if arm:
                grid[row, col] = stats.mean_ci(stats.metric_values(arm, "final_train_loss")).mean
    fig, (ax0, ax1) = plt.subplots(1, 2, figsize=(12, 4.2))
    image = ax0.imshow(grid.clamp(max=3.0).numpy(), cmap="RdYlGn_r", vmin=0, vmax=2.5)
    for row in range(grid.shape[0]):
        for col in range(grid.shape[1]):
            text = "not run" if math.isnan(grid[row, col]) else f"{grid[row, col]:.2f}"
            ax0.text(col, row, text, ha="center", va="center", fontsize=9)
    ax0.set_xticks(range(len(columns)), [f"{i}{' + BN' if n == 'batch' else ''}" for i, n in columns])
    ax0.set_yticks(range(len(acts)), acts)
    ax0.set_title(f"30-layer MLP: mean final training loss (left the plateau if < {CONVERGED_LOSS:g})",
                  fontsize=10)
    fig.colorbar(image, ax=ax0, shrink=0.8)
    for act, color in zip(_DEEP_ACTS, ("tab:red", "tab:green", "tab:blue")):
        for init, style in zip(_DEEP_INITS, ("-", "--", ":")):
            arm = stats.select(results, activation=act, init=init, norm="none")
            if arm:
                curve = series_mean(arm, "train_loss")
                ax1.plot(range(1, len(curve) + 1), curve, style, color=color, label=f"{act}/{init}")
    ax1.axhline(CONVERGED_LOSS, color="black", lw=0.8, ls="--")
    ax1.set_xlabel("epoch")
    ax1.set_ylabel("training loss (mean over seeds)")
    ax1.set_title("Training curves without BN")
    ax1.legend(fontsize=7, ncol=3)
    return [save_figure(fig, out_dir, "q06_deep_30_layers.png")]


# =========================================================================== the claims

_INIT_NOTE = (
    "Inits are mustknow.nn.make_mlp's: 'default' is PyTorch's U(-1/sqrt(fan_in), 1/sqrt(fan_in)) "
    "(variance 1/(3 fan_in)); 'xavier' is Glorot-uniform with the activation's gain (sqrt(2) for the ReLU "
    "family, so for square layers it has He's variance 2/fan_in); 'kaiming' is He-normal, fan-in mode."
)

_CLAIMS = (
    Claim(
        id="q06.sigmoid-vanishes-by-5-layers",
        question=6,
        section=_SECTION,
        note_zh="sigmoid 的软饱和使反向传播的梯度含有 f'(x) 因子而变得很小;一般来说,sigmoid 网络在 5 层之内就会产生梯度消失。",
        claim_en=(
            "In a sigmoid MLP of depth 5 (width 64 on digits quick / 128 on MNIST full), the first layer's "
            "weight-gradient norm is below "
            "1/100 of the output layer's, at initialisation and after some SGD training (1 / 10 epochs), under "
            "PyTorch's "
            "default init and under Xavier init; tanh, ReLU, Leaky ReLU and ELU are measured the same way "
            "at depths 2-10 for contrast. " + _INIT_NOTE
        ),
        claim_zh=(
            "5 层 sigmoid MLP(quick:宽 64,digits 数据;full:宽 128,MNIST 数据)中,第一层权重梯度范数小于输出层的 1/100:在初始化时和 SGD 训练(1/10 个 "
            "epoch)后、PyTorch 默认初始化和 Xavier 初始化下都成立;tanh、ReLU、Leaky ReLU、ELU 在深度 2-10 上同样测量作对照。"
        ),
        metric="log10(||dL/dW_1|| / ||dL/dW_head||) on 256 training rows (1079 full), depth 5",
        comparison="per (init, at init / after training): 95% interval of the mean over seeds vs the threshold",
        threshold=VANISH_LOG10_RATIO,
        experiment=run_gradient_depth,
        configs=configs_gradient_depth,
        verdict=verdict_gradient_depth,
        figure=figure_gradient_depth,
    ),
    Claim(
        id="q06.sigmoid-not-zero-centred-zigzag",
        question=6,
        section=_SECTION,
        note_zh="sigmoid 的输出不是零中心的:若神经元的输入总为正,则关于 w 的梯度要么全正要么全负,梯度下降出现 z 字形。",
        claim_en=(
            "In layers fed by sigmoid outputs, the incoming weight-gradient row of a neuron has one sign: "
            "exactly so for a single example (dL/dW_ij = delta_i x_j with x_j > 0), and, as tested, for "
            "minibatches of 32 the fraction of such neurons exceeds that in tanh-fed layers by more than 0.5 "
            "(paired by seed; depth-4 MLP, default init, layers 2-4 and the head; digits quick, MNIST full). "
            "A 2-weight linear toy with positive inputs shows the zig-zag path."
        ),
        claim_zh=(
            "以 sigmoid 输出为输入的层中,一个神经元的输入权重梯度同号:单个样本时必然如此(dL/dW_ij = delta_i x_j,x_j > 0);"
            "检验的是 32 个样本的小批量下,这类神经元的比例比以 tanh 输出为输入的层高出 0.5 以上(按种子配对;quick 用 digits,full 用 MNIST)。"
            "二维正输入线性玩具问题展示 z 字形路径。"
        ),
        metric="fraction of neurons whose minibatch weight-gradient row is all > 0 or all < 0",
        comparison="paired difference sigmoid-fed minus tanh-fed, 95% interval vs the threshold",
        threshold=SIGN_GAP,
        experiment=run_sign_agreement,
        configs=configs_sign_agreement,
        verdict=verdict_sign_agreement,
        figure=figure_sign_agreement,
        seeds={"quick": 5, "full": 10},
    ),
    Claim(
        id="q06.tanh-centred-but-saturates",
        question=6,
        section=_SECTION,
        note_zh="tanh 解决了 sigmoid 输出不是零中心的问题,但仍然存在饱和问题。",
        claim_en=(
            "In a 6-layer tanh MLP on digits (10 layers of 256 on MNIST in the full profile; Xavier init with "
            "tanh's gain, weights multiplied by 1, 2 or 4), "
            "the per-layer mean activation is within 0.1 of zero at every scale, and at the largest scale more "
            "than 10% of unit-inputs are saturated (tanh'(z) < 0.1); sigmoid is shown for contrast."
        ),
        claim_zh=(
            "digits 上的 6 层 tanh MLP(full 配置:MNIST 上 10 层、宽 256;Xavier 初始化,权重乘以 1、2 或 4)中,每层平均激活在各尺度下都在 0 的 0.1 以内;"
            "在最大尺度下超过 10% 的单元输入处于饱和(tanh'(z) < 0.1);sigmoid 作对照。"
        ),
        metric="mean over layers of |mean activation|; fraction of (unit, input) pairs with f'(z) < 0.1 max f'",
        comparison="95% intervals: |mean| < 0.1 at every scale, saturated fraction > 0.1 at scale 4",
        threshold="|mean| < 0.1 and saturated > 0.1",
        experiment=run_saturation,
        configs=configs_saturation,
        verdict=verdict_saturation,
        figure=figure_saturation,
    ),
    Claim(
        id="q06.relu-cheaper",
        question=6,
        section=_SECTION,
        note_zh="sigmoid 和 tanh 在求导时含有指数运算,而 ReLU 求导几乎不存在任何计算量。",
        claim_en=(
            "Forward plus backward of sigmoid and of tanh take longer than ReLU's on a 256 x 1024 float32 "
            "tensor: the median time ratio to ReLU (PyTorch's kernels, measured interleaved in the same run) "
            "is above 1. mustknow's own autograd Functions are timed the same way and reported. This is a "
            "measurement on a shared CPU, not a test assertion."
        ),
        claim_zh=(
            "在 256 x 1024 的 float32 张量上,sigmoid 和 tanh 的前向+反向比 ReLU 慢:相对 ReLU 的中位时间比(PyTorch 内核,"
            "同一次运行中交错测量)大于 1。mustknow 自己的 autograd Function 同样计时并报告。这是共享 CPU 上的测量,不是测试断言。"
        ),
        metric="median forward+backward time / ReLU's (same implementation, same run)",
        comparison="95% interval over seeds of the ratio vs 1, for sigmoid and tanh",
        threshold=TIMING_RATIO,
        experiment=run_timing,
        configs=configs_timing,
        verdict=verdict_timing,
        figure=figure_timing,
    ),
    Claim(
        id="q06.relu-sparse",
        question=6,
        section=_SECTION,
        note_zh="ReLU 具有稀疏激活性。",
        claim_en=(
            "After training (6-layer MLP, He init, plain SGD at lr 0.1 for a fixed number of epochs; digits quick, "
            "MNIST full), more than 25% "
            "of ReLU hidden outputs "
            "on the test set are exactly 0, while Leaky ReLU, ELU and tanh have fewer than 1% exact zeros."
        ),
        claim_zh=(
            "训练后(6 层 MLP,He 初始化,普通 SGD 学习率 0.1,固定 epoch 数;quick 用 digits,full 用 MNIST),测试集上超过 25% 的 ReLU 隐藏层输出恰为 0,"
            "而 Leaky ReLU、ELU、tanh 恰为 0 的比例低于 1%。"
        ),
        metric="fraction of hidden outputs exactly 0 (test set, mean over layers)",
        comparison="95% intervals: ReLU > 0.25; each contrast < 0.01",
        threshold=SPARSE_MIN_ZERO_FRACTION,
        experiment=run_training,
        configs=configs_sparsity,
        verdict=verdict_sparsity,
        figure=figure_sparsity,
    ),
    Claim(
        id="q06.dying-relu",
        question=6,
        section=_SECTION,
        note_zh="ReLU 单元比较脆弱并且可能“死掉”,而且是不可逆的;合理设置学习率会降低神经元“死掉”的概率。",
        claim_en=(
            "A ReLU unit is dead when its pre-activation is <= 0 on every training row. Tested: (a) the dead "
            "fraction after training (6-layer MLP, He init, plain SGD for a fixed number of epochs; digits quick, "
            "MNIST full) is higher at lr "
            "0.5 than at "
            "lr 0.01 by more than 0.05 (paired by seed); (b) dying is irreversible: of the units dead after "
            "epoch 1, fewer than 5% are alive at the end (pooled). Runs that diverge are left out and counted. "
            "Leaky ReLU and ELU (same definition, though they keep a gradient) are shown for contrast."
        ),
        claim_zh=(
            "ReLU 单元在所有训练样本上预激活都 <= 0 即为死亡。检验:(a)训练后(6 层 MLP,He 初始化,普通 SGD,固定 epoch 数;"
            "quick 用 digits,full 用 MNIST)"
            "学习率 0.5 时的死亡比例比 0.01 时高出 0.05 以上(按种子配对);(b)不可逆:第 1 个 epoch 后死亡的单元中,"
            "训练结束时复活的少于 5%(汇总)。发散的运行不计并单独计数。Leaky ReLU 与 ELU 作对照。"
        ),
        metric="fraction of dead hidden units; revived / dead-after-epoch-1 (pooled)",
        comparison="paired difference lr 0.5 - lr 0.01 vs 0.05; pooled revived fraction vs 0.05",
        threshold=f"gap > {DEAD_LR_GAP:g} and revived < {REVIVED_MAX_FRACTION:g}",
        experiment=run_training,
        configs=configs_dying,
        verdict=verdict_dying,
        figure=figure_dying,
        seeds={"quick": 5, "full": 10},
    ),
    Claim(
        id="q06.leaky-alpha-sign",
        question=6,
        section=_SECTION,
        note_zh="Leaky ReLU 中 α 是很小的负数梯度值,比如 0.01。",
        claim_en=(
            "Read literally, the note says Leaky ReLU's alpha is 'a small negative value' while giving 0.01 as "
            "the example. Tested: the standard negative-side slope (mustknow's and PyTorch's default, from "
            "Maas et al. 2013) is positive, and a negative alpha turns the function non-monotone (its "
            "derivative changes sign at 0), on a grid over [-3, 3]. The note's wording is refuted if so; the "
            "correct reading is 'a small positive gradient on negative inputs'."
        ),
        claim_zh=(
            "按字面读,笔记说 Leaky ReLU 的 α 是“很小的负数”,而例子却是 0.01。检验:标准的负半轴斜率(mustknow 与 PyTorch 的"
            "默认值,出自 Maas 等 2013)为正,而负的 α 会使函数在 [-3, 3] 上非单调(导数在 0 处变号)。若如此,笔记的措辞被否定;"
            "正确说法是“负输入上很小的正梯度”。"
        ),
        metric="default negative_slope; monotonicity and derivative sign changes for alpha in {0.01, 0.2, -0.01, -0.5}",
        comparison="default slope > 0 and every negative alpha non-monotone -> REFUTED; default < 0 -> SUPPORTED",
        threshold=ALPHA_SIGN_THRESHOLD,
        experiment=run_leaky_alpha,
        configs=configs_leaky_alpha,
        verdict=verdict_leaky_alpha,
        figure=figure_leaky_alpha,
    ),
    Claim(
        id="q06.elu-centred-faster",
        question=6,
        section=_SECTION,
        note_zh="ELU 的输出均值接近于零,所以收敛速度更快。",
        claim_en=(
            "In 6-layer MLPs (He init, plain SGD lr 0.1, batch 64, a fixed number of epochs; digits quick, "
            "Fashion-MNIST full), ELU's per-layer |mean "
            "activation| after "
            "training is smaller than ReLU's, and ELU reaches a training loss of 0.2 in fewer epochs (a run "
            "that never reaches it counts as epochs + 1); both as paired differences ELU - ReLU < 0 "
            "(Clevert, Unterthiner & Hochreiter 2016)."
        ),
        claim_zh=(
            "6 层 MLP(He 初始化,普通 SGD 学习率 0.1,批量 64,固定 epoch 数;quick 用 digits,"
            "full 用 Fashion-MNIST)中,训练后 ELU 每层平均激活的绝对值小于 ReLU,"
            "且 ELU 达到训练损失 0.2 所需的 epoch 更少(未达到记为 epoch 数 + 1);两者都以 ELU - ReLU 的配对差 < 0 检验"
            "(Clevert、Unterthiner、Hochreiter 2016)。"
        ),
        metric="mean over layers of |mean activation| (training set); epochs to training loss <= 0.2",
        comparison="paired differences ELU - ReLU, 95% intervals vs 0",
        threshold=ELU_DIFF,
        experiment=run_training,
        configs=configs_elu,
        verdict=verdict_elu,
        figure=figure_elu,
        seeds={"quick": 5, "full": 10},
    ),
    Claim(
        id="q06.thirty-layers-without-bn",
        question=6,
        section=_SECTION,
        note_zh=(
            "在 ImageNet 上,不加 Batch Normalization 30 层以上的 ReLU 网络会无法收敛,PReLU 网络在 MSRA 的 Fan-in(caffe)"
            "初始化下会发散,而 ELU 网络在 Fan-in/Fan-out 下都能收敛。"
        ),
        claim_en=(
            "Without BN, 30-layer ReLU MLPs (width 32 on digits quick / 64 on MNIST full, SGD + momentum 0.9, lr 0.02, "
            "a fixed "
            "budget of 6 / 60 epochs) "
            "stall at the chance-level training loss ln 10 = 2.30 (final loss >= 2.0) under every init, while "
            "ELU MLPs leave it (< 2.0) under every init; Leaky ReLU (full profile) and BN (contrast) are "
            "reported in the same grid. NUANCED when the outcome depends on the init rather than the "
            "activation. PReLU is not tested. " + _INIT_NOTE
        ),
        claim_zh=(
            "不加 BN 时,30 层 ReLU MLP(quick:宽 32,digits;full:宽 64,MNIST;"
            "SGD + 动量 0.9,学习率 0.02,固定预算 6/60 个 epoch)在任何初始化下训练损失都停在"
            "随机水平 ln 10 = 2.30 附近(最终损失 >= 2.0),而 ELU MLP 在任何初始化下都能离开该平台(< 2.0);Leaky ReLU"
            "(full 配置)与 BN(对照)列在同一表中。若结果取决于初始化而非激活函数,则为 NUANCED。未测试 PReLU。"
        ),
        metric="training loss on the whole training split after the budget",
        comparison="per (activation, init) cell: 95% interval vs 2.0; ReLU cells should fail, ELU cells converge",
        threshold=CONVERGED_LOSS,
        experiment=run_deep_net,
        configs=configs_deep_net,
        verdict=verdict_deep_net,
        figure=figure_deep_net,
    ),
)

QUESTION = Question(
    number=6,
    title_zh="详细比较sigmoid、relu、leaky-relu等激活函数?",
    title_en="Compare sigmoid, ReLU, Leaky ReLU and the other activation functions in detail.",
    answer_en=(
        "Sigmoid squashes to (0, 1) and its derivative is at most 1/4, so each sigmoid layer shrinks the "
        "back-propagated gradient; how fast depends on the initialisation as much as on the function. Its "
        "outputs are all positive, so for one example every incoming weight of a neuron gets a gradient of "
        "the same sign (zig-zag updates). tanh is zero-centred but saturates for large pre-activations. ReLU "
        "is cheap, passes gradients unchanged where active, gives exact zeros (sparse activations), and its "
        "units can die: a unit whose pre-activation is negative on every input gets no gradient for its "
        "incoming weights, though in a deeper layer it can come back when the layers below it change. "
        "Leaky ReLU's alpha is a small positive slope for negative inputs (0.01 by default; Maas, Hannun & Ng "
        "2013); a negative alpha would fold the function and make it non-monotone. ELU (Clevert, Unterthiner "
        "& Hochreiter 2016) has negative outputs that pull mean activations toward zero; its paper reports "
        "faster learning than ReLU, better generalisation than ReLU and Leaky ReLU for networks with more "
        "than 5 layers, that on CIFAR-100 ELU networks beat ReLU networks with batch normalization while BN "
        "does not improve ELU networks, and that on ImageNet ELU networks learn considerably faster than a "
        "ReLU network of the same architecture (arXiv:1511.07289, abstract). The note's sentence about "
        "30-layer networks is not a finding of that paper's abstract. The 30-layer result we could verify is "
        "He, Zhang, Ren & Sun 2015 ('Delving deep into rectifiers', arXiv:1502.01852): a 30-layer plain "
        "rectifier network initialised with Xavier's scheme stalls, while their variance-2/fan_in "
        "initialisation converges -- an effect of initialisation, not of BN or of the activation. We could not "
        "locate the source of the note's statements that PReLU nets diverge under Caffe's MSRA fan-in filler "
        "and that ELU nets converge under fan-in and fan-out; they are reported as unverified. Here the "
        "30-layer claim is tested with PyTorch's default init (a smaller variance than Xavier's, i.e. He et "
        "al.'s failing condition), Xavier and He init, without and with BN."
    ),
    answer_zh=(
        "sigmoid 把输入压到 (0, 1),导数至多 1/4,每层都会缩小反传的梯度,缩小多快与初始化的关系不亚于与函数本身的关系。"
        "其输出全为正,因此对单个样本,一个神经元所有输入权重的梯度同号(更新呈 z 字形)。tanh 是零中心的,但预激活较大时会饱和。"
        "ReLU 计算便宜,激活区梯度原样通过,输出恰为 0(稀疏激活),单元可能死亡——但较深层的死亡单元在下层变化后可以复活。"
        "Leaky ReLU 的 α 是负输入上很小的正斜率(默认 0.01;Maas、Hannun、Ng 2013);负的 α 会让函数折返、失去单调性。"
        "ELU(Clevert、Unterthiner、Hochreiter 2016)的负输出把平均激活拉向零;论文摘要报告:比 ReLU 学得更快,在超过 5 层的网络上"
        "泛化优于 ReLU 和 Leaky ReLU,在 CIFAR-100 上 ELU 网络胜过带 BN 的 ReLU 网络而 BN 不能改进 ELU 网络,在 ImageNet 上 ELU "
        "网络比同结构的 ReLU 网络学得快得多(arXiv:1511.07289)。笔记关于 30 层网络的那句话并不是该论文摘要中的结论。我们能核实的"
        "30 层结果来自 He、Zhang、Ren、Sun 2015(“Delving deep into rectifiers”,arXiv:1502.01852):用 Xavier 初始化的 30 层"
        "普通整流网络停滞不前,而他们方差为 2/fan_in 的初始化可以收敛——这是初始化的作用,与 BN 或激活函数无关。笔记中“PReLU 网络在 "
        "Caffe 的 MSRA fan-in 初始化下发散、ELU 网络在 fan-in/fan-out 下都能收敛”的出处未能找到,视为未核实。本项目用 PyTorch "
        "默认初始化(方差小于 Xavier,即 He 等人失败的条件)、Xavier 与 He 初始化,在有无 BN 的情况下检验 30 层的说法。"
    ),
    implemented_by=(
        "mustknow.functional.sigmoid",
        "mustknow.functional.tanh",
        "mustknow.functional.relu",
        "mustknow.functional.leaky_relu",
        "mustknow.functional.elu",
        "mustknow.nn.Sigmoid",
        "mustknow.nn.Tanh",
        "mustknow.nn.ReLU",
        "mustknow.nn.LeakyReLU",
        "mustknow.nn.ELU",
        "mustknow.nn.make_activation",
    ),
    note_figures=("activations",),
    claims=_CLAIMS,
    full_profile_en=(
        "The full profile runs 10 seeds per claim on public images where their files are there: MNIST for the "
        "gradient-flow claims (depths 2-10 at width 128, 10 epochs of SGD at batch 64; the sign agreement over 64 "
        "minibatches at width 128; saturation in 10 tanh/sigmoid layers of 256), for the 6-layer, width-128 "
        "MLPs trained 30 epochs behind the sparsity and dying-ReLU claims (which adds Leaky ReLU and ELU at "
        "every learning rate), and for the 30-layer grid (width 64, 60 epochs, with Leaky ReLU and BN for every "
        "activation); Fashion-MNIST for ELU's learning speed, because MNIST is fitted within an epoch or two and "
        f"every arm would tie. Each uses a stratified subset of {FULL_N_TRAIN} training images (split seed 0) as "
        "784 pixels standardised with the training split's mean and std, with MNIST's or Fashion-MNIST's "
        "official test set. Timing (101 interleaved repeats) and Leaky ReLU's alpha (a 6001-point grid) use no "
        "data. Without the files, the full configs name digits and train on the quick profile's split, so their "
        "results never mix with MNIST's."
    ),
    full_profile_zh=(
        "full 配置每个结论用 10 个种子,并在有数据文件时使用公开图像集:MNIST 用于梯度流相关结论(深度 2-10、宽 128、批量 64 的 "
        "SGD 训练 10 个 epoch;同号比例取 64 个小批量、宽 128;饱和实验为 10 层、宽 256 的 tanh/sigmoid 网络),用于稀疏性与"
        "死亡 ReLU 结论背后训练 30 个 epoch 的 6 层、宽 128 的 MLP(每个学习率都加上 Leaky ReLU 与 ELU),以及 30 层网格(宽 64、"
        "60 个 epoch,每种激活函数都加 BN 对照并加入 Leaky ReLU);ELU 的学习速度用 Fashion-MNIST,因为 MNIST 一两个 epoch 就能"
        f"拟合,各组会打平。每个数据集取分层抽样的 {FULL_N_TRAIN} 张训练图像(划分种子 0),784 个像素用训练集的均值和标准差标准化,"
        "测试集为官方测试集。计时(101 次交错重复)与 Leaky ReLU 的 α(6001 点网格)不用数据。没有数据文件时,full 配置写明 "
        "digits 并使用 quick 配置的划分,结果不会与 MNIST 的混在一起。"
    ),
)
