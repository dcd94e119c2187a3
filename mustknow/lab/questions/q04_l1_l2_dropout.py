"""Question 4: how L1 and L2 regularisation work, and how dropout is implemented.

Five claims of the note, each an experiment with the verdict computed from the
stored results:

1. L1 (LASSO) sets coefficients exactly to zero while L2 only shrinks them:
   a regularisation path on diabetes, solved by proximal gradient (ISTA with
   :func:`mustknow.functional.soft_threshold`) and in closed form for L2, each
   cross-checked against scikit-learn's ``Lasso`` and ``Ridge``;
2. the same effect on the first-layer weights of an MLP on digits (proximal
   L1 vs L2 weight decay vs none);
3. dropout acts in training only, and inverted scaling keeps the expected
   activation (mustknow's and PyTorch's dropout, many masks);
4. masks are drawn per element of every sample, not shared across the batch
   (settled from both implementations; a batch-shared variant trained as a
   contrast);
5. dropout trains an ensemble: the deterministic test-time network against the
   Monte-Carlo average of T thinned networks (Srivastava et al. 2014).

Experiments are pure: ``run(config, seed) -> {"metrics", "series"}``. On
digits the split is fixed (``load_dataset("digits", seed=0)``) and seeds vary
the initialisation, minibatch order and masks; on diabetes the solvers are
deterministic and seeds vary the train split.

The full profile trains the MLPs of claims 2, 4 and 5 on MNIST (LeCun et al.
1998) where its files are present (:func:`mustknow.data.available_image_dataset`;
else on the bundled digits, and the config says so): a fixed stratified subset
of ``FULL_N_TRAIN`` training images, the 12000-image validation part and the
official 10000-image test set, flattened and standardised by
:func:`mustknow.data.load_image_classification` (one mean and std per channel). Claim 1 stays on diabetes (the L1 path is a
tabular regression, cross-checked against scikit-learn) and claim 3 on digits
activations (a statistical check of the dropout op, for which the data only
supply realistic non-negative activations).
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
from ...data import load_dataset
from ...nn import Dropout, make_mlp
from .. import stats
from ..claims import Claim, Question, Result, Verdict
from ..figures import pyplot, save_figure, series_mean
from ..train import TrainConfig, evaluate, fit, predict_logits, seed_everything
from ._images import FullData, data_fields, data_note, data_title, mlp_data

__all__ = ["QUESTION"]

_SECTION = "四、l1、l2原理?dropout具体实现原理,随机还是固定,训练过程和测试过程如何控制,是针对sample还是batch?"


# --------------------------------------------------------------------------- shared helpers


def _digits():
    """The digits set with a fixed split (seeds vary the model, not the data)."""
    return load_dataset("digits", seed=0)


def _pkey(p: float) -> str:
    """A metric-name fragment for a probability: 0.5 -> 'p50'."""
    return f"p{round(100 * p):02d}"


# --------------------------------------------------------------------------- full-profile data

#: Training images of the full profile's public-set runs: a fixed stratified subset of MNIST's 48000
#: (after the 12000 validation images), enough for every width here, a few minutes per arm on one CPU thread.
FULL_N_TRAIN = 20_000


# =========================================================================== claim 1: L1 path vs L2 path


@dataclass(frozen=True)
class PathConfig:
    """Regularisation paths of L1 (ISTA) and L2 (closed form) linear regression on diabetes (claim 1)."""

    # Strengths as fractions of alpha_max = max|X^T y|/n (the smallest alpha with an all-zero
    # LASSO solution), strong to weak: from one nonzero coefficient down to almost least squares.
    fractions: tuple[float, ...] = (0.8, 0.4, 0.2, 0.1, 0.05, 0.02, 0.01, 0.005)
    tol: float = 1e-10  # ISTA stops when no coefficient moves more than this in one step (float64)
    max_iter: int = 100_000  # a cap far above the ~6000 steps the weakest strength needs
    subgradient_steps: int = 2000  # plain subgradient descent on l1_penalty at the middle strength (contrast)


#: Cross-check against scikit-learn: max |coefficient difference| along the path,
#: fixed before any run (diabetes is standardised, so coefficients are O(0.1-1)).
AGREE_TOL = 1e-4
#: L1 sparsity: the mean number of exactly-zero coefficients along the path must exceed this.
L1_MIN_ZEROS = 1.0


def _ista(gram: torch.Tensor, xty: torch.Tensor, alpha: float, w: torch.Tensor, step: float,
          tol: float, max_iter: int) -> tuple[torch.Tensor, int]:
    r"""Proximal gradient (ISTA) for :math:`\frac{1}{2n}\lVert y - Xw\rVert^2 + \alpha\lVert w\rVert_1`.

    With :math:`G = X^\top X/n` and :math:`c = X^\top y/n` the smooth part's
    gradient is :math:`Gw - c`; a step of size ``step`` = 1/L (L the largest
    eigenvalue of G) followed by soft-thresholding at ``step * alpha``
    converges to the LASSO solution (Beck & Teboulle 2009).
    """
    for k in range(1, max_iter + 1):
        grad = gram @ w - xty  # (d, d) @ (d,) -> (d,)
        new = MF.soft_threshold(w - step * grad, step * alpha)
        if float((new - w).abs().max()) <= tol:
            return new, k
        w = new
    return w, max_iter


def run_path(config: PathConfig, seed: int) -> dict[str, Any]:
    """L1 and L2 coefficient paths on diabetes, their exact-zero counts, and scikit-learn's at the same strengths."""
    from sklearn.linear_model import Lasso, Ridge

    data = load_dataset("diabetes", seed=seed)
    x_raw, y_raw = data.train.x.double(), data.train.y.double()
    x = x_raw - x_raw.mean(0)  # (n, d): intercept left free by centring, as sklearn's fit_intercept does
    y = y_raw - y_raw.mean()  # (n,)
    n, d = x.shape
    gram = x.T @ x / n  # (d, n) @ (n, d) -> (d, d)
    xty = x.T @ y / n  # (d, n) @ (n,) -> (d,)
    eig = torch.linalg.eigvalsh(gram)
    step = 1.0 / float(eig.max())
    alpha_max = float(xty.abs().max())
    eye = torch.eye(d, dtype=torch.float64)

    w = torch.zeros(d, dtype=torch.float64)  # warm start along the path, strong to weak
    l1_paths, l2_paths, l1_zeros, l2_zeros, iters, alphas = [], [], [], [], [], []
    lasso_diff = ridge_diff = 0.0
    l2_min_abs = math.inf
    for frac in config.fractions:
        alpha = frac * alpha_max
        w, k = _ista(gram, xty, alpha, w, step, config.tol, config.max_iter)
        # (1/2n)||y - Xw||^2 + alpha * l2_penalty(w): normal equations (G + alpha I) w = c.
        w2 = torch.linalg.solve(gram + alpha * eye, xty)
        lasso = Lasso(alpha=alpha, fit_intercept=True, tol=1e-12, max_iter=1_000_000).fit(x_raw.numpy(), y_raw.numpy())
        # sklearn's Ridge minimises ||y - Xw||^2 + a ||w||^2: 2n times ours, so a = n * alpha.
        ridge = Ridge(alpha=n * alpha, fit_intercept=True).fit(x_raw.numpy(), y_raw.numpy())
        lasso_diff = max(lasso_diff, float((w - torch.from_numpy(lasso.coef_)).abs().max()))
        ridge_diff = max(ridge_diff, float((w2 - torch.from_numpy(ridge.coef_)).abs().max()))
        l1_zeros.append(float((w == 0).sum()))
        l2_zeros.append(float((w2 == 0).sum()))
        l2_min_abs = min(l2_min_abs, float(w2.abs().min()))
        l1_paths.append(w.clone())
        l2_paths.append(w2)
        iters.append(k)
        alphas.append(alpha)

    # Contrast: subgradient descent on the same objective (sign(0) = 0, autograd's choice for |w|)
    # at the middle strength, from zero, with the same step size.
    mid = len(config.fractions) // 2
    ws = torch.zeros(d, dtype=torch.float64)
    for _ in range(config.subgradient_steps):
        ws = ws - step * (gram @ ws - xty + alphas[mid] * torch.sign(ws))
    ols = torch.linalg.solve(gram, xty)

    l1 = torch.stack(l1_paths)  # (path, d)
    l2 = torch.stack(l2_paths)  # (path, d)
    series: dict[str, list[float]] = {
        "fractions": list(config.fractions),
        "alphas": alphas,
        "l1_zero_counts": l1_zeros,
        "l2_zero_counts": l2_zeros,
        "ista_iterations": [float(k) for k in iters],
    }
    for j, name in enumerate(data.feature_names):
        series[f"l1_coef_{name}"] = l1[:, j].tolist()
        series[f"l2_coef_{name}"] = l2[:, j].tolist()
    metrics = {
        "lasso_max_abs_diff": lasso_diff,
        "ridge_max_abs_diff": ridge_diff,
        "l1_zeros_mean": statistics.fmean(l1_zeros),
        "l1_zeros_max": max(l1_zeros),
        "l2_zeros_total": sum(l2_zeros),
        "l2_min_abs_coef": l2_min_abs,
        "l2_norm_ratio_strongest": float(l2[0].norm() / ols.norm()),
        "l1_zeros_at_mid": l1_zeros[mid],
        "subgradient_zeros_at_mid": float((ws == 0).sum()),
        "subgradient_min_abs_at_mid": float(ws.abs().min()),
        "ista_iterations_max": float(max(iters)),
        "converged": float(max(iters) < config.max_iter),
        "features": float(d),
    }
    return {"metrics": metrics, "series": series}


def configs_path(profile: str) -> list[PathConfig]:
    if profile == "quick":
        return [PathConfig()]
    fine = tuple(float(f) for f in torch.logspace(math.log10(0.9), -3, 16).tolist())
    return [PathConfig(fractions=fine, tol=1e-12)]


def verdict_path(results: list[Result]) -> Verdict:
    lasso = max(stats.metric_values(results, "lasso_max_abs_diff"))
    ridge = max(stats.metric_values(results, "ridge_max_abs_diff"))
    zeros = stats.mean_ci(stats.metric_values(results, "l1_zeros_mean"))
    l2_total = sum(stats.metric_values(results, "l2_zeros_total"))
    l2_min = min(stats.metric_values(results, "l2_min_abs_coef"))
    sub_zeros = stats.mean_ci(stats.metric_values(results, "subgradient_zeros_at_mid"))
    mid_zeros = stats.mean_ci(stats.metric_values(results, "l1_zeros_at_mid"))
    evidence = {
        "agree_tol": AGREE_TOL, "threshold_l1_mean_zeros": L1_MIN_ZEROS,
        "lasso_max_abs_diff": lasso, "ridge_max_abs_diff": ridge,
        "l1_zeros_mean": zeros.to_dict(), "l2_zeros_total": l2_total, "l2_min_abs_coef": l2_min,
        "l1_zeros_at_mid": mid_zeros.to_dict(), "subgradient_zeros_at_mid": sub_zeros.to_dict(),
    }
    if lasso > AGREE_TOL or ridge > AGREE_TOL:
        label = "INCONCLUSIVE"
    elif l2_total > 0:
        label = "REFUTED"
    else:
        label = stats.decide(zeros, L1_MIN_ZEROS, ">")
    check = "passed" if max(lasso, ridge) <= AGREE_TOL else "FAILED"
    en = (
        f"Along the diabetes path the proximal-L1 (ISTA) solution has {zeros.fmt()} of "
        f"{int(results[0]['metrics']['features'])} coefficients exactly zero on average (threshold > {L1_MIN_ZEROS:g}) "
        f"while L2 has {l2_total:g} exact zeros in total (smallest |w| {l2_min:.2g}); the cross-check against "
        f"scikit-learn {check} (max |diff| Lasso {lasso:.1e}, Ridge {ridge:.1e}, tolerance {AGREE_TOL:g}); "
        f"plain subgradient descent on the same L1 objective reaches {sub_zeros.fmt()} exact zeros where ISTA "
        f"reaches {mid_zeros.fmt()}: the exact zeros come from the proximal step, not from the penalty alone."
    )
    zh = (
        f"在 diabetes 的正则化路径上,近端 L1(ISTA)解平均有 {zeros.fmt()} 个(共 "
        f"{int(results[0]['metrics']['features'])} 个)系数恰为 0(阈值 > {L1_MIN_ZEROS:g}),"
        f"而 L2 总共只有 {l2_total:g} 个恰为 0(最小 |w| 为 {l2_min:.2g});与 scikit-learn 的交叉验证"
        f"{'通过' if check == 'passed' else '失败'}(Lasso 最大差 {lasso:.1e},Ridge {ridge:.1e},容差 {AGREE_TOL:g});"
        f"对同一 L1 目标做普通次梯度下降只得到 {sub_zeros.fmt()} 个恰为 0 的系数,而 ISTA 得到 {mid_zeros.fmt()} 个:"
        f"恰好为 0 来自近端步骤,而不只是罚项本身。"
    )
    return Verdict(label, en, zh, evidence)


def figure_path(results: list[Result], out_dir: Path) -> list[Path]:
    plt = pyplot()
    first = min(results, key=lambda r: r["seed"])
    s = first["series"]
    fracs = s["fractions"]
    names = [k[len("l1_coef_"):] for k in s if k.startswith("l1_coef_")]
    fig, axes = plt.subplots(1, 3, figsize=(15, 4.6))
    for ax, kind, title in ((axes[0], "l1", "L1 (LASSO, ISTA)"), (axes[1], "l2", "L2 (ridge, closed form)")):
        for name in names:
            ax.plot(fracs, s[f"{kind}_coef_{name}"], marker=".", label=name)
        ax.axhline(0.0, color="black", linewidth=0.6)
        ax.set_xscale("log")
        ax.invert_xaxis()
        ax.set_xlabel("strength alpha / alpha_max (weaker to the right)")
        ax.set_ylabel("coefficient")
        ax.set_title(f"{title}, seed {first['seed']}")
    axes[0].legend(fontsize=7, ncol=2)
    ax = axes[2]
    for kind, label in (("l1", "L1 (proximal)"), ("l2", "L2")):
        ax.plot(fracs, series_mean(results, f"{kind}_zero_counts"), marker="o", label=label)
    ax.set_xscale("log")
    ax.invert_xaxis()
    ax.set_xlabel("strength alpha / alpha_max")
    ax.set_ylabel(f"exactly-zero coefficients (mean of {len(results)} splits)")
    ax.set_title("Exact zeros along the path")
    ax.legend()
    fig.suptitle("Diabetes regression: L1 zeroes coefficients, L2 shrinks them (checked against scikit-learn)")
    return [save_figure(fig, out_dir, "q04_l1_l2_path.png")]


# =========================================================================== claim 2: MLP first layer


@dataclass(frozen=True)
class FirstLayerConfig:
    """First-layer weights of a one-hidden-layer MLP on digits under proximal L1, L2 decay, or nothing (claim 2)."""

    width: int = 32  # one hidden layer: the first layer is the whole learned feature map
    lr: float = 0.1  # plain SGD without momentum, so SGD + proximal step is exactly ISTA on each batch
    epochs: int = 15  # 135 steps: enough to fit digits to ~95% validation accuracy
    batch_size: int = 128  # 9 steps per epoch on 1079 rows: cheap
    strength: float = 5e-3  # the same coefficient for both penalties: l1 * sum|w| and l2 * 0.5 * sum w^2


@dataclass(frozen=True)
class FullFirstLayerConfig(FullData, FirstLayerConfig):
    """A full-profile :class:`FirstLayerConfig` that names its data set (MNIST, or digits without its files)."""


#: L1 sparsity in the MLP: the mean fraction of exactly-zero first-layer weights must exceed this.
MLP_MIN_ZERO_FRACTION = 0.10
_ARMS = ("none", "l2", "l1")
#: log10|w| histogram edges for the figure; exact zeros are counted separately.
_HIST_EDGES = tuple(float(e) for e in torch.linspace(-8.0, 0.0, 17).tolist())


def run_first_layer(config: FirstLayerConfig, seed: int) -> dict[str, Any]:
    """Fraction of exactly-zero first-layer weights after training with proximal L1, L2 decay, or neither.

    Quick configs train on digits (64 standardised pixels); a
    :class:`FullFirstLayerConfig` on its own data set (MNIST: 784 pixels).
    """
    data = mlp_data(config)
    pixels = data.train.x.shape[1]
    base = TrainConfig(optimizer="sgd", lr=config.lr, epochs=config.epochs, batch_size=config.batch_size)
    arms = {
        "none": base,
        "l2": base.replace(weight_decay=config.strength, decay_groups=True),  # weights only, like the L1 arm
        "l1": base.replace(proximal_l1=config.strength),
    }
    metrics: dict[str, float] = {}
    series: dict[str, list[float]] = {}
    for arm, cfg in arms.items():
        seed_everything(seed)
        model = make_mlp(pixels, 10, depth=1, width=config.width)
        fit(model, data.train, None, cfg, seed=seed)
        w = model.blocks[0].layer.weight.detach()  # (width, pixels)
        res = evaluate(model, data.val)
        logs = torch.log10(w[w != 0].abs())
        hist = torch.histc(logs.clamp(_HIST_EDGES[0], _HIST_EDGES[-1]), bins=len(_HIST_EDGES) - 1,
                           min=_HIST_EDGES[0], max=_HIST_EDGES[-1])
        metrics[f"zero_fraction_{arm}"] = float((w == 0).float().mean())
        metrics[f"small_fraction_{arm}"] = float((w.abs() < 1e-3).float().mean())
        metrics[f"dead_pixels_{arm}"] = float((w == 0).all(dim=0).float().mean())  # (width, pixels) -> (pixels,)
        metrics[f"val_acc_{arm}"] = res["acc"]
        metrics[f"val_loss_{arm}"] = res["loss"]
        metrics[f"weight_l1_{arm}"] = float(w.abs().sum())
        series[f"log10_abs_hist_{arm}"] = hist.tolist()
        series[f"pixel_nonzero_{arm}"] = (w != 0).float().mean(dim=0).tolist()  # (width, pixels) -> (pixels,)
    series["hist_edges"] = list(_HIST_EDGES)
    return {"metrics": metrics, "series": series}


def configs_first_layer(profile: str) -> list[FirstLayerConfig]:
    if profile == "quick":
        return [FirstLayerConfig()]
    return [FullFirstLayerConfig(width=128, epochs=40, batch_size=64, **data_fields("mnist", FULL_N_TRAIN))]


def verdict_first_layer(results: list[Result]) -> Verdict:
    ivs = {arm: stats.mean_ci(stats.metric_values(results, f"zero_fraction_{arm}")) for arm in _ARMS}
    accs = {arm: stats.mean_ci(stats.metric_values(results, f"val_acc_{arm}")) for arm in _ARMS}
    pixels = stats.mean_ci(stats.metric_values(results, "dead_pixels_l1"))
    others_max = max(max(stats.metric_values(results, f"zero_fraction_{arm}")) for arm in ("none", "l2"))
    if others_max > 0:
        label = "REFUTED"
    else:
        label = stats.decide(ivs["l1"], MLP_MIN_ZERO_FRACTION, ">")
    evidence = {
        "threshold_l1_zero_fraction": MLP_MIN_ZERO_FRACTION,
        **{f"zero_fraction_{a}": iv.to_dict() for a, iv in ivs.items()},
        **{f"val_acc_{a}": iv.to_dict() for a, iv in accs.items()},
        "dead_pixels_l1": pixels.to_dict(),
        "strength": results[0]["config"]["strength"],
    }
    strength = results[0]["config"]["strength"]
    note_en, note_zh, note_ev = data_note(results)
    evidence.update(note_ev)
    name = note_ev.get("dataset", "digits")
    en = (
        f"First-layer weights of a {name} MLP (coefficient {strength:g}): exactly zero with proximal L1 "
        f"{ivs['l1'].fmt()} (threshold > {MLP_MIN_ZERO_FRACTION:g}; {pixels.fmt()} of input pixels lose every "
        f"weight), with L2 weight decay {ivs['l2'].fmt()}, without regularisation {ivs['none'].fmt()}; validation "
        f"accuracy L1 {accs['l1'].fmt()}, L2 {accs['l2'].fmt()}, none {accs['none'].fmt()}.{note_en}"
    )
    zh = (
        f"{name} MLP 的第一层权重(系数 {strength:g}):近端 L1 下恰为 0 的比例 {ivs['l1'].fmt()}(阈值 > "
        f"{MLP_MIN_ZERO_FRACTION:g};{pixels.fmt()} 的输入像素失去全部权重),L2 权重衰减下 {ivs['l2'].fmt()},"
        f"不加正则 {ivs['none'].fmt()};验证准确率 L1 {accs['l1'].fmt()},L2 {accs['l2'].fmt()},无 {accs['none'].fmt()}。"
        f"{note_zh}"
    )
    return Verdict(label, en, zh, evidence)


def figure_first_layer(results: list[Result], out_dir: Path) -> list[Path]:
    plt = pyplot()
    edges = results[0]["series"]["hist_edges"]
    centres = [(a + b) / 2 for a, b in zip(edges[:-1], edges[1:])]
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.4), gridspec_kw={"width_ratios": [2, 1]})
    ax = axes[0]
    width = (edges[1] - edges[0]) / 4
    for i, arm in enumerate(_ARMS):
        hist = series_mean(results, f"log10_abs_hist_{arm}")
        zeros = statistics.fmean(stats.metric_values(results, f"zero_fraction_{arm}"))
        total = sum(hist) / max(1e-12, 1 - zeros) if zeros < 1 else 1.0
        ax.bar([c + (i - 1) * width for c in centres], [h / total for h in hist], width=width,
               label=f"{arm}: {zeros:.1%} exactly zero")
        ax.bar([edges[0] - 1 + (i - 1) * width], [zeros], width=width, color=f"C{i}", hatch="//")
    ax.set_xticks([edges[0] - 1] + [e for e in edges[::2]])
    ax.set_xticklabels(["exact 0"] + [f"{e:g}" for e in edges[::2]])
    ax.set_xlabel("log10 |w| of first-layer weights")
    ax.set_ylabel("fraction of weights")
    ax.set_title("First-layer weight magnitudes (mean over seeds)")
    ax.legend()
    ax = axes[1]
    share = torch.tensor(series_mean(results, "pixel_nonzero_l1"))  # (pixels,)
    side = math.isqrt(share.numel())
    grid = share.reshape(side, side) if side * side == share.numel() else share[None]  # (H*W,) -> (H, W)
    im = ax.imshow(grid.numpy(), cmap="viridis", vmin=0, vmax=1)
    fig.colorbar(im, ax=ax, label="fraction of nonzero weights")
    ax.set_title("Proximal L1: nonzero share per pixel")
    ax.set_xticks([])
    ax.set_yticks([])
    name = data_title(results)
    fig.suptitle(f"{name[0].upper() + name[1:]} MLP: proximal L1 gives exact zeros, L2 weight decay only shrinks")
    return [save_figure(fig, out_dir, "q04_mlp_first_layer.png")]


# =========================================================================== claim 3: train/eval, inverted scaling


@dataclass(frozen=True)
class DropoutMeanConfig:
    """Mean activation through dropout in train and eval mode, over many masks (claim 3)."""

    ps: tuple[float, ...] = (0.1, 0.5, 0.8)  # light, the paper's hidden-unit choice, heavy
    rows: int = 256  # digits training rows fed through a random ReLU layer: realistic activations
    width: int = 64  # units of that layer
    masks: int = 200  # independent masks per p: a standard error of ~0.1-0.4% of the mean


#: |z| of the train-mode mean (and of the drop rate) against its expectation must stay below this:
#: 4 standard errors derived from the number of masked elements (two-sided p ~ 6e-5 per check).
Z_MAX = 4.0
_IMPLS = ("mustknow", "torch")


def _dropout_stats(module: nn.Module, h: torch.Tensor, p: float, masks: int) -> tuple[dict[str, float], list[float]]:
    """Train-mode mean and drop rate over ``masks`` draws vs their expectations, and the eval-mode output."""
    module.train()
    total = torch.zeros((), dtype=torch.float64)
    dropped = torch.zeros((), dtype=torch.float64)
    positive = h > 0
    running = []
    repeats = 0
    previous = None
    with torch.no_grad():
        for k in range(1, masks + 1):
            out = module(h)
            total += out.sum()  # (rows, width) -> ()
            dropped += (positive & (out == 0)).sum()
            running.append(float(total / (k * h.numel())))
            kept = out != 0
            repeats += int(previous is not None and torch.equal(kept, previous))
            previous = kept
        module.eval()
        eval_diff = float((module(h) - h).abs().max())
    mean_x = float(h.mean())
    # y = x b / (1 - p), b ~ Bernoulli(1 - p): Var(y) = x^2 p / (1 - p), independent over elements and masks.
    se = math.sqrt(p / (1 - p) * float((h * h).sum()) / masks) / h.numel()
    npos = int(positive.sum()) * masks
    mean_train = float(total) / (masks * h.numel())
    rate = float(dropped) / npos
    out = {
        "z_mean": (mean_train - mean_x) / se,
        "rel_diff": (mean_train - mean_x) / mean_x,
        "tol_rel": Z_MAX * se / mean_x,
        "z_drop_rate": (rate - p) / math.sqrt(p * (1 - p) / npos),
        "eval_max_abs_diff": eval_diff,
        "repeated_mask_fraction": repeats / (masks - 1),  # a mask equal to the previous call's
        # Without the 1/(1-p) scaling the train-mode mean would be (1-p) times this one.
        "unscaled_rel_diff": (mean_train * (1 - p) - mean_x) / mean_x,
    }
    return out, [(r - mean_x) / mean_x for r in running]


def run_dropout_mean(config: DropoutMeanConfig, seed: int) -> dict[str, Any]:
    """Train-mode vs eval-mode mean activation for mustknow's and PyTorch's dropout."""
    seed_everything(seed)
    data = _digits()
    layer = nn.Linear(64, config.width).double()
    with torch.no_grad():
        h = MF.relu(layer(data.train.x[: config.rows].double()))  # (rows, 64) -> (rows, width), >= 0
    metrics: dict[str, float] = {}
    series: dict[str, list[float]] = {}
    for p in config.ps:
        for impl in _IMPLS:
            module = Dropout(p) if impl == "mustknow" else nn.Dropout(p)
            out, running = _dropout_stats(module, h, p, config.masks)
            for name, value in out.items():
                metrics[f"{impl}_{_pkey(p)}_{name}"] = value
            series[f"{impl}_{_pkey(p)}_running_rel_diff"] = running
    return {"metrics": metrics, "series": series}


def configs_dropout_mean(profile: str) -> list[DropoutMeanConfig]:
    if profile == "quick":
        return [DropoutMeanConfig()]
    return [DropoutMeanConfig(ps=(0.1, 0.2, 0.3, 0.5, 0.7, 0.8, 0.9), rows=1079, masks=1000)]


def verdict_dropout_mean(results: list[Result]) -> Verdict:
    ps = results[0]["config"]["ps"]
    worst_z = 0.0
    worst_eval = 0.0
    repeats = 0.0
    parts_en, parts_zh = [], []
    evidence: dict[str, Any] = {"z_max": Z_MAX}
    for p in ps:
        rel = {}
        for impl in _IMPLS:
            key = f"{impl}_{_pkey(p)}"
            zs = stats.metric_values(results, f"{key}_z_mean") + stats.metric_values(results, f"{key}_z_drop_rate")
            worst_z = max(worst_z, max(abs(z) for z in zs))
            worst_eval = max(worst_eval, max(stats.metric_values(results, f"{key}_eval_max_abs_diff")))
            repeats = max(repeats, max(stats.metric_values(results, f"{key}_repeated_mask_fraction")))
            rel[impl] = stats.mean_ci(stats.metric_values(results, f"{key}_rel_diff"))
            evidence[f"{key}_rel_diff"] = rel[impl].to_dict()
        tol = statistics.fmean(stats.metric_values(results, f"mustknow_{_pkey(p)}_tol_rel"))
        unscaled = statistics.fmean(stats.metric_values(results, f"mustknow_{_pkey(p)}_unscaled_rel_diff"))
        evidence[f"{_pkey(p)}_tol_rel"] = tol
        evidence[f"{_pkey(p)}_unscaled_rel_diff"] = unscaled
        parts_en.append(f"p={p:g}: {rel['mustknow'].mean:+.2%} (PyTorch {rel['torch'].mean:+.2%}, tolerance "
                        f"+-{tol:.2%}; unscaled {unscaled:+.1%})")
        parts_zh.append(f"p={p:g}:{rel['mustknow'].mean:+.2%}(PyTorch {rel['torch'].mean:+.2%},容差 +-{tol:.2%};"
                        f"不缩放 {unscaled:+.1%})")
    evidence.update(worst_abs_z=worst_z, worst_eval_max_abs_diff=worst_eval, repeated_mask_fraction=repeats)
    label = "SUPPORTED" if worst_z < Z_MAX and worst_eval == 0.0 and repeats == 0.0 else "REFUTED"
    en = (
        f"Train-mode mean activation relative to eval mode (= the input; max |eval output - input| = "
        f"{worst_eval:g}): " + "; ".join(parts_en) + f"; the largest |z| of the mean and the drop rate over all "
        f"seeds is {worst_z:.2f} (limit {Z_MAX:g}), and a fraction {repeats:g} of calls reused the previous mask."
    )
    zh = (
        f"训练模式下平均激活相对评估模式(即输入本身;评估输出与输入的最大差 {worst_eval:g})的偏差:"
        + ";".join(parts_zh) + f";所有种子中均值与丢弃率的最大 |z| 为 {worst_z:.2f}(上限 {Z_MAX:g}),"
        f"重复使用上一次掩码的调用比例为 {repeats:g}。"
    )
    return Verdict(label, en, zh, evidence)


def figure_dropout_mean(results: list[Result], out_dir: Path) -> list[Path]:
    plt = pyplot()
    ps = results[0]["config"]["ps"]
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.4))
    ax = axes[0]
    for i, p in enumerate(ps):
        run = series_mean(results, f"mustknow_{_pkey(p)}_running_rel_diff")
        ks = range(1, len(run) + 1)
        ax.plot(ks, run, color=f"C{i}", label=f"p={p:g}")
        tol = statistics.fmean(stats.metric_values(results, f"mustknow_{_pkey(p)}_tol_rel"))
        masks = len(run)
        band = [tol * math.sqrt(masks / k) for k in ks]  # the 4-SE tolerance for k masks
        ax.fill_between(ks, [-b for b in band], band, color=f"C{i}", alpha=0.12)
    ax.axhline(0.0, color="black", linewidth=0.6)
    ax.set_ylim(-0.1, 0.1)
    ax.set_xscale("log")
    ax.set_xlabel("number of masks averaged")
    ax.set_ylabel("(train-mode mean - eval-mode mean) / eval-mode mean")
    ax.set_title("Inverted dropout keeps the mean (band: 4 standard errors)")
    ax.legend()
    ax = axes[1]
    xs = range(len(ps))
    for j, (name, key) in enumerate((("mustknow (inverted)", "mustknow_{}_rel_diff"),
                                     ("PyTorch (inverted)", "torch_{}_rel_diff"),
                                     ("no 1/(1-p) scaling", "mustknow_{}_unscaled_rel_diff"))):
        vals = [statistics.fmean(stats.metric_values(results, key.format(_pkey(p)))) for p in ps]
        bars = ax.bar([x + (j - 1) * 0.27 for x in xs], vals, width=0.27, label=name)
        ax.bar_label(bars, fmt="%.2g", fontsize=7)
    ax.set_xticks(list(xs))
    ax.set_xticklabels([f"p={p:g}" for p in ps])
    ax.axhline(0.0, color="black", linewidth=0.6)
    ax.set_ylabel("relative change of the mean activation")
    ax.set_title(f"Train-mode mean vs eval mode ({results[0]['config']['masks']} masks)")
    ax.legend()
    fig.suptitle("Dropout in training, identity at test time: the expected activation is kept")
    return [save_figure(fig, out_dir, "q04_dropout_mean.png")]


# =========================================================================== claims 4-5: masks and ensembles


@dataclass(frozen=True)
class DropoutNetConfig:
    """Dropout masks compared within a batch, per-sample vs batch-shared training, MC averaging (claims 4, 5)."""

    p: float = 0.5  # Srivastava et al.'s choice for hidden units
    depth: int = 2  # two dropout layers: the ensemble is over both
    width: int = 64  # p = 0.5 still leaves ~32 units per layer
    epochs: int = 12  # Adam fits digits to ~95% in this budget
    batch_size: int = 64  # a typical minibatch: 17 masks per epoch for the batch-shared arm
    lr: float = 1e-3  # Adam's default
    mask_rows: int = 128  # one batch of rows whose masks are compared pairwise
    mask_features: int = 64  # units per mask: two independent masks agree with probability ~(1/2)^64
    mc_samples: tuple[int, ...] = (1, 2, 5, 10, 50, 100)  # sub-networks averaged


@dataclass(frozen=True)
class FullDropoutNetConfig(FullData, DropoutNetConfig):
    """A full-profile :class:`DropoutNetConfig` that names its data set (MNIST, or digits without its files)."""


#: Per-sample masks: the fraction of sample pairs in a batch with identical masks must stay below this.
IDENTICAL_MAX = 0.01
#: Ensemble: the deterministic net's predictions must agree with the T=100 MC average on more than this
#: fraction of test rows ...
ENSEMBLE_MIN_AGREEMENT = 0.95
#: ... and their test accuracies must differ by less than this (paired interval inside +-margin).
ENSEMBLE_ACC_MARGIN = 0.02


class BatchSharedDropout(nn.Module):
    """Contrast only: one inverted-dropout mask per mini-batch, shared by all its samples.

    The mask is :func:`mustknow.functional.dropout` applied to ones of shape
    (1, F) and broadcast over the batch; gradients flow through the product.
    """

    def __init__(self, p: float) -> None:
        super().__init__()
        self.p = p

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training:
            return x
        mask = MF.dropout(x.new_ones((1,) + tuple(x.shape[1:])), self.p)  # (1, F): one mask per batch
        return x * mask  # (N, F) * (1, F) -> (N, F)


def _identical_pairs(out: torch.Tensor) -> tuple[float, float]:
    """Fraction of row pairs with identical zero patterns, and of rows kept or dropped whole."""
    kept = out != 0  # (N, F)
    same = (kept[:, None, :] == kept[None, :, :]).all(-1)  # (N, 1, F) vs (1, N, F) -> (N, N)
    n = kept.shape[0]
    pairs = (same.sum() - n) / (n * (n - 1))  # off-diagonal pairs
    whole = (kept.all(1) | (~kept).all(1)).float().mean()  # (N, F) -> (N,) -> ()
    return float(pairs), float(whole)


def run_dropout_net(config: DropoutNetConfig, seed: int) -> dict[str, Any]:
    """Mask sharing across a batch; per-sample vs batch-shared training; deterministic vs MC-averaged prediction.

    Quick configs train on digits; a :class:`FullDropoutNetConfig` on its own data set.
    """
    seed_everything(seed)
    metrics: dict[str, float] = {}
    series: dict[str, list[float]] = {}
    ones = torch.ones(config.mask_rows, config.mask_features)
    for impl, module in (("mustknow", Dropout(config.p)), ("torch", nn.Dropout(config.p)),
                         ("shared", BatchSharedDropout(config.p))):
        pairs, whole = _identical_pairs(module.train()(ones))
        metrics[f"identical_pairs_{impl}"] = pairs
        metrics[f"whole_rows_{impl}"] = whole

    data = mlp_data(config)
    train_cfg = TrainConfig(optimizer="adam", lr=config.lr, epochs=config.epochs, batch_size=config.batch_size)
    models = {}
    for arm in ("per_sample", "shared"):
        seed_everything(seed)  # same initialisation for both arms (dropout layers hold no parameters)
        model = make_mlp(data.train.x.shape[1], 10, config.depth, config.width,
                         dropout=config.p if arm == "per_sample" else 0.0)
        if arm == "shared":
            for block in model.blocks:
                block.drop = BatchSharedDropout(config.p)
        hist = fit(model, data.train, data.val, train_cfg, seed=seed)
        metrics[f"val_loss_{arm}"] = hist.val_loss[-1]
        metrics[f"val_acc_{arm}"] = hist.val_acc[-1]
        series[f"val_loss_{arm}"] = hist.val_loss
        series[f"train_loss_{arm}"] = hist.train_loss
        models[arm] = model

    model = models["per_sample"]
    x, y = data.test.x, data.test.y
    det = predict_logits(model, x).argmax(1)  # (N, 10) -> (N,)
    metrics["test_acc_deterministic"] = float((det == y).float().mean())
    torch.manual_seed(seed)
    model.train()
    prob_sum = torch.zeros(x.shape[0], 10)
    agree, acc = [], []
    with torch.no_grad():
        for t in range(1, max(config.mc_samples) + 1):
            prob_sum += MF.softmax(model(x), dim=1)  # one thinned network: (N, 10)
            if t in config.mc_samples:
                mc = prob_sum.argmax(1)  # (N, 10) -> (N,)
                agree.append(float((mc == det).float().mean()))
                acc.append(float((mc == y).float().mean()))
                metrics[f"agreement_mc{t}"] = agree[-1]
                metrics[f"test_acc_mc{t}"] = acc[-1]
    series["mc_samples"] = [float(t) for t in config.mc_samples]
    series["agreement"] = agree
    series["test_acc_mc"] = acc
    return {"metrics": metrics, "series": series}


def configs_dropout_net(profile: str) -> list[DropoutNetConfig]:
    if profile == "quick":
        return [DropoutNetConfig()]
    return [FullDropoutNetConfig(width=256, epochs=40, mc_samples=(1, 2, 5, 10, 20, 50, 100, 200, 500),
                                 **data_fields("mnist", FULL_N_TRAIN))]


def verdict_masks(results: list[Result]) -> Verdict:
    ours = max(stats.metric_values(results, "identical_pairs_mustknow"))
    theirs = max(stats.metric_values(results, "identical_pairs_torch"))
    shared = min(stats.metric_values(results, "identical_pairs_shared"))
    whole = max(stats.metric_values(results, "whole_rows_mustknow"))
    acc = stats.paired_diff(stats.metric_values(results, "val_acc_per_sample"),
                            stats.metric_values(results, "val_acc_shared"))
    loss = stats.paired_diff(stats.metric_values(results, "val_loss_per_sample"),
                             stats.metric_values(results, "val_loss_shared"))
    label = "SUPPORTED" if max(ours, theirs) < IDENTICAL_MAX else "REFUTED"
    evidence = {
        "threshold_identical_pairs": IDENTICAL_MAX, "identical_pairs_mustknow_max": ours,
        "identical_pairs_torch_max": theirs, "identical_pairs_shared_min": shared, "whole_rows_mustknow_max": whole,
        "val_acc_per_sample_minus_shared": acc.to_dict(), "val_loss_per_sample_minus_shared": loss.to_dict(),
    }
    note_en, note_zh, note_ev = data_note(results)
    evidence.update(note_ev)
    en = (
        f"In a batch of {results[0]['config']['mask_rows']} rows the fraction of sample pairs with identical "
        f"dropout masks is at most {ours:.3g} for mustknow and {theirs:.3g} for PyTorch (threshold < "
        f"{IDENTICAL_MAX:g}; batch-shared: {shared:.3g}), and at most {whole:.3g} of rows are kept or dropped "
        f"whole, so masks are per element and per sample; training with per-sample instead of batch-shared masks "
        f"changes validation accuracy by {acc.fmt()} and validation loss by {loss.fmt()} (paired).{note_en}"
    )
    zh = (
        f"在 {results[0]['config']['mask_rows']} 行的批次中,dropout 掩码完全相同的样本对比例:mustknow 至多 {ours:.3g},"
        f"PyTorch 至多 {theirs:.3g}(阈值 < {IDENTICAL_MAX:g};批内共享掩码为 {shared:.3g});整行全保留或全丢弃的比例至多 "
        f"{whole:.3g},所以掩码按元素、按样本抽取;用逐样本掩码而非批内共享掩码训练,验证准确率变化 {acc.fmt()},"
        f"验证损失变化 {loss.fmt()}(配对)。{note_zh}"
    )
    return Verdict(label, en, zh, evidence)


def figure_masks(results: list[Result], out_dir: Path) -> list[Path]:
    plt = pyplot()
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.4))
    ax = axes[0]
    names = (("mustknow", "mustknow Dropout"), ("torch", "torch.nn.Dropout"), ("shared", "batch-shared (contrast)"))
    vals = [statistics.fmean(stats.metric_values(results, f"identical_pairs_{k}")) for k, _ in names]
    bars = ax.bar([n for _, n in names], vals, color=["C0", "C1", "C3"])
    ax.bar_label(bars, fmt="%.3g")
    ax.axhline(IDENTICAL_MAX, color="red", linestyle="--", label=f"threshold {IDENTICAL_MAX:g}")
    ax.set_ylabel("fraction of sample pairs with identical masks")
    ax.set_title(f"Masks in one batch of {results[0]['config']['mask_rows']} rows")
    ax.legend()
    ax = axes[1]
    for i, (arm, name) in enumerate((("per_sample", "per-sample masks"), ("shared", "batch-shared mask"))):
        for r in results:
            ax.plot(range(1, len(r["series"][f"val_loss_{arm}"]) + 1), r["series"][f"val_loss_{arm}"],
                    color=f"C{0 if i == 0 else 3}", alpha=0.25)
        mean = series_mean(results, f"val_loss_{arm}")
        ax.plot(range(1, len(mean) + 1), mean, color=f"C{0 if i == 0 else 3}", linewidth=2, label=f"{name} (mean)")
    ax.set_xlabel("epoch")
    ax.set_ylabel("validation loss")
    name = data_title(results)
    ax.set_title(f"{name[0].upper() + name[1:]} MLP, dropout p={results[0]['config']['p']:g}")
    ax.legend()
    fig.suptitle("Dropout masks are drawn per element and per sample")
    return [save_figure(fig, out_dir, "q04_dropout_masks.png")]


def verdict_ensemble(results: list[Result]) -> Verdict:
    ts = results[0]["config"]["mc_samples"]
    t_max = max(ts)
    agree = stats.mean_ci(stats.metric_values(results, f"agreement_mc{t_max}"))
    agree1 = stats.mean_ci(stats.metric_values(results, "agreement_mc1"))
    diff = stats.paired_diff(stats.metric_values(results, f"test_acc_mc{t_max}"),
                             stats.metric_values(results, "test_acc_deterministic"))
    det = stats.mean_ci(stats.metric_values(results, "test_acc_deterministic"))
    one = stats.mean_ci(stats.metric_values(results, "test_acc_mc1"))
    if -ENSEMBLE_ACC_MARGIN < diff.low and diff.high < ENSEMBLE_ACC_MARGIN:
        acc_label = "SUPPORTED"
    elif diff.low >= ENSEMBLE_ACC_MARGIN or diff.high <= -ENSEMBLE_ACC_MARGIN:
        acc_label = "REFUTED"
    else:
        acc_label = "INCONCLUSIVE"
    label = stats.combine([stats.decide(agree, ENSEMBLE_MIN_AGREEMENT, ">"), acc_label])
    evidence = {
        "threshold_agreement": ENSEMBLE_MIN_AGREEMENT, "acc_margin": ENSEMBLE_ACC_MARGIN, "t_max": t_max,
        f"agreement_mc{t_max}": agree.to_dict(), "agreement_mc1": agree1.to_dict(),
        f"test_acc_mc{t_max}_minus_deterministic": diff.to_dict(), "test_acc_deterministic": det.to_dict(),
        "test_acc_mc1": one.to_dict(),
    }
    note_en, note_zh, note_ev = data_note(results)
    evidence.update(note_ev)
    en = (
        f"The weight-scaled deterministic network agrees with the average of T={t_max} thinned networks on "
        f"{agree.fmt()} of test digits (threshold > {ENSEMBLE_MIN_AGREEMENT:g}; a single thinned network: "
        f"{agree1.fmt()}); accuracy MC({t_max}) minus deterministic {diff.fmt()} (margin +-{ENSEMBLE_ACC_MARGIN:g}; "
        f"deterministic {det.fmt()}, one thinned network {one.fmt()}).{note_en}"
    )
    zh = (
        f"权重缩放的确定性网络与 T={t_max} 个子网络平均的预测在 {agree.fmt()} 的测试样本上一致(阈值 > "
        f"{ENSEMBLE_MIN_AGREEMENT:g};单个子网络:{agree1.fmt()});准确率 MC({t_max}) 减确定性网络为 {diff.fmt()}"
        f"(容差 +-{ENSEMBLE_ACC_MARGIN:g};确定性网络 {det.fmt()},单个子网络 {one.fmt()})。{note_zh}"
    )
    return Verdict(label, en, zh, evidence)


def figure_ensemble(results: list[Result], out_dir: Path) -> list[Path]:
    plt = pyplot()
    ts = results[0]["series"]["mc_samples"]
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.4))
    for ax, key, ylabel in ((axes[0], "agreement", "agreement with the deterministic net"),
                            (axes[1], "test_acc_mc", "test accuracy")):
        for r in results:
            ax.plot(ts, r["series"][key], color="C0", alpha=0.25, marker=".")
        ax.plot(ts, series_mean(results, key), color="C0", linewidth=2, marker="o", label="MC average of T nets")
        ax.set_xscale("log")
        ax.set_xlabel("T (thinned networks averaged)")
        ax.set_ylabel(ylabel)
    det = statistics.fmean(stats.metric_values(results, "test_acc_deterministic"))
    axes[1].axhline(det, color="C3", linestyle="--", label=f"deterministic (weight-scaled): {det:.3f}")
    axes[0].axhline(ENSEMBLE_MIN_AGREEMENT, color="red", linestyle=":", label="threshold")
    axes[0].set_title("Deterministic net vs Monte-Carlo ensemble")
    axes[1].set_title("Accuracy as the ensemble grows")
    for ax in axes:
        ax.legend()
    fig.suptitle("Dropout as an ensemble of thinned networks (Srivastava et al. 2014)")
    return [save_figure(fig, out_dir, "q04_dropout_ensemble.png")]


# =========================================================================== records


_CLAIMS = (
    Claim(
        id="q04.l1-zeros-l2-shrinks",
        question=4,
        section=_SECTION,
        note_zh="L1 正则化减少参数绝对值之和,L2 减少参数平方和;LASSO 回归可使一些较小的系数直接变为 0,适合参数选择与稀疏估计。",
        claim_en=(
            "On diabetes (standardised, intercept free), along 8 strengths alpha from 0.8 to 0.005 of alpha_max, the "
            "LASSO solution of (1/2n)||y - Xw||^2 + alpha ||w||_1 by proximal gradient (ISTA with soft-thresholding, "
            "float64, run to a step below 1e-10) has on average more than one exactly-zero coefficient, while the "
            "ridge solution of (1/2n)||y - Xw||^2 + alpha * 0.5 ||w||^2 has none; both agree with scikit-learn's "
            "Lasso(alpha) and Ridge(n * alpha) to 1e-4 (else INCONCLUSIVE). Subgradient descent on the L1 objective "
            "is reported as a contrast."
        ),
        claim_zh=(
            "在 diabetes(标准化,截距不受罚)上,沿 alpha 从 alpha_max 的 0.8 到 0.005 的 8 个强度,用近端梯度(ISTA 软阈值,"
            "float64,步长变化低于 1e-10)求解 (1/2n)||y - Xw||^2 + alpha ||w||_1 的 LASSO 解平均有多于 1 个系数恰为 0,"
            "而 (1/2n)||y - Xw||^2 + alpha * 0.5 ||w||^2 的岭回归解没有;两者与 scikit-learn 的 Lasso(alpha)、Ridge(n * alpha) "
            "相差不超过 1e-4(否则 INCONCLUSIVE)。对 L1 目标的次梯度下降作为对照。"
        ),
        metric="number of exactly-zero coefficients per strength; max |coefficient - scikit-learn's|",
        comparison="95% interval of the mean L1 zero count over splits vs the threshold; L2 total must be 0",
        threshold=f"L1 mean zeros > {L1_MIN_ZEROS:g}, L2 zeros = 0, |diff| <= {AGREE_TOL:g}",
        experiment=run_path,
        configs=configs_path,
        verdict=verdict_path,
        figure=figure_path,
    ),
    Claim(
        id="q04.l1-sparse-first-layer",
        question=4,
        section=_SECTION,
        note_zh="L1 正则化可以产生稀疏参数(一些系数直接为 0),L2 只让参数变小。",
        claim_en=(
            "For a one-hidden-layer MLP (width 32) on digits (the full profile: MNIST) trained by plain SGD, a "
            "proximal L1 step "
            "(coefficient 5e-3, weights only) leaves more than 10% of the first-layer weights exactly zero, while "
            "L2 weight decay of the same coefficient and no regularisation leave none (paired by seed)."
        ),
        claim_zh=(
            "在 digits(full 配置:MNIST)上用普通 SGD 训练单隐层 MLP(宽 32):近端 L1(系数 5e-3,仅权重)使超过 10% 的第一层权重恰为 0,"
            "同系数的 L2 权重衰减和不加正则都没有恰为 0 的权重(按种子配对)。"
        ),
        metric="fraction of exactly-zero first-layer weights",
        comparison="95% interval of the L1 arm's mean vs the threshold; L2 and none must be exactly 0",
        threshold=MLP_MIN_ZERO_FRACTION,
        experiment=run_first_layer,
        configs=configs_first_layer,
        verdict=verdict_first_layer,
        figure=figure_first_layer,
    ),
    Claim(
        id="q04.dropout-train-only-inverted",
        question=4,
        section=_SECTION,
        note_zh="训练的时候使用 dropout,测试的时候不使用;神经元以概率 p 被丢弃,以 q=1-p 保留。",
        claim_en=(
            "mustknow's Dropout and torch.nn.Dropout are the identity in eval mode (max |output - input| = 0), and in "
            "train mode draw a fresh random mask at every call (none equal to the previous call's), drop a fraction "
            "p of units and, by the inverted 1/(1-p) scaling, keep the mean activation: "
            "over 200 masks on ReLU activations of digits, the train-mode mean and the drop rate are within "
            "4 standard errors (derived from the number of masked elements) of the input mean and of p, for p in "
            "0.1, 0.5, 0.8. The unscaled mask is shown for contrast."
        ),
        claim_zh=(
            "mustknow 的 Dropout 与 torch.nn.Dropout 在评估模式下为恒等映射(输出与输入最大差为 0);训练模式下每次调用都重新随机"
            "抽取掩码(没有与上一次相同的),丢弃比例为 p,"
            "且通过反向缩放 1/(1-p) 保持平均激活:在 digits 的 ReLU 激活上取 200 个掩码,p 为 0.1、0.5、0.8 时,训练模式均值与"
            "丢弃率与输入均值及 p 的差都在 4 个标准误(由被掩码元素个数导出)以内。不缩放的掩码作对照。"
        ),
        metric="z of the train-mode mean vs the input mean and of the drop rate vs p; max |eval output - input|",
        comparison="every seed, p and implementation: |z| < Z_MAX, eval difference exactly 0, no repeated mask",
        threshold=Z_MAX,
        experiment=run_dropout_mean,
        configs=configs_dropout_mean,
        verdict=verdict_dropout_mean,
        figure=figure_dropout_mean,
    ),
    Claim(
        id="q04.dropout-masks-per-sample",
        question=4,
        section=_SECTION,
        note_zh="dropout 对每个 mini-batch 训练不同的网络;是针对 sample 还是 batch?笔记猜测“大概是 sample 吧”。",
        claim_en=(
            "Dropout masks are drawn per element and per sample: in a batch of 128 rows of 64 units (p = 0.5) the "
            "fraction of sample pairs with identical masks is below 0.01 for mustknow's and PyTorch's dropout "
            "(a batch-shared mask gives 1). Training a digits MLP (MNIST in the full profile) with per-sample vs "
            "batch-shared masks is "
            "reported as a paired contrast."
        ),
        claim_zh=(
            "dropout 掩码按元素、按样本抽取:在 128 行、64 个单元的批次中(p = 0.5),mustknow 与 PyTorch 的 dropout 中掩码"
            "完全相同的样本对比例低于 0.01(批内共享掩码为 1)。用逐样本掩码与批内共享掩码训练 digits MLP(full 配置为 MNIST)作配对对照。"
        ),
        metric="fraction of sample pairs in a batch with identical masks",
        comparison="maximum over seeds for mustknow and PyTorch vs the threshold",
        threshold=IDENTICAL_MAX,
        experiment=run_dropout_net,
        configs=configs_dropout_net,
        verdict=verdict_masks,
        figure=figure_masks,
        seeds={"quick": 5, "full": 10},
    ),
    Claim(
        id="q04.dropout-ensemble",
        question=4,
        section=_SECTION,
        note_zh="Dropout 的思想是训练 DNN 的整体(集成)然后平均整体的结果,而不是训练单个 DNN。",
        claim_en=(
            "After training a 2-hidden-layer MLP with dropout p = 0.5 on digits (the full profile: MNIST), the "
            "deterministic test-time "
            "network (inverted scaling = Srivastava et al.'s weight scaling) approximates the average of T thinned "
            "networks: at T = 100 its predictions agree with the Monte-Carlo average on more than 95% of test "
            "digits and the accuracy difference lies within +-0.02 (paired interval); T = 1, 2, 5, 10, 50 are shown."
        ),
        claim_zh=(
            "在 digits(full 配置:MNIST)上以 p = 0.5 的 dropout 训练两隐层 MLP 后,测试时的确定性网络(反向缩放,等价于 Srivastava 等人的权重缩放)"
            "近似 T 个子网络的平均:T = 100 时与蒙特卡洛平均的预测在超过 95% 的测试样本上一致,准确率之差在 +-0.02 以内"
            "(配对区间);同时给出 T = 1、2、5、10、50。"
        ),
        metric="agreement of argmax predictions; test accuracy MC(T) - deterministic",
        comparison="95% intervals: agreement vs threshold; accuracy difference inside +-margin",
        threshold=f"agreement > {ENSEMBLE_MIN_AGREEMENT:g}, |acc diff| < {ENSEMBLE_ACC_MARGIN:g}",
        experiment=run_dropout_net,
        configs=configs_dropout_net,
        verdict=verdict_ensemble,
        figure=figure_ensemble,
        seeds={"quick": 5, "full": 10},
    ),
)

QUESTION = Question(
    number=4,
    title_zh="l1、l2原理?dropout具体实现原理,随机还是固定,训练过程和测试过程如何控制,是针对sample还是batch?",
    title_en=(
        "How do L1 and L2 regularisation work? How is dropout implemented: random or fixed, how is it controlled "
        "in training and at test time, and is it per sample or per batch?"
    ),
    answer_en=(
        "L1 adds lambda * sum|w| to the loss, L2 adds lambda * 0.5 * sum w^2. L2's gradient lambda * w shrinks every "
        "weight in proportion to its size and never makes it exactly zero; L1's pull lambda * sign(w) has the same "
        "size however small the weight, and at the optimum a weight is exactly zero whenever the loss gradient "
        "with respect to it is at most lambda in magnitude (the subgradient condition), so LASSO (Tibshirani "
        "1996) selects features. Exact zeros need a solver that can land on zero: the proximal "
        "step soft_threshold(w - lr * grad, lr * lambda) (ISTA; Beck & Teboulle 2009) or coordinate descent; plain "
        "subgradient descent on |w| oscillates around zero instead. Dropout (Srivastava et al. 2014) multiplies "
        "each unit by a fresh random Bernoulli(1 - p) mask at every forward pass in training mode; the mask is drawn "
        "independently for every element of every sample of the batch (not one mask per batch), so each training "
        "example sees its own thinned network. Modern implementations scale the kept units by 1/(1 - p) during "
        "training (inverted dropout) so that the expected activation is unchanged and evaluation (model.eval()) "
        "uses the full network with no change; the original paper instead multiplies the weights by 1 - p at test "
        "time. The full network at test time approximates the average of the exponentially many thinned networks, "
        "which Monte-Carlo averaging of sampled sub-networks approaches as their number grows."
    ),
    answer_zh=(
        "L1 在损失上加 lambda * sum|w|,L2 加 lambda * 0.5 * sum w^2。L2 的梯度 lambda * w 按权重大小成比例地收缩每个权重,"
        "但不会让它恰好为 0;L1 的拉力 lambda * sign(w) 无论权重多小都一样大,在最优点上,只要损失对某个权重的梯度绝对值不超过 "
        "lambda(次梯度条件),该权重就恰为 0,因此 LASSO(Tibshirani 1996)能做特征选择。"
        "要得到恰好的 0,求解器必须能落在 0 上:近端步骤 soft_threshold(w - lr * grad, "
        "lr * lambda)(ISTA;Beck 与 Teboulle 2009)或坐标下降;对 |w| 的普通次梯度下降只会在 0 附近振荡。Dropout(Srivastava "
        "等 2014)在训练模式下每次前向传播都对每个单元乘以新抽取的 Bernoulli(1 - p) 掩码;掩码对批次中每个样本的每个元素独立"
        "抽取(不是整个批次一个掩码),所以每个训练样本看到的是自己的子网络。现代实现在训练时把保留的单元乘以 1/(1 - p)"
        "(反向 dropout),使期望激活不变,评估(model.eval())时直接使用完整网络;原论文则在测试时把权重乘以 1 - p。测试时的"
        "完整网络近似指数多个子网络的平均,随子网络数增加,蒙特卡洛平均趋近于它。"
    ),
    implemented_by=(
        "mustknow.functional.l1_penalty",
        "mustknow.functional.l2_penalty",
        "mustknow.functional.soft_threshold",
        "mustknow.functional.proximal_l1_",
        "mustknow.functional.dropout",
        "mustknow.functional.dropout2d",
        "mustknow.nn.Dropout",
        "mustknow.nn.Dropout2d",
        "mustknow.lab.train.fit",
    ),
    note_figures=(),
    claims=_CLAIMS,
    full_profile_en=(
        "The full profile runs 10 seeds for every claim (on diabetes the seeds change the split). The L1 path "
        "(claim 1) stays on diabetes, a tabular regression, with 16 "
        "strengths from 0.9 to 0.001 of alpha_max and a tolerance of 1e-12; the dropout-statistics check "
        "(claim 3) stays on ReLU activations of digits, with 7 drop probabilities from 0.1 to 0.9, 1079 rows and "
        "1000 masks. The MLP experiments move to MNIST: a fixed stratified subset of "
        f"{FULL_N_TRAIN} training images (validation: 12000 images of the official training part; test: the "
        "official 10000), flattened to 784 pixels and standardised by one mean and standard deviation; the "
        "first-layer sparsity (claim 2) trains a width-128 MLP for 40 epochs in batches of 64, and the dropout "
        "mask and ensemble claims (4, 5) a 2x256 MLP for 40 epochs, averaging up to 500 thinned networks. "
        "Without the MNIST files under MUSTKNOW_DATA these configs name digits (all 1079 training images) "
        "instead, so their results are stored apart and never mixed with MNIST ones."
    ),
    full_profile_zh=(
        "full 配置对每个论断运行 10 个种子(在 diabetes 上种子改变数据划分)。L1 路径(论断 1)"
        "仍在表格回归数据 diabetes 上,取 alpha_max 的 0.9 到 0.001 之间 16 个强度,容差 1e-12;dropout 统计检验(论断 3)"
        "仍用 digits 的 ReLU 激活,取 0.1 到 0.9 的 7 个丢弃概率、1079 行、1000 个掩码。MLP 实验改用 MNIST:"
        f"固定的分层子集 {FULL_N_TRAIN} 张训练图像(验证集为官方训练部分中的 12000 张,测试集为官方的 10000 张),"
        "展平为 784 个像素并用同一个均值和标准差标准化;第一层稀疏性(论断 2)以批大小 64 训练宽 128 的 MLP 40 个 epoch,"
        "dropout 掩码与集成论断(4、5)训练 2x256 的 MLP 40 个 epoch,最多平均 500 个子网络。"
        "若 MUSTKNOW_DATA 下没有 MNIST 文件,这些配置改为使用 digits(全部 1079 张训练图像)并在配置中注明,"
        "因此其结果单独存储,绝不与 MNIST 结果混在一起。"
    ),
)
