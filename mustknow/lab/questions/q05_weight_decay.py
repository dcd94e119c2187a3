r"""Question 5: weight decay and norm regularisation.

The note says weight decay is "the coefficient in front of the regulariser,
usually L2". Four claims test when that is exact and when it is not:

1. with plain SGD, with and without momentum, ``weight_decay=lambda`` and the
   explicit penalty ``lambda * l2_penalty`` (:math:`\tfrac{\lambda}{2}\lVert
   w\rVert^2`) give the same weight trajectory (float64), and a penalty
   written :math:`\lambda\lVert w\rVert^2` needs ``weight_decay=2 * lambda``;
2. the note's statement as a whole: true for SGD and for Adam's coupled
   ``weight_decay``, not for AdamW's decoupled decay (Loshchilov & Hutter 2019);
3. Adam with ``weight_decay`` (an L2 penalty) and AdamW (decoupled decay) give
   different trajectories and solutions; validation results over a grid of
   learning rates and decay strengths;
4. weight decay shrinks the weight norm and narrows the train/validation gap
   along a decay sweep.

PyTorch's update equations (learning rate :math:`\gamma`, decay :math:`\lambda`,
gradient :math:`g_t` of the data loss) are stated in the module docstring of
:mod:`mustknow.functional.regularization` and in this question's answer.

Experiments are pure: ``run(config, seed) -> {"metrics", "series"}``. The
digits split is fixed; seeds vary the initialisation and minibatch order.

The full profile trains claims 3 and 4 on Fashion-MNIST (Xiao et al. 2017,
arXiv:1708.07747) where its files are present, else on digits, and the config
names which (:func:`mustknow.data.available_image_dataset`): images flattened
and standardised by one mean and std
(:func:`mustknow.data.load_image_classification` with ``standardize=True``),
the split fixed by seed 0 as on digits. Fashion-MNIST rather than MNIST
because an MLP overfits it visibly, so the train/validation gap of claim 4 and
the validation differences of claim 3 have room to move. Claims 1 and 2 stay
on digits: they compare float64 trajectories of one optimiser written two
ways, an identity for which the data only supply gradients.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn

from ... import functional as MF
from ...data import available_image_dataset, load_dataset
from ...nn import make_mlp
from .. import stats
from ..claims import Claim, Question, Result, Verdict
from ..figures import pyplot, save_figure, series_mean
from ..train import TrainConfig, evaluate, fit, seed_everything
from ._images import FullData, data_fields, data_note, data_title, load_images

__all__ = ["QUESTION"]

_SECTION = "五、weight decay和范数正则有什么关系?"


def _flat(model: nn.Module) -> torch.Tensor:
    """All parameters as one detached vector."""
    return torch.cat([p.detach().reshape(-1) for p in model.parameters()])  # each (*) -> (numel,), then joined


# =========================================================================== claims 1-2: decay vs explicit L2


@dataclass(frozen=True)
class EquivalenceConfig:
    """One optimiser, several ways of writing the decay, the same init and minibatches (claims 1, 2)."""

    optimizer: str = "sgd"  # torch.optim class: "sgd", "adam" or "adamw"
    momentum: float = 0.0  # SGD only: 0 (plain) or 0.9 (heavy ball)
    lr: float = 0.05  # SGD rate that trains the MLP; Adam/AdamW configs use 1e-3
    weight_decay: float = 0.01  # lambda: large enough that the way it is applied shows in 30 steps
    width: int = 32  # one hidden layer, 2410 parameters
    steps: int = 30  # minibatch steps compared one by one: enough for every difference to show
    batch_size: int = 64  # ~17 steps per epoch on 1079 rows


#: Same trajectory: max |difference| over every parameter and step below this (float64 rounding
#: grows over 30 steps to ~1e-15; 1e-10 leaves five orders of margin and catches any real difference).
EQUAL_TOL = 1e-10
#: Different solution: final distance relative to the distance travelled from the initialisation above this.
DIFFER_MIN = 0.05

_VARIANTS = ("decay", "l2", "l2_sum", "decay2", "decoupled")


def _optimizer(config: EquivalenceConfig, params, weight_decay: float) -> torch.optim.Optimizer:
    if config.optimizer == "sgd":
        return torch.optim.SGD(params, lr=config.lr, momentum=config.momentum, weight_decay=weight_decay)
    cls = torch.optim.Adam if config.optimizer == "adam" else torch.optim.AdamW
    return cls(params, lr=config.lr, weight_decay=weight_decay)


def _trajectory(config: EquivalenceConfig, variant: str, state: dict[str, torch.Tensor],
                batches: list[tuple[torch.Tensor, torch.Tensor]]) -> torch.Tensor:
    r"""Parameter vectors after every step for one way of applying the decay :math:`\lambda`.

    ``decay``: the optimiser's ``weight_decay=lambda``. ``l2``: no decay, loss
    + lambda * l2_penalty (= lambda/2 ||w||^2). ``l2_sum``: loss + lambda ||w||^2
    (twice that). ``decay2``: ``weight_decay=2 * lambda``. ``decoupled``: no
    decay in the optimiser; :math:`w \leftarrow (1 - \gamma\lambda) w` after
    the gradient is computed and before the step (AdamW's order).
    """
    model = make_mlp(64, 10, depth=1, width=config.width).double()
    model.load_state_dict(state)
    params = list(model.parameters())
    lam = config.weight_decay
    opt = _optimizer(config, params, {"decay": lam, "decay2": 2 * lam}.get(variant, 0.0))
    coef = {"l2": lam, "l2_sum": 2 * lam}.get(variant, 0.0)  # lambda ||w||^2 = 2 lambda * l2_penalty
    path = [_flat(model)]
    for x, y in batches:
        loss = MF.cross_entropy(model(x), y)
        if coef:
            loss = loss + coef * MF.l2_penalty(params)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        if variant == "decoupled":
            with torch.no_grad():
                for p in params:
                    p.mul_(1.0 - config.lr * lam)
        opt.step()
        path.append(_flat(model))
    return torch.stack(path)  # (steps + 1, parameters)


def run_equivalence(config: EquivalenceConfig, seed: int) -> dict[str, Any]:
    """Max trajectory differences between weight_decay, explicit L2 penalties and decoupled decay."""
    data = load_dataset("digits", seed=0)
    seed_everything(seed)
    state = make_mlp(64, 10, depth=1, width=config.width).double().state_dict()
    gen = torch.Generator().manual_seed(seed)
    x, y = data.train.x.double(), data.train.y
    batches = []
    while len(batches) < config.steps:
        perm = torch.randperm(x.shape[0], generator=gen)
        for i in range(0, x.shape[0] - config.batch_size + 1, config.batch_size):
            idx = perm[i : i + config.batch_size]
            batches.append((x[idx], y[idx]))
    batches = batches[: config.steps]
    paths = {v: _trajectory(config, v, state, batches) for v in _VARIANTS}

    def max_diff(a: str, b: str) -> float:
        return float((paths[a] - paths[b]).abs().max())

    def rel_dist(a: str, b: str) -> float:
        moved = float((paths[b][-1] - paths[b][0]).norm())
        return float((paths[a][-1] - paths[b][-1]).norm()) / moved

    metrics = {
        "max_diff_decay_vs_l2": max_diff("decay", "l2"),
        "max_diff_decay2_vs_l2_sum": max_diff("decay2", "l2_sum"),
        "max_diff_decay_vs_l2_sum": max_diff("decay", "l2_sum"),
        "max_diff_decay_vs_decoupled": max_diff("decay", "decoupled"),
        "rel_dist_decay_vs_l2": rel_dist("decay", "l2"),
        "rel_dist_decay_vs_l2_sum": rel_dist("decay", "l2_sum"),
        "rel_dist_decay_vs_decoupled": rel_dist("decay", "decoupled"),
    }
    series = {
        f"dist_decay_vs_{v}": (paths["decay"] - paths[v]).norm(dim=1).tolist()  # (steps + 1, P) -> (steps + 1,)
        for v in ("l2", "l2_sum", "decoupled")
    }
    return {"metrics": metrics, "series": series}


#: The optimisers of claim 2, by (optimizer, momentum).
_OPTIMISERS = (("sgd", 0.0), ("sgd", 0.9), ("adam", 0.0), ("adamw", 0.0))


def _opt_name(optimizer: str, momentum: float) -> str:
    return f"SGD (momentum {momentum:g})" if optimizer == "sgd" else {"adam": "Adam", "adamw": "AdamW"}[optimizer]


def configs_equivalence(profile: str) -> list[EquivalenceConfig]:
    extra = {} if profile == "quick" else {"width": 128, "steps": 400}
    return [
        EquivalenceConfig(optimizer=opt, momentum=m, lr=0.05 if opt == "sgd" else 1e-3, **extra)
        for opt, m in _OPTIMISERS
    ]


def configs_sgd_equivalence(profile: str) -> list[EquivalenceConfig]:
    return [c for c in configs_equivalence(profile) if c.optimizer == "sgd"]


def verdict_sgd_equivalence(results: list[Result]) -> Verdict:
    parts_en, parts_zh, evidence = [], [], {"equal_tol": EQUAL_TOL}
    worst = 0.0
    for m, arm in stats.by_config([r for r in results if r["config"]["optimizer"] == "sgd"], "momentum").items():
        same = max(stats.metric_values(arm, "max_diff_decay_vs_l2"))
        rescaled = max(stats.metric_values(arm, "max_diff_decay2_vs_l2_sum"))
        wrong = stats.mean_ci(stats.metric_values(arm, "rel_dist_decay_vs_l2_sum"))
        worst = max(worst, same, rescaled)
        evidence[f"momentum_{m:g}"] = {"max_diff_decay_vs_l2": same, "max_diff_decay2_vs_l2_sum": rescaled,
                                       "rel_dist_decay_vs_l2_sum": wrong.to_dict()}
        parts_en.append(f"momentum {m:g}: max |diff| {same:.1e} (rescaled pair {rescaled:.1e}; weight_decay=lambda "
                        f"against lambda||w||^2 ends {wrong.fmt()} of the distance travelled apart)")
        parts_zh.append(f"动量 {m:g}:最大差 {same:.1e}(重新缩放后的一对 {rescaled:.1e};weight_decay=lambda 与 lambda||w||^2 "
                        f"的终点相距所走距离的 {wrong.fmt()})")
    label = "SUPPORTED" if worst < EQUAL_TOL else "REFUTED"
    evidence["worst_max_diff"] = worst
    en = (
        "Plain SGD in float64, weight_decay=lambda against the loss + lambda * l2_penalty (= lambda/2 ||w||^2): "
        + "; ".join(parts_en)
        + f" (equal below {EQUAL_TOL:g}); a penalty written lambda||w||^2 needs weight_decay=2*lambda."
    )
    zh = (
        "float64 下的普通 SGD,weight_decay=lambda 与损失 + lambda * l2_penalty(= lambda/2 ||w||^2)比较:"
        + ";".join(parts_zh) + f"(低于 {EQUAL_TOL:g} 视为相同);写成 lambda||w||^2 的罚项需要 weight_decay=2*lambda。"
    )
    return Verdict(label, en, zh, evidence)


def verdict_note(results: list[Result]) -> Verdict:
    evidence: dict[str, Any] = {"equal_tol": EQUAL_TOL, "differ_min": DIFFER_MIN}
    labels, parts_en, parts_zh = [], [], []
    for opt, m in _OPTIMISERS:
        arm = stats.select(results, optimizer=opt, momentum=m)
        same = max(stats.metric_values(arm, "max_diff_decay_vs_l2"))
        rel = stats.mean_ci(stats.metric_values(arm, "rel_dist_decay_vs_l2"))
        if same < EQUAL_TOL:
            labels.append("SUPPORTED")
        else:
            labels.append("REFUTED" if rel.low > DIFFER_MIN else "INCONCLUSIVE")
        evidence[_opt_name(opt, m)] = {"max_diff_decay_vs_l2": same, "rel_dist_decay_vs_l2": rel.to_dict(),
                                       "label": labels[-1]}
        parts_en.append(f"{_opt_name(opt, m)}: max |diff| {same:.1e}, final distance {rel.fmt()}")
        parts_zh.append(f"{_opt_name(opt, m)}:最大差 {same:.1e},终点相对距离 {rel.fmt()}")
    adamw = stats.select(results, optimizer="adamw")
    manual = max(stats.metric_values(adamw, "max_diff_decay_vs_decoupled"))
    evidence["adamw_vs_decay_before_adam_step_max_diff"] = manual
    label = stats.combine(labels)
    en = (
        "weight_decay=lambda against an explicit lambda * l2_penalty with the same optimiser -- "
        + "; ".join(parts_en)
        + f" (same below {EQUAL_TOL:g}, different above {DIFFER_MIN:g}): the decay is the L2 coefficient for SGD and "
        f"for Adam's coupled weight_decay, but not for AdamW, which equals w <- (1 - lr*lambda) w before a plain Adam "
        f"step (max |diff| {manual:.1e})."
    )
    zh = (
        "同一优化器下 weight_decay=lambda 与显式 lambda * l2_penalty 比较:" + ";".join(parts_zh)
        + f"(低于 {EQUAL_TOL:g} 为相同,高于 {DIFFER_MIN:g} 为不同):对 SGD 和 Adam 的耦合 weight_decay,衰减系数就是 L2 "
        f"系数;对 AdamW 则不是——AdamW 等于在普通 Adam 步之前做 w <- (1 - lr*lambda) w(最大差 {manual:.1e})。"
    )
    return Verdict(label, en, zh, evidence)


def figure_equivalence(results: list[Result], out_dir: Path) -> list[Path]:
    plt = pyplot()
    fig, axes = plt.subplots(1, len(_OPTIMISERS), figsize=(4 * len(_OPTIMISERS), 4.2), sharey=True)
    floor = 1e-18  # exact agreement drawn at the floor of the log axis
    for ax, (opt, m) in zip(axes, _OPTIMISERS):
        arm = stats.select(results, optimizer=opt, momentum=m)
        if not arm:
            ax.set_visible(False)
            continue
        for key, name, colour in (("dist_decay_vs_l2", "vs lambda * l2_penalty", "C0"),
                                  ("dist_decay_vs_l2_sum", "vs lambda ||w||^2", "C1"),
                                  ("dist_decay_vs_decoupled", "vs decay before step", "C2")):
            mean = [max(v, floor) for v in series_mean(arm, key)]
            ax.plot(range(len(mean)), mean, color=colour, label=name)
        ax.set_yscale("log")
        ax.set_xlabel("step")
        ax.set_title(f"{_opt_name(opt, m)}, weight_decay={arm[0]['config']['weight_decay']:g}")
    axes[0].set_ylabel("||theta_weight_decay - theta_variant|| (float64)")
    axes[0].legend(fontsize=8)
    fig.suptitle(f"Is weight_decay the L2 coefficient? Distance between trajectories (floor {floor:g} = identical)")
    return [save_figure(fig, out_dir, "q05_decay_vs_l2.png")]


# =========================================================================== claim 3: Adam vs AdamW


@dataclass(frozen=True)
class GridConfig:
    """Adam with weight_decay (coupled L2) vs AdamW (decoupled) over a grid of lr x decay (claim 3)."""

    lrs: tuple[float, ...] = (3e-3, 1e-2)  # rates at which Adam fits digits within the budget
    decays: tuple[float, ...] = (1e-2, 1e-1)  # AdamW's PyTorch default and ten times it
    width: int = 64  # one hidden layer
    epochs: int = 8  # 72 steps: both optimisers reach ~95% validation accuracy at the better rate
    batch_size: int | None = 128  # minibatches in the same order for both optimisers (same seed)


@dataclass(frozen=True)
class FullGridConfig(FullData, GridConfig):
    """A full-profile :class:`GridConfig` that names its data set (Fashion-MNIST, or digits without its files)."""


#: Training images of the full grid on Fashion-MNIST: 157 minibatches of 64 per epoch, so 32 runs of
#: 20 epochs stay within minutes on one CPU thread.
FULL_GRID_N_TRAIN = 10_000

def _cell(lr: float, decay: float) -> str:
    return f"lr{lr:g}_wd{decay:g}"


def run_adam_adamw(config: GridConfig, seed: int) -> dict[str, Any]:
    """Validation results and final-weight distance of Adam(weight_decay) and AdamW at each (lr, decay).

    Quick configs train on digits; a :class:`FullGridConfig` on its own data set.
    """
    if isinstance(config, FullGridConfig):
        data = load_images(config.dataset, config.n_train, standardize=True, flatten=True)
    else:
        data = load_dataset("digits", seed=0)
    metrics: dict[str, float] = {}
    series: dict[str, list[float]] = {}
    for lr in config.lrs:
        for decay in config.decays:
            finals, snaps = {}, {}
            for opt in ("adam", "adamw"):
                seed_everything(seed)
                model = make_mlp(data.train.x.shape[1], 10, depth=1, width=config.width)
                start = _flat(model)
                snaps[opt] = [start]
                cfg = TrainConfig(optimizer=opt, lr=lr, weight_decay=decay, epochs=config.epochs,
                                  batch_size=config.batch_size)
                fit(model, data.train, None, cfg, seed=seed, on_epoch=lambda e, m, h, s=snaps[opt]: s.append(_flat(m)))
                key = f"{opt}_{_cell(lr, decay)}"
                val = evaluate(model, data.val)
                metrics[f"val_loss_{key}"] = val["loss"]
                metrics[f"val_acc_{key}"] = val["acc"]
                metrics[f"train_loss_{key}"] = evaluate(model, data.train)["loss"]
                metrics[f"weight_norm_{key}"] = float(_flat(model).norm())
                finals[opt] = _flat(model)
            moved = float((finals["adamw"] - start).norm())
            metrics[f"rel_dist_{_cell(lr, decay)}"] = float((finals["adam"] - finals["adamw"]).norm()) / moved
            series[f"dist_{_cell(lr, decay)}"] = [
                float((a - b).norm()) for a, b in zip(snaps["adam"], snaps["adamw"])  # per epoch
            ]
    return {"metrics": metrics, "series": series}


def configs_adam_adamw(profile: str) -> list[GridConfig]:
    if profile == "quick":
        return [GridConfig()]
    data = data_fields("fashion_mnist", FULL_GRID_N_TRAIN)
    epochs = 60 if data["dataset"] == "digits" else 20  # ~1000 minibatch steps on digits, ~3100 on Fashion-MNIST
    return [FullGridConfig(lrs=(3e-4, 1e-3, 3e-3, 1e-2), decays=(1e-3, 1e-2, 1e-1, 1.0), width=128, epochs=epochs,
                           batch_size=64, **data)]


def _best(results: list[Result], opt: str) -> tuple[list[float], str]:
    """The grid cell with the lowest mean validation loss for ``opt``, and its per-seed validation losses."""
    cfg = results[0]["config"]
    cells = [_cell(lr, d) for lr in cfg["lrs"] for d in cfg["decays"]]
    best = min(cells, key=lambda c: statistics.fmean(stats.metric_values(results, f"val_loss_{opt}_{c}")))
    return stats.metric_values(results, f"val_loss_{opt}_{best}"), best


def verdict_adam_adamw(results: list[Result]) -> Verdict:
    cfg = results[0]["config"]
    cells = [_cell(lr, d) for lr in cfg["lrs"] for d in cfg["decays"]]
    rel = {c: stats.mean_ci(stats.metric_values(results, f"rel_dist_{c}")) for c in cells}
    labels = [stats.decide(iv, DIFFER_MIN, ">") for iv in rel.values()]
    label = "SUPPORTED" if all(lab == "SUPPORTED" for lab in labels) else (
        "REFUTED" if all(lab == "REFUTED" for lab in labels) else "INCONCLUSIVE")
    adam_best, adam_cell = _best(results, "adam")
    adamw_best, adamw_cell = _best(results, "adamw")
    diff = stats.paired_diff(adam_best, adamw_best)
    acc = {o: stats.mean_ci(stats.metric_values(results, f"val_acc_{o}_{c}"))
           for o, c in (("adam", adam_cell), ("adamw", adamw_cell))}
    smallest = min(rel, key=lambda c: rel[c].mean)
    evidence = {
        "threshold_rel_dist": DIFFER_MIN, **{f"rel_dist_{c}": iv.to_dict() for c, iv in rel.items()},
        "best_cell_adam": adam_cell, "best_cell_adamw": adamw_cell,
        "best_val_loss_adam_minus_adamw": diff.to_dict(),
        "best_val_acc_adam": acc["adam"].to_dict(), "best_val_acc_adamw": acc["adamw"].to_dict(),
    }
    note_en, note_zh, note_ev = data_note(results)
    evidence.update(note_ev)
    en = (
        f"At the same lr and lambda, Adam(weight_decay) and AdamW end apart by at least {rel[smallest].fmt()} of "
        f"AdamW's distance travelled ({smallest}; threshold > {DIFFER_MIN:g}, every cell of the "
        f"{len(cfg['lrs'])}x{len(cfg['decays'])} grid); the best cells by validation loss are {adam_cell} for Adam "
        f"(accuracy {acc['adam'].fmt()}) and {adamw_cell} for AdamW (accuracy {acc['adamw'].fmt()}), best validation "
        f"loss Adam minus AdamW {diff.fmt()} (paired).{note_en}"
    )
    zh = (
        f"相同学习率与 lambda 下,Adam(weight_decay) 与 AdamW 的终点至少相距 AdamW 所走距离的 {rel[smallest].fmt()}"
        f"({smallest};阈值 > {DIFFER_MIN:g},{len(cfg['lrs'])}x{len(cfg['decays'])} 网格的每一格);按验证损失最好的格子:"
        f"Adam 为 {adam_cell}(准确率 {acc['adam'].fmt()}),AdamW 为 {adamw_cell}(准确率 {acc['adamw'].fmt()}),"
        f"最佳验证损失 Adam 减 AdamW 为 {diff.fmt()}(配对)。{note_zh}"
    )
    return Verdict(label, en, zh, evidence)


def figure_adam_adamw(results: list[Result], out_dir: Path) -> list[Path]:
    plt = pyplot()
    cfg = results[0]["config"]
    lrs, decays = cfg["lrs"], cfg["decays"]
    fig, axes = plt.subplots(1, 3, figsize=(15, 4.4))
    ax = axes[0]
    for i, lr in enumerate(lrs):
        for j, d in enumerate(decays):
            mean = series_mean(results, f"dist_{_cell(lr, d)}")
            ax.plot(range(len(mean)), mean, color=f"C{i}", linestyle=("-", "--", ":", "-.")[j % 4],
                    label=f"lr={lr:g}, lambda={d:g}")
    ax.set_xlabel("epoch")
    ax.set_ylabel("||theta_Adam - theta_AdamW||")
    ax.set_title("Trajectory distance, same init and data")
    ax.legend(fontsize=8)
    grids = {
        opt: [[statistics.fmean(stats.metric_values(results, f"val_loss_{opt}_{_cell(lr, d)}")) for d in decays]
              for lr in lrs]
        for opt in ("adam", "adamw")
    }
    low = min(min(row) for g in grids.values() for row in g)
    high = max(max(row) for g in grids.values() for row in g)
    for ax, (opt, grid) in zip(axes[1:], grids.items()):
        im = ax.imshow(grid, cmap="viridis_r", aspect="auto", vmin=low, vmax=high)  # one scale for both panels
        for i in range(len(lrs)):
            for j in range(len(decays)):
                ax.text(j, i, f"{grid[i][j]:.3f}", ha="center", va="center", fontsize=9,
                        bbox={"facecolor": "white", "alpha": 0.8, "edgecolor": "none"})
        ax.set_xticks(range(len(decays)))
        ax.set_xticklabels([f"{d:g}" for d in decays])
        ax.set_yticks(range(len(lrs)))
        ax.set_yticklabels([f"{lr:g}" for lr in lrs])
        ax.set_xlabel("weight_decay lambda")
        ax.set_ylabel("learning rate")
        ax.set_title(f"{'Adam (coupled L2)' if opt == 'adam' else 'AdamW (decoupled)'}: validation loss")
        fig.colorbar(im, ax=ax)
    name = data_title(results)
    fig.suptitle(f"Adam's weight_decay vs AdamW (Loshchilov & Hutter 2019), {name} MLP, mean over seeds")
    return [save_figure(fig, out_dir, "q05_adam_vs_adamw.png")]


# =========================================================================== claim 4: decay sweep


@dataclass(frozen=True)
class SweepConfig:
    """Weight norm and train/validation gap of an MLP on a small digits training set along a decay sweep (claim 4)."""

    decays: tuple[float, ...] = (0.0, 1e-4, 1e-3, 3e-3, 1e-2, 3e-2)  # off, then four decades up to strong
    n_train: int = 300  # a small training set so the unregularised net overfits
    width: int = 128  # more parameters than training rows
    lr: float = 0.1  # SGD with momentum: weight_decay is exactly the L2 coefficient here (claim 1)
    momentum: float = 0.9  # heavy ball: converges in the budget
    epochs: int = 60  # full-batch steps: training accuracy reaches 100% without decay
    batch_size: int | None = None  # full batch


@dataclass(frozen=True)
class FullSweepConfig(SweepConfig):
    """A full-profile :class:`SweepConfig` that names its data set (Fashion-MNIST, or digits without its files)."""

    dataset: str = "digits"  # what available_image_dataset("fashion_mnist") gave; see _images.load_images


#: Training images of the full sweep on Fashion-MNIST: few enough that a 784-256-10 MLP (200k weights)
#: overfits them, while the 12000 validation images measure the gap precisely.
FULL_SWEEP_N_TRAIN = 1000

#: The largest decay must shrink the weight norm to below this fraction of the undecayed one ...
NORM_RATIO_MAX = 0.8
#: ... and the gap (validation loss - training loss) at the largest decay minus the gap without decay
#: must be below this (a narrower gap).
GAP_DIFF_MAX = 0.0


def run_decay_sweep(config: SweepConfig, seed: int) -> dict[str, Any]:
    """Weight norm, training and validation loss and accuracy at each weight decay.

    Quick configs train on ``n_train`` digits; a :class:`FullSweepConfig` on its own data set.
    """
    if isinstance(config, FullSweepConfig):
        data = load_images(config.dataset, config.n_train, standardize=True, flatten=True)
    else:
        data = load_dataset("digits", seed=0, n_train=config.n_train)
    metrics: dict[str, float] = {}
    series: dict[str, list[float]] = {k: [] for k in ("weight_norm", "train_loss", "val_loss", "train_acc", "val_acc")}
    for decay in config.decays:
        seed_everything(seed)
        model = make_mlp(data.train.x.shape[1], 10, depth=1, width=config.width)
        cfg = TrainConfig(optimizer="sgd", lr=config.lr, momentum=config.momentum, weight_decay=decay,
                          decay_groups=True, epochs=config.epochs, batch_size=config.batch_size)
        fit(model, data.train, None, cfg, seed=seed)
        train, val = evaluate(model, data.train), evaluate(model, data.val)
        norm = math.sqrt(sum(float(p.detach().square().sum()) for p in model.parameters() if p.dim() >= 2))
        for name, value in (("weight_norm", norm), ("train_loss", train["loss"]), ("val_loss", val["loss"]),
                            ("train_acc", train["acc"]), ("val_acc", val["acc"])):
            series[name].append(value)
            metrics[f"{name}_wd{decay:g}"] = value
        metrics[f"gap_wd{decay:g}"] = val["loss"] - train["loss"]
    series["decays"] = list(config.decays)
    series["gap"] = [v - t for v, t in zip(series["val_loss"], series["train_loss"])]
    return {"metrics": metrics, "series": series}


def configs_decay_sweep(profile: str) -> list[SweepConfig]:
    if profile == "quick":
        return [SweepConfig()]
    dataset = available_image_dataset("fashion_mnist")
    n_train = SweepConfig.n_train if dataset == "digits" else FULL_SWEEP_N_TRAIN
    return [FullSweepConfig(decays=(0.0, 1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 1e-1), width=256, epochs=300,
                            n_train=n_train, dataset=dataset)]


def verdict_decay_sweep(results: list[Result]) -> Verdict:
    decays = results[0]["config"]["decays"]
    top = max(decays)
    ratio = stats.mean_ci([a / b for a, b in zip(stats.metric_values(results, f"weight_norm_wd{top:g}"),
                                                  stats.metric_values(results, "weight_norm_wd0"))])
    gap = stats.paired_diff(stats.metric_values(results, f"gap_wd{top:g}"), stats.metric_values(results, "gap_wd0"))
    gap0 = stats.mean_ci(stats.metric_values(results, "gap_wd0"))
    val = {d: statistics.fmean(stats.metric_values(results, f"val_loss_wd{d:g}")) for d in decays}
    best = min(val, key=val.get)
    best_diff = stats.paired_diff(stats.metric_values(results, f"val_loss_wd{best:g}"),
                                  stats.metric_values(results, "val_loss_wd0"))
    label = stats.combine([stats.decide(ratio, NORM_RATIO_MAX, "<"), stats.decide(gap, GAP_DIFF_MAX, "<")])
    evidence = {
        "threshold_norm_ratio": NORM_RATIO_MAX, "threshold_gap_diff": GAP_DIFF_MAX, "largest_decay": top,
        "norm_ratio": ratio.to_dict(), "gap_diff": gap.to_dict(), "gap_wd0": gap0.to_dict(),
        "best_decay_by_val_loss": best, "val_loss_best_minus_wd0": best_diff.to_dict(),
    }
    note_en, note_zh, note_ev = data_note(results)
    evidence.update(note_ev)
    rows = "digits" if not note_ev else "images"
    en = (
        f"Along weight_decay 0 to {top:g} (SGD, {results[0]['config']['n_train']} training {rows}), the weight norm "
        f"at {top:g} is {ratio.fmt()} of the undecayed one (threshold < {NORM_RATIO_MAX:g}) and the validation-minus-"
        f"training loss gap changes by {gap.fmt()} from {gap0.fmt()} (threshold < {GAP_DIFF_MAX:g}); the best decay "
        f"by validation loss is {best:g}, changing it by {best_diff.fmt()}.{note_en}"
    )
    zh = (
        f"weight_decay 从 0 到 {top:g}(SGD,{results[0]['config']['n_train']} 个训练样本)时,{top:g} 处的权重范数为无衰减时的 "
        f"{ratio.fmt()}(阈值 < {NORM_RATIO_MAX:g}),验证损失与训练损失之差从 {gap0.fmt()} 变化 {gap.fmt()}(阈值 < "
        f"{GAP_DIFF_MAX:g});按验证损失最好的衰减为 {best:g},使验证损失变化 {best_diff.fmt()}。{note_zh}"
    )
    return Verdict(label, en, zh, evidence)


def figure_decay_sweep(results: list[Result], out_dir: Path) -> list[Path]:
    plt = pyplot()
    decays = results[0]["series"]["decays"]
    floor = min(d for d in decays if d > 0) / 10
    xs = [d if d > 0 else floor for d in decays]  # 0 drawn one decade below the smallest decay
    fig, axes = plt.subplots(1, 3, figsize=(15, 4.4))
    for ax, keys, ylabel in ((axes[0], ("weight_norm",), "weight norm ||W||"),
                             (axes[1], ("train_loss", "val_loss"), "loss"),
                             (axes[2], ("train_acc", "val_acc"), "accuracy")):
        for i, key in enumerate(keys):
            for r in results:
                ax.plot(xs, r["series"][key], color=f"C{i}", alpha=0.25)
            ax.plot(xs, series_mean(results, key), color=f"C{i}", marker="o", linewidth=2, label=key.replace("_", " "))
        ax.set_xscale("log")
        ax.set_xlabel(f"weight_decay (0 drawn at {floor:g})")
        ax.set_ylabel(ylabel)
        ax.legend()
    axes[0].set_title("Weight norm")
    axes[1].set_title("Train and validation loss: the gap")
    axes[2].set_title("Train and validation accuracy")
    name = data_title(results)
    fig.suptitle(f"Weight-decay sweep, SGD + momentum, {results[0]['config']['n_train']} training images ({name})")
    return [save_figure(fig, out_dir, "q05_decay_sweep.png")]


# =========================================================================== records


_CLAIMS = (
    Claim(
        id="q05.sgd-decay-equals-l2",
        question=5,
        section=_SECTION,
        note_zh="weight decay 是放在正则项前面的一个系数,一般用 L2 正则化。",
        claim_en=(
            "With torch.optim.SGD, without and with momentum 0.9, weight_decay=lambda and an explicit penalty "
            "lambda * l2_penalty(w) = lambda/2 ||w||^2 on every parameter give the same weight trajectory: over 30 "
            "minibatch steps of a digits MLP in float64 the max |difference| of any parameter at any step is below "
            "1e-10; a penalty written lambda ||w||^2 matches weight_decay=2 * lambda (and not weight_decay=lambda)."
        ),
        claim_zh=(
            "torch.optim.SGD 在无动量与动量 0.9 时,weight_decay=lambda 与对所有参数的显式罚项 lambda * l2_penalty(w) = "
            "lambda/2 ||w||^2 给出相同的权重轨迹:digits MLP 在 float64 下 30 个小批量步中,任一参数在任一步的最大差低于 "
            "1e-10;写成 lambda ||w||^2 的罚项对应 weight_decay=2 * lambda(而不是 weight_decay=lambda)。"
        ),
        metric="max |theta_weight_decay - theta_penalty| over parameters and steps (float64)",
        comparison="maximum over seeds and momenta vs the tolerance",
        threshold=EQUAL_TOL,
        experiment=run_equivalence,
        configs=configs_sgd_equivalence,
        verdict=verdict_sgd_equivalence,
        figure=figure_equivalence,
    ),
    Claim(
        id="q05.decay-is-l2-coefficient",
        question=5,
        section=_SECTION,
        note_zh="weight decay 特指神经网络的正则化,是放在正则项前的一个系数,用来调节模型复杂度对损失函数的影响;一般用 L2 正则化。",
        claim_en=(
            "The note's statement, 'weight decay is the coefficient of the L2 term', tested per optimiser: "
            "weight_decay=lambda gives the same trajectory as loss + lambda * l2_penalty (max |diff| < 1e-10, "
            "float64, 30 steps) for SGD (momentum 0 and 0.9), Adam and AdamW. NUANCED when it holds for some "
            "optimisers and the final weights differ by more than 5% of the distance travelled for others."
        ),
        claim_zh=(
            "笔记的说法“weight decay 是 L2 项的系数”按优化器逐一检验:对 SGD(动量 0 与 0.9)、Adam、AdamW,weight_decay=lambda "
            "是否与损失 + lambda * l2_penalty 给出相同轨迹(最大差 < 1e-10,float64,30 步)。若对部分优化器成立、"
            "而对其他优化器终点权重相差超过所走距离的 5%,则为 NUANCED。"
        ),
        metric="max |difference| of trajectories; final distance relative to the distance travelled",
        comparison=(
            f"per optimiser: the same when the maximum difference is below {EQUAL_TOL:g}, different when the "
            f"95% interval of the relative final distance lies above {DIFFER_MIN:g}"
        ),
        threshold=f"same < {EQUAL_TOL:g}, different > {DIFFER_MIN:g}",
        experiment=run_equivalence,
        configs=configs_equivalence,
        verdict=verdict_note,
        figure=figure_equivalence,
    ),
    Claim(
        id="q05.adam-l2-vs-adamw",
        question=5,
        section=_SECTION,
        note_zh="weight decay 的作用就是调节模型复杂度对损失函数的影响,一般用 l2 正则化。",
        claim_en=(
            "Adam with weight_decay (an L2 penalty coupled through the adaptive scaling) and AdamW (decoupled decay; "
            "Loshchilov & Hutter 2019) trained from the same init on the same digits minibatches (Fashion-MNIST in "
            "the full profile) end at "
            "different "
            "weights: at every cell of the lr x lambda grid the distance between their final weights exceeds 5% of "
            "the distance AdamW travelled. Validation loss and accuracy over the grid, and the best cell of each, "
            "are reported with paired intervals."
        ),
        claim_zh=(
            "带 weight_decay 的 Adam(通过自适应缩放耦合的 L2 罚项)与 AdamW(解耦的衰减;Loshchilov 与 Hutter 2019)从相同初始化、"
            "在相同的 digits 小批量(full 配置为 Fashion-MNIST)上训练,终点不同:在学习率 x lambda 网格的每一格,两者终点权重的距离超过 AdamW 所走距离的 5%。"
            "网格上的验证损失与准确率以及各自最好的格子以配对区间报告。"
        ),
        metric="||theta_Adam - theta_AdamW|| / ||theta_AdamW - theta_0|| at the end; validation loss per cell",
        comparison="95% interval per grid cell vs the threshold; best cells compared paired",
        threshold=DIFFER_MIN,
        experiment=run_adam_adamw,
        configs=configs_adam_adamw,
        verdict=verdict_adam_adamw,
        figure=figure_adam_adamw,
        seeds={"quick": 5, "full": 10},
    ),
    Claim(
        id="q05.decay-shrinks-norm-and-gap",
        question=5,
        section=_SECTION,
        note_zh="正则项表示模型的复杂度,weight decay 的作用就是调节模型复杂度对损失函数的影响。",
        claim_en=(
            "Along a sweep of weight_decay (0, 1e-4, 1e-3, 3e-3, 1e-2, 3e-2; SGD with momentum, weights only) for a "
            "width-128 MLP trained full-batch on 300 digits (the full profile: Fashion-MNIST), the largest "
            "decay shrinks the weight norm below 0.8 of "
            "the undecayed one and narrows the gap validation loss - training loss (paired difference < 0)."
        ),
        claim_zh=(
            "在 weight_decay 扫描(0、1e-4、1e-3、3e-3、1e-2、3e-2;带动量的 SGD,只衰减权重)中,"
            "用 300 个 digits 样本(full 配置为 Fashion-MNIST)全批量训练"
            "宽 128 的 MLP:最大的衰减使权重范数低于无衰减时的 0.8,并缩小验证损失 - 训练损失之差(配对差 < 0)。"
        ),
        metric="weight norm ratio (largest decay / none); gap = validation loss - training loss",
        comparison=(f"95% intervals: weight-norm ratio below {NORM_RATIO_MAX:g}, paired change of the "
                    f"validation-minus-training gap below {GAP_DIFF_MAX:g}"),
        threshold=f"norm ratio < {NORM_RATIO_MAX:g}, gap difference < {GAP_DIFF_MAX:g}",
        experiment=run_decay_sweep,
        configs=configs_decay_sweep,
        verdict=verdict_decay_sweep,
        figure=figure_decay_sweep,
        seeds={"quick": 5, "full": 10},
    ),
)

QUESTION = Question(
    number=5,
    title_zh="weight decay和范数正则有什么关系?",
    title_en="How is weight decay related to norm regularisation?",
    answer_en=(
        "Weight decay shrinks every weight towards zero at each step; an L2 penalty adds lambda/2 ||w||^2 to the "
        "loss. Whether they are the same depends on the optimiser. With learning rate g, decay l, data gradient "
        "g_t at theta_{t-1}, PyTorch computes: SGD: g'_t = g_t + l theta_{t-1}; b_t = mu b_{t-1} + (1 - dampening) "
        "g'_t (b_1 = g'_1); theta_t = theta_{t-1} - g b_t. So SGD's weight_decay=l is exactly the gradient of "
        "l * l2_penalty = l/2 ||w||^2, with or without momentum (a penalty written l ||w||^2 needs weight_decay=2l); "
        "without momentum it is the multiplicative shrink theta_t = (1 - g l) theta_{t-1} - g g_t that gave decay "
        "its name (Krogh & Hertz 1992). Adam: g'_t = g_t + l theta_{t-1}; m_t = b1 m_{t-1} + (1 - b1) g'_t; "
        "v_t = b2 v_{t-1} + (1 - b2) g'_t^2; theta_t = theta_{t-1} - g m_t/(1 - b1^t) / (sqrt(v_t/(1 - b2^t)) + eps): "
        "still an L2 penalty, but divided by the adaptive scale, so weights with large gradients are decayed less. "
        "AdamW: theta' = theta_{t-1} - g l theta_{t-1} (applied to the weights before the step, with the gradient "
        "taken at theta_{t-1}), then the Adam step on g_t alone: every weight shrinks by the same factor 1 - g l, "
        "which is not the gradient of any penalty passed through Adam (Loshchilov & Hutter 2019). PyTorch's AdamW "
        "multiplies the decay by the learning rate; the paper multiplies it only by the schedule multiplier eta_t "
        "(theta_t = theta_{t-1} - eta_t (alpha m_hat/(sqrt(v_hat) + eps) + l theta_{t-1})), so PyTorch's "
        "weight_decay is the paper's l divided by the learning rate. In short: the note is right for SGD (up to "
        "the factor 1/2 convention) and for Adam's weight_decay argument, which is an L2 coefficient rather than a "
        "uniform decay; it is wrong for decoupled weight decay (AdamW), which is not the coefficient of an L2 "
        "term. With SGD, a larger decay shrinks the weights and, until it underfits, narrows the train/validation "
        "gap; the decay sweep measures both."
    ),
    answer_zh=(
        "权重衰减在每一步把每个权重向 0 收缩;L2 正则在损失上加 lambda/2 ||w||^2。两者是否相同取决于优化器。记学习率 g、衰减 l、"
        "数据损失在 theta_{t-1} 处的梯度 g_t,PyTorch 的计算是:SGD:g'_t = g_t + l theta_{t-1};b_t = mu b_{t-1} + "
        "(1 - dampening) g'_t(b_1 = g'_1);theta_t = theta_{t-1} - g b_t。所以 SGD 的 weight_decay=l 恰好是 l * l2_penalty "
        "= l/2 ||w||^2 的梯度,有无动量都一样(写成 l ||w||^2 的罚项需要 weight_decay=2l);无动量时它就是乘法收缩 theta_t = "
        "(1 - g l) theta_{t-1} - g g_t,“衰减”之名由此而来(Krogh 与 Hertz 1992)。Adam:g'_t = g_t + l theta_{t-1};m_t = b1 "
        "m_{t-1} + (1 - b1) g'_t;v_t = b2 v_{t-1} + (1 - b2) g'_t^2;theta_t = theta_{t-1} - g m_t/(1 - b1^t) / "
        "(sqrt(v_t/(1 - b2^t)) + eps):仍是 L2 罚项,但被自适应尺度除,梯度大的权重衰减得少。AdamW:theta' = theta_{t-1} - "
        "g l theta_{t-1}(在更新步之前作用于权重,梯度取在 theta_{t-1} 处),然后只用 g_t 做 Adam 更新:每个权重都按同一因子 "
        "1 - g l 收缩,这不是任何经过 Adam 的罚项的梯度(Loshchilov 与 Hutter 2019)。PyTorch 的 AdamW 把衰减乘以学习率;论文只乘以"
        "调度系数 eta_t(theta_t = theta_{t-1} - eta_t (alpha m_hat/(sqrt(v_hat) + eps) + l theta_{t-1})),所以 PyTorch 的 "
        "weight_decay 等于论文的 l 除以学习率。总之:笔记对 SGD(差一个 1/2 的约定)和 Adam 的 weight_decay 参数成立——后者是 L2 "
        "系数而不是均匀衰减;对解耦的权重衰减(AdamW)不成立,它不是某个 L2 项的系数。对 SGD,衰减越大权重越小,在欠拟合之前训练/验证差距也越小;衰减扫描实验测量了这两点。"
    ),
    implemented_by=(
        "mustknow.functional.l2_penalty",
        "mustknow.functional.l1_penalty",
        "mustknow.nn.decay_groups",
        "mustknow.lab.train.TrainConfig",
        "mustknow.lab.train.fit",
    ),
    note_figures=(),
    claims=_CLAIMS,
    full_profile_en=(
        "The full profile runs 10 seeds per claim. The two equivalence claims stay on digits (an identity between "
        "float64 trajectories, for which the data only supply gradients), with a width-128 MLP compared over 400 "
        "minibatch steps instead of 30. The Adam-vs-AdamW grid (4 learning rates x 4 decays, width 128, batches of "
        f"64) and the decay sweep (8 decays from 0 to 0.1, width 256, 300 full-batch epochs) train on "
        f"Fashion-MNIST, on which an MLP overfits visibly: the grid on a fixed stratified subset of "
        f"{FULL_GRID_N_TRAIN} training images for 20 epochs, the sweep on {FULL_SWEEP_N_TRAIN} training images; "
        "validation is 12000 images of the official training part, pixels are standardised by one mean and "
        "standard deviation. Without the Fashion-MNIST files under MUSTKNOW_DATA these configs name digits "
        "instead (the grid on all 1079 training digits for 60 epochs, the sweep on 300), so their results are "
        "stored apart and never mixed with Fashion-MNIST ones."
    ),
    full_profile_zh=(
        "full 配置每个论断运行 10 个种子。两个等价性论断仍在 digits 上(它们检验 float64 轨迹之间的恒等关系,数据只提供梯度),"
        "改用宽 128 的 MLP、比较 400 个小批量步而不是 30 步。Adam 与 AdamW 的网格(4 个学习率 x 4 个衰减,宽 128,批大小 64)"
        "和衰减扫描(0 到 0.1 的 8 个衰减,宽 256,300 个全批量 epoch)改在 Fashion-MNIST 上训练,MLP 在其上明显过拟合:"
        f"网格使用固定的分层子集 {FULL_GRID_N_TRAIN} 张训练图像、训练 20 个 epoch,扫描使用 {FULL_SWEEP_N_TRAIN} 张训练图像;"
        "验证集为官方训练部分中的 12000 张,像素用同一个均值和标准差标准化。若 MUSTKNOW_DATA 下没有 Fashion-MNIST 文件,"
        "这些配置改为使用 digits 并在配置中注明(网格用全部 1079 张训练图像训练 60 个 epoch,扫描用 300 张),"
        "因此其结果单独存储,绝不与 Fashion-MNIST 结果混在一起。"
    ),
)
