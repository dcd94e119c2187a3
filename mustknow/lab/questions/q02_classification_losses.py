r"""Question 2: which losses are used for classification; the cross-entropy formula.

Five claims of the note, each an experiment with the verdict computed from
the stored results. Binary losses are functions of the margin :math:`m = ys`
of a score :math:`s` and a label :math:`y \in \{-1, +1\}`:

.. math::

    \ell_{0\text{-}1}(m) = [m \le 0], \qquad
    \ell_{\text{hinge}}(m) = \max(0, 1 - m), \qquad
    \ell_{\text{logistic}}(m) = \log(1 + e^{-m})
    = -\log \operatorname{softmax}(0, s)_{(y + 1)/2}.

1. the 0-1 loss has zero gradient almost everywhere, so gradient descent on
   it cannot leave its starting point (linear classifier, breast_cancer);
2. hinge and logistic losses both train a linear classifier, equally well;
3. the logistic loss is two-class cross-entropy, exactly;
4. the 0-1 loss is not convex (a counter-example is found), hinge and
   logistic are (random chords never violate Jensen's inequality);
5. the note's property table: 0-1 is discontinuous, non-convex, non-smooth;
   hinge continuous, convex, non-smooth.

The linear classifier is a score :math:`s = w^\top x + b` on breast_cancer's
30 standardised features. Every experiment is pure:
``run(config, seed) -> {"metrics", "series"}``.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from ... import functional as MF
from ...data import load_dataset
from .. import stats
from ..claims import Claim, Question, Result, Verdict
from ..figures import pyplot, save_figure, series_mean
from ..train import TrainConfig, fit, predict_logits, seed_everything

__all__ = ["QUESTION"]

_DPI = 110  # sharp enough for the report page, small files

_SECTION = "二、分类一般用什么损失函数?交叉熵的公式是什么?"
_LOSSES = ("zero_one", "hinge", "logistic")
_DTYPES = {"float64": torch.float64, "float32": torch.float32}


def _margin_loss(name: str) -> Callable[[torch.Tensor, torch.Tensor], torch.Tensor]:
    """``loss(scores, labels in {-1, +1}) -> per-element loss`` for one of :data:`_LOSSES`."""
    fn = {"zero_one": MF.zero_one_loss, "hinge": MF.hinge_loss, "logistic": MF.logistic_loss}[name]
    return lambda s, y: fn(s, y, reduction="none")


def _design(seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """breast_cancer's training rows with a constant column, (N, 31) float64, and labels in {-1, +1}."""
    train = load_dataset("breast_cancer", seed=seed).train
    x = torch.cat([train.x.double(), torch.ones(len(train), 1, dtype=torch.float64)], dim=1)  # (N, 30) -> (N, 31)
    return x, (2 * train.y - 1).double()  # {0, 1} -> {-1, +1}


def _risk(name: str, x: torch.Tensor, y: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
    """Empirical risk of parameter vectors ``w`` (P, 31): mean loss over rows, shape (P,)."""
    s = x @ w.T  # (N, 31) x (31, P) -> (N, P)
    return _margin_loss(name)(s, y[:, None].expand_as(s)).mean(0)  # (N, P) -> (P,)


# =========================================================================== claim 1: no gradient


@dataclass(frozen=True)
class ZeroOneGDConfig:
    """Full-batch gradient descent on the 0-1, hinge and logistic risks from one start (claim 1)."""

    steps: int = 100  # GD steps per loss: hinge and logistic reach high accuracy well before this
    lr: float = 0.1  # one step size for the three losses (their gradients are all bounded by ||x||)
    fd_step: float = 1e-6  # central finite-difference step for the 0-1 risk's gradient (float64)
    random_points: int = 200  # random parameter vectors where the 0-1 gradient is measured ("almost everywhere")
    init_std: float = 0.3  # start: N(0, 0.3^2) weights, scores of order 1 on standardised features


#: "Almost everywhere": the 0-1 risk's finite-difference gradient is exactly zero at
#: more than this fraction of random parameter vectors.
ZERO_GRAD_MIN_FRACTION = 0.99


def _zero_one_fd_grad(x: torch.Tensor, y: torch.Tensor, w: torch.Tensor, h: float) -> torch.Tensor:
    """Central finite differences of the 0-1 risk at each row of ``w`` (P, 31) -> (P, 31)."""
    p, d = w.shape
    eye = torch.eye(d, dtype=w.dtype) * h  # (31, 31)
    probes = torch.cat([w[:, None, :] + eye, w[:, None, :] - eye], dim=1).reshape(-1, d)  # (P * 62, 31)
    r = _risk("zero_one", x, y, probes).reshape(p, 2, d)  # (P * 62,) -> (P, 2, 31)
    return (r[:, 0] - r[:, 1]) / (2 * h)  # (P, 2, 31) -> (P, 31)


def _step_autograd_grad(x: torch.Tensor, y: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
    """Autograd gradient of the 0-1 risk written as a step, (1 - sign(m)) / 2 (sign' = 0 to autograd)."""
    w = w.clone().requires_grad_(True)
    m = y * (x @ w)  # (N, 31) x (31,) -> (N,)
    ((1 - torch.sign(m)) / 2).mean().backward()
    return w.grad


def run_zero_one_gd(config: ZeroOneGDConfig, seed: int) -> dict[str, Any]:
    """GD trajectories of the three risks from the same start; the 0-1 gradient at random points."""
    x, y = _design(seed)
    gen = torch.Generator().manual_seed(seed)
    start = torch.randn(x.shape[1], dtype=torch.float64, generator=gen) * config.init_std  # (31,)
    metrics: dict[str, float] = {}
    series: dict[str, list[float]] = {}
    for name in _LOSSES:
        w = start.clone()
        acc = [1.0 - float(_risk("zero_one", x, y, w[None]))]
        moved = [0.0]
        for _ in range(config.steps):
            if name == "zero_one":
                grad = _zero_one_fd_grad(x, y, w[None], config.fd_step)[0]
            else:
                v = w.clone().requires_grad_(True)
                _risk(name, x, y, v[None]).sum().backward()
                grad = v.grad
            w = w - config.lr * grad
            acc.append(1.0 - float(_risk("zero_one", x, y, w[None])))
            moved.append(float((w - start).norm()))
        metrics[f"{name}_param_change"] = moved[-1]
        metrics[f"{name}_acc_start"] = acc[0]
        metrics[f"{name}_acc_end"] = acc[-1]
        metrics[f"{name}_acc_gain"] = acc[-1] - acc[0]
        series[f"{name}_train_acc"] = acc
        series[f"{name}_param_change"] = moved
    metrics["autograd_step_grad_norm"] = float(_step_autograd_grad(x, y, start).norm())
    metrics["fd_grad_nonzero_fraction_at_start"] = float((_zero_one_fd_grad(x, y, start[None], config.fd_step) != 0)
                                                         .double().mean())
    points = torch.randn(config.random_points, x.shape[1], dtype=torch.float64, generator=gen)  # (P, 31)
    fd = _zero_one_fd_grad(x, y, points, config.fd_step)  # (P, 31)
    metrics["zero_grad_fraction_random_points"] = float((fd == 0).all(dim=1).double().mean())
    return {"metrics": metrics, "series": series}


def configs_zero_one_gd(profile: str) -> list[ZeroOneGDConfig]:
    return [ZeroOneGDConfig() if profile == "quick" else ZeroOneGDConfig(steps=500, random_points=2000)]


def verdict_zero_one_gd(results: list[Result]) -> Verdict:
    moved = max(stats.metric_values(results, "zero_one_param_change"))
    acc_change = max(abs(v) for v in stats.metric_values(results, "zero_one_acc_gain"))
    ae = stats.mean_ci(stats.metric_values(results, "zero_grad_fraction_random_points"))
    ae_label = stats.decide(ae, ZERO_GRAD_MIN_FRACTION, ">")
    contrast = {name: min(stats.metric_values(results, f"{name}_param_change")) for name in ("hinge", "logistic")}
    start = stats.metric_values(results, "zero_one_acc_start")
    ends = {name: stats.mean_ci(stats.metric_values(results, f"{name}_acc_end")) for name in ("hinge", "logistic")}
    if moved > 0 or ae_label == "REFUTED":
        label = "REFUTED"
    elif ae_label == "SUPPORTED" and all(v > 0 for v in contrast.values()):
        label = "SUPPORTED"
    else:
        label = "INCONCLUSIVE"
    steps = results[0]["config"]["steps"]
    en = (
        f"After {steps} gradient-descent steps on the 0-1 risk (central finite differences) the parameters moved "
        f"{moved:.3g} and the training accuracy changed by {acc_change:.3g}; the 0-1 gradient was exactly zero at "
        f"{ae.fmt()} of random parameter vectors (threshold {ZERO_GRAD_MIN_FRACTION:g}); from the same starts "
        f"(training accuracy {min(start):.3g}-{max(start):.3g}), hinge moved at least {contrast['hinge']:.3g} and "
        f"reached {ends['hinge'].fmt()}, logistic moved at least {contrast['logistic']:.3g} and reached "
        f"{ends['logistic'].fmt()}."
    )
    zh = (
        f"对 0-1 风险做 {steps} 步梯度下降(中心差分)后参数移动 {moved:.3g},训练准确率变化 {acc_change:.3g};在随机参数点上 "
        f"0-1 梯度恰为零的比例为 {ae.fmt()}(阈值 {ZERO_GRAD_MIN_FRACTION:g});从相同起点出发(训练准确率 {min(start):.3g}-{max(start):.3g}),"
        f"hinge 至少移动 {contrast['hinge']:.3g},准确率达到 {ends['hinge'].fmt()};logistic 至少移动 "
        f"{contrast['logistic']:.3g},达到 {ends['logistic'].fmt()}。"
    )
    evidence = {"threshold_zero_grad_fraction": ZERO_GRAD_MIN_FRACTION, "zero_one_param_change_max": moved,
                "zero_one_acc_change_max": acc_change, "zero_grad_fraction": ae.to_dict(),
                "autograd_step_grad_norm_max": max(stats.metric_values(results, "autograd_step_grad_norm")),
                "min_param_change": contrast, "acc_start": start,
                "acc_end": {k: v.to_dict() for k, v in ends.items()}}
    return Verdict(label, en, zh, evidence)


def figure_zero_one_gd(results: list[Result], out_dir: Path) -> list[Path]:
    plt = pyplot()
    fig, (ax0, ax1) = plt.subplots(1, 2, figsize=(11, 4.2))
    for name, style in zip(_LOSSES, ("-", "--", "-.")):
        acc = series_mean(results, f"{name}_train_acc")
        ax0.plot(range(len(acc)), acc, style, lw=2, label=name.replace("_", "-"))
        ax1.plot(range(len(acc)), series_mean(results, f"{name}_param_change"), style, lw=2,
                 label=name.replace("_", "-"))
    ax0.set_xlabel("gradient-descent step")
    ax0.set_ylabel("training accuracy")
    ax0.set_title(f"Training accuracy from the same start (mean of {len(results)} seeds)")
    ax1.set_xlabel("gradient-descent step")
    ax1.set_ylabel("||w_t - w_0||")
    ax1.set_title("Distance travelled: the 0-1 run never leaves its start")
    for ax in (ax0, ax1):
        ax.legend()
        ax.grid(alpha=0.3)
    return [save_figure(fig, out_dir, "q02_zero_one_gd.png", dpi=_DPI)]


# =========================================================================== claim 2: hinge vs logistic


@dataclass(frozen=True)
class SurrogateConfig:
    """A linear classifier trained with one surrogate loss on breast_cancer (claim 2)."""

    loss: str = "hinge"  # "hinge" or "logistic": the two arms, paired by seed (same split, same init)
    optimizer: str = "sgd"  # plain SGD: the classic setting for both the SVM and logistic regression
    lr: float = 0.01  # a step size that trains both losses without tuning either
    epochs: int = 20  # both training losses flatten out on 341 rows well before this
    batch_size: int = 64  # minibatches, as usually trained; 6 steps per epoch keeps the quick run cheap


#: Both losses "work": held-out accuracy above this (95% interval over seeds).
ACC_MIN = 0.9
#: "Equally well": the paired accuracy difference lies within +- this (95% interval).
EQUIVALENCE_MARGIN = 0.02


def run_surrogate(config: SurrogateConfig, seed: int) -> dict[str, Any]:
    """Held-out (val + test) accuracy of a linear classifier trained with the configured loss."""
    data = load_dataset("breast_cancer", seed=seed)
    seed_everything(seed)
    model = torch.nn.Linear(data.num_features, 1)
    loss = _margin_loss(config.loss)

    def objective(out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return loss(out.squeeze(1), 2 * y - 1).mean()  # (N, 1) -> (N,) -> scalar

    cfg = TrainConfig(optimizer=config.optimizer, lr=config.lr, epochs=config.epochs, batch_size=config.batch_size)
    history = fit(model, data.train, None, cfg, seed=seed, loss_fn=objective)
    x = torch.cat([data.val.x, data.test.x])  # (228, 30)
    y = torch.cat([data.val.y, data.test.y])  # (228,)
    s = predict_logits(model, x).squeeze(1)  # (228, 1) -> (228,)
    return {
        "metrics": {"heldout_acc": float(((s > 0).long() == y).double().mean()),
                    "train_acc": history.train_acc[-1]},
        "series": {"train_loss": history.train_loss, "train_acc": history.train_acc},
    }


def configs_surrogate(profile: str) -> list[SurrogateConfig]:
    epochs = 20 if profile == "quick" else 100
    return [SurrogateConfig(loss=name, epochs=epochs) for name in ("hinge", "logistic")]


def verdict_surrogate(results: list[Result]) -> Verdict:
    arms = {name: stats.metric_values(stats.select(results, loss=name), "heldout_acc")
            for name in ("hinge", "logistic")}
    accs = {name: stats.mean_ci(v) for name, v in arms.items()}
    diff = stats.paired_diff(arms["hinge"], arms["logistic"])
    acc_labels = [stats.decide(iv, ACC_MIN, ">") for iv in accs.values()]
    if -EQUIVALENCE_MARGIN < diff.low and diff.high < EQUIVALENCE_MARGIN:
        equal = "SUPPORTED"
    elif diff.low >= EQUIVALENCE_MARGIN or diff.high <= -EQUIVALENCE_MARGIN:
        equal = "REFUTED"
    else:
        equal = "INCONCLUSIVE"
    if "REFUTED" in acc_labels:
        label = "REFUTED"
    elif all(lab == "SUPPORTED" for lab in acc_labels):
        label = {"SUPPORTED": "SUPPORTED", "REFUTED": "NUANCED", "INCONCLUSIVE": "INCONCLUSIVE"}[equal]
    else:
        label = "INCONCLUSIVE"
    en = (
        f"Held-out accuracy of a linear classifier on breast_cancer (228 rows, {len(arms['hinge'])} seeds): hinge "
        f"{accs['hinge'].fmt()}, logistic {accs['logistic'].fmt()} (threshold {ACC_MIN:g}); paired difference "
        f"hinge - logistic {diff.fmt()} (equal if inside +-{EQUIVALENCE_MARGIN:g})."
    )
    zh = (
        f"breast_cancer 上线性分类器的留出准确率(228 行,{len(arms['hinge'])} 个种子):hinge {accs['hinge'].fmt()},"
        f"logistic {accs['logistic'].fmt()}(阈值 {ACC_MIN:g});配对差 hinge - logistic {diff.fmt()}"
        f"(落在 +-{EQUIVALENCE_MARGIN:g} 内视为相当)。"
    )
    evidence = {"threshold_acc": ACC_MIN, "equivalence_margin": EQUIVALENCE_MARGIN,
                "hinge": accs["hinge"].to_dict(), "logistic": accs["logistic"].to_dict(), "diff": diff.to_dict(),
                "per_seed": arms}
    return Verdict(label, en, zh, evidence)


def figure_surrogate(results: list[Result], out_dir: Path) -> list[Path]:
    plt = pyplot()
    fig, (ax0, ax1) = plt.subplots(1, 2, figsize=(10, 4.2))
    for k, name in enumerate(("hinge", "logistic")):
        arm = stats.select(results, loss=name)
        values = stats.metric_values(arm, "heldout_acc")
        iv = stats.mean_ci(values)
        ax0.scatter([k] * len(values), values, alpha=0.6, label=f"{name}: seeds")
        err = 0.0 if not math.isfinite(iv.high) else iv.high - iv.mean
        ax0.errorbar([k + 0.15], [iv.mean], yerr=[err], fmt="ks", capsize=4)
        curve = series_mean(arm, "train_loss")
        ax1.plot(range(1, len(curve) + 1), curve, lw=2, label=name)
    ax0.axhline(ACC_MIN, color="red", ls="--", label=f"threshold {ACC_MIN:g}")
    ax0.set_xticks([0, 1], ["hinge", "logistic"])
    ax0.set_xlim(-0.5, 1.5)
    ax0.set_ylabel("held-out accuracy (val + test)")
    ax0.set_title("Linear classifier on breast_cancer (mean, 95% CI)")
    ax0.legend(fontsize=8)
    ax1.set_xlabel("epoch")
    ax1.set_ylabel("training loss (own loss)")
    ax1.set_title("Training curves (mean over seeds)")
    ax1.legend()
    ax1.grid(alpha=0.3)
    return [save_figure(fig, out_dir, "q02_hinge_vs_logistic.png", dpi=_DPI)]


# =========================================================================== claim 3: logistic = 2-class CE


@dataclass(frozen=True)
class LogisticCEConfig:
    """Random scores compared through the logistic loss and two-class cross-entropy (claim 3)."""

    samples: int = 20_000  # random (score, label) pairs per seed and dtype
    log10_scale_low: float = -3.0  # score magnitudes log-uniform from 10^-3 ...
    log10_scale_high: float = 4.0  # ... to 10^4 (saturated margins either way)
    plot_points: int = 300  # (score, error) pairs kept for the figure


#: Equal when the losses agree within this many machine epsilons relative to
#: max(1, |loss|), and the score-gradients within this many epsilons.
LOGISTIC_CE_MAX_EPS = 8.0
_EXTREME_SCORES = (0.0, 40.0, -40.0, 1e4, -1e4, 1e30, -1e30)


def run_logistic_ce(config: LogisticCEConfig, seed: int) -> dict[str, Any]:
    """Max relative gap between logistic_loss(s, y) and cross_entropy([0, s], (y + 1) / 2), values and gradients."""
    gen = torch.Generator().manual_seed(seed)
    log_scale = torch.empty(config.samples, dtype=torch.float64).uniform_(
        config.log10_scale_low, config.log10_scale_high, generator=gen
    )
    s64 = torch.cat([torch.randn(config.samples, dtype=torch.float64, generator=gen) * 10.0**log_scale,
                     torch.tensor(_EXTREME_SCORES, dtype=torch.float64)])  # (S + E,)
    y = torch.randint(0, 2, s64.shape, generator=gen) * 2 - 1  # (S + E,) in {-1, +1}
    metrics: dict[str, float] = {}
    series: dict[str, list[float]] = {}
    for name, dtype in _DTYPES.items():
        eps = torch.finfo(dtype).eps
        a = s64.to(dtype).requires_grad_(True)
        log_loss = MF.logistic_loss(a, y, reduction="none")
        (grad_a,) = torch.autograd.grad(log_loss.sum(), a)
        b = s64.to(dtype).requires_grad_(True)
        logits = torch.stack([torch.zeros_like(b), b], dim=1)  # (S + E,) -> (S + E, 2)
        ce = MF.cross_entropy(logits, (y + 1) // 2, reduction="none")  # (S + E, 2) -> (S + E,)
        (grad_b,) = torch.autograd.grad(ce.sum(), b)
        scale = ce.detach().abs().clamp_min(1.0)
        value_err = ((log_loss.detach() - ce.detach()).abs() / scale).double() / eps
        grad_err = (grad_a - grad_b).abs().double() / eps
        metrics[f"value_err_eps_{name}"] = float(value_err.max())
        metrics[f"grad_err_eps_{name}"] = float(grad_err.max())
        metrics[f"all_finite_{name}"] = float(torch.isfinite(log_loss).all() & torch.isfinite(ce).all())
        keep = torch.arange(0, len(s64), max(1, len(s64) // config.plot_points))
        series[f"score_{name}"] = s64[keep].tolist()
        series[f"err_eps_{name}"] = torch.maximum(value_err, grad_err)[keep].tolist()
    return {"metrics": metrics, "series": series}


def configs_logistic_ce(profile: str) -> list[LogisticCEConfig]:
    return [LogisticCEConfig() if profile == "quick" else LogisticCEConfig(samples=1_000_000)]


def verdict_logistic_ce(results: list[Result]) -> Verdict:
    worst = {f"{kind}_{name}": max(stats.metric_values(results, f"{kind}_err_eps_{name}"))
             for name in _DTYPES for kind in ("value", "grad")}
    finite = min(min(stats.metric_values(results, f"all_finite_{name}")) for name in _DTYPES)
    label = "SUPPORTED" if finite == 1.0 and all(v <= LOGISTIC_CE_MAX_EPS for v in worst.values()) else "REFUTED"
    n = results[0]["config"]["samples"] + len(_EXTREME_SCORES)
    parts = ", ".join(f"{k.replace('_', ' ')} {v:.3g}" for k, v in worst.items())
    en = (
        f"Over {len(results)} seeds x {n} scores (magnitudes up to 1e4, plus extremes up to 1e30) with random "
        f"labels, logistic_loss(s, y) and cross_entropy([0, s], (y + 1) / 2) differ by at most (machine eps, "
        f"relative to max(1, loss) for values): {parts} (threshold {LOGISTIC_CE_MAX_EPS:g}); all finite: "
        f"{finite == 1.0}."
    )
    zh = (
        f"在 {len(results)} 个种子 x {n} 个得分(幅度至 1e4,另加至 1e30 的极端值)与随机标签上,logistic_loss(s, y) 与 "
        f"cross_entropy([0, s], (y + 1) / 2) 的最大差(机器 epsilon,数值相对于 max(1, loss)):{parts}"
        f"(阈值 {LOGISTIC_CE_MAX_EPS:g});全部有限:{finite == 1.0}。"
    )
    return Verdict(label, en, zh, {"threshold_eps": LOGISTIC_CE_MAX_EPS, "worst_eps": worst, "all_finite": finite})


def figure_logistic_ce(results: list[Result], out_dir: Path) -> list[Path]:
    plt = pyplot()
    fig, (ax0, ax1) = plt.subplots(1, 2, figsize=(11, 4.2))
    m = torch.linspace(-6, 6, 241, dtype=torch.float64)
    ones = torch.ones_like(m, dtype=torch.long)
    ax0.plot(m, MF.logistic_loss(m, ones, reduction="none"), lw=3, alpha=0.5, label="logistic_loss(s, +1)")
    ax0.plot(m, MF.cross_entropy(torch.stack([torch.zeros_like(m), m], 1), ones, reduction="none"), "k--",
             lw=1.2, label="cross_entropy([0, s], class 1)")
    ax0.set_xlabel("score s")
    ax0.set_ylabel("loss")
    ax0.set_title("Logistic loss = two-class cross-entropy")
    ax0.legend()
    ax0.grid(alpha=0.3)
    r = results[0]
    for name, marker in zip(_DTYPES, ("o", "s")):
        score = [abs(v) + 1e-300 for v in r["series"][f"score_{name}"]]
        ax1.scatter(score, r["series"][f"err_eps_{name}"], s=8, marker=marker, alpha=0.6, label=name)
    ax1.axhline(LOGISTIC_CE_MAX_EPS, color="red", ls="--", label=f"threshold {LOGISTIC_CE_MAX_EPS:g} eps")
    ax1.set_xscale("log")
    ax1.set_xlabel("|s|")
    ax1.set_ylabel("gap (machine eps), values and gradients")
    ax1.set_title(f"Tested points (seed {r['seed']}, subsample)")
    ax1.legend()
    return [save_figure(fig, out_dir, "q02_logistic_is_cross_entropy.png", dpi=_DPI)]


# =========================================================================== claims 4 and 5: loss shapes


@dataclass(frozen=True)
class ShapeConfig:
    """Chords, jumps and kinks of the three losses, on the margin and on breast_cancer's risk (claims 4, 5)."""

    chords: int = 20_000  # random chords per loss on the margin axis
    risk_chords: int = 500  # random chords per loss in the 31-dim parameter space of the empirical risk
    margin_range: float = 3.0  # chord end points drawn from [-3, 3]: both kinks (0 and 1) inside
    grid_points: int = 601  # margins where jumps and kinks are measured (the kinks 0 and 1 are added)
    delta: float = 1e-7  # half-width of the jump test and of the one-sided slopes


#: Jensen's inequality counts as violated when l(t a + (1-t) b) exceeds the chord by more
#: than this, relative to max(1, chord) -- float64 rounding is far below it.
JENSEN_TOL = 1e-9
#: A loss is discontinuous where |l(m + delta) - l(m - delta)| exceeds this (a continuous,
#: Lipschitz-1 loss moves at most 2 delta = 2e-7).
JUMP_TOL = 1e-3
#: A loss is non-smooth where its right and left slopes differ by more than this.
KINK_TOL = 1e-2
#: The note's table: (continuous, convex, smooth) per loss; logistic is not in the note.
NOTE_PROPERTIES = {"zero_one": (False, False, False), "hinge": (True, True, False)}


def _on_margin(name: str, m: torch.Tensor) -> torch.Tensor:
    """The loss as a function of the margin (score m, label +1)."""
    return _margin_loss(name)(m, torch.ones_like(m))


def run_shapes(config: ShapeConfig, seed: int) -> dict[str, Any]:
    """Jensen violations on random chords (margin axis and parameter space), jumps and slope kinks."""
    gen = torch.Generator().manual_seed(seed)
    r = config.margin_range
    a = torch.empty(config.chords, dtype=torch.float64).uniform_(-r, r, generator=gen)
    b = torch.empty(config.chords, dtype=torch.float64).uniform_(-r, r, generator=gen)
    t = torch.rand(config.chords, dtype=torch.float64, generator=gen)
    x, y = _design(seed)
    wa = torch.randn(config.risk_chords, x.shape[1], dtype=torch.float64, generator=gen)  # (P, 31)
    wb = torch.randn(config.risk_chords, x.shape[1], dtype=torch.float64, generator=gen)  # (P, 31)
    tw = torch.rand(config.risk_chords, 1, dtype=torch.float64, generator=gen)  # (P, 1)
    m = torch.cat([torch.linspace(-r, r, config.grid_points, dtype=torch.float64),
                   torch.tensor([0.0, 1.0], dtype=torch.float64)])  # (G + 2,)
    d = config.delta
    metrics: dict[str, float] = {}
    series: dict[str, list[float]] = {"grid": m[:-2].tolist()}
    for name in _LOSSES:
        fn = functools.partial(_on_margin, name)
        chord = t * fn(a) + (1 - t) * fn(b)
        bad = fn(t * a + (1 - t) * b) > chord + JENSEN_TOL * chord.abs().clamp_min(1.0)  # (chords,)
        metrics[f"{name}_violation_fraction"] = float(bad.double().mean())
        if name == "zero_one" and bool(bad.any()):
            i = int(bad.nonzero()[0])
            metrics.update(counter_a=float(a[i]), counter_b=float(b[i]), counter_t=float(t[i]))
        risk_chord = tw[:, 0] * _risk(name, x, y, wa) + (1 - tw[:, 0]) * _risk(name, x, y, wb)
        risk_bad = _risk(name, x, y, tw * wa + (1 - tw) * wb) > risk_chord + JENSEN_TOL * risk_chord.clamp_min(1.0)
        metrics[f"{name}_risk_violation_fraction"] = float(risk_bad.double().mean())
        jump = (fn(m + d) - fn(m - d)).abs()  # (G + 2,)
        right = (fn(m + 2 * d) - fn(m + d)) / d
        left = (fn(m - d) - fn(m - 2 * d)) / d
        kink = (right - left).abs()
        metrics[f"{name}_max_jump"] = float(jump.max())
        metrics[f"{name}_jump_at"] = float(m[jump.argmax()])
        metrics[f"{name}_max_kink"] = float(kink.max())
        metrics[f"{name}_kink_at"] = float(m[kink.argmax()])
        series[f"{name}_loss"] = fn(m[:-2]).tolist()
    return {"metrics": metrics, "series": series}


def configs_shapes(profile: str) -> list[ShapeConfig]:
    return [ShapeConfig() if profile == "quick" else ShapeConfig(chords=1_000_000, risk_chords=20_000)]


def _worst(results: Sequence[Result], metric: str) -> float:
    return max(stats.metric_values(results, metric))


def verdict_convexity(results: list[Result]) -> Verdict:
    v = {f"{n}{kind}": _worst(results, f"{n}{kind}_violation_fraction") for n in _LOSSES for kind in ("", "_risk")}
    zero_one_found = min(stats.metric_values(results, "zero_one_violation_fraction")) > 0
    convex_ok = all(v[f"{n}{kind}"] == 0 for n in ("hinge", "logistic") for kind in ("", "_risk"))
    if zero_one_found and convex_ok:
        label = "SUPPORTED"
    elif not convex_ok:
        label = "REFUTED"
    else:
        label = "INCONCLUSIVE"  # no 0-1 counter-example in this many chords: the search did not decide
    first = stats.select(results)[0]["metrics"]
    if "counter_a" in first:
        ca, cb, ct = first["counter_a"], first["counter_b"], first["counter_t"]
        mid = ct * ca + (1 - ct) * cb
        example = (f"a counter-example: margins a = {ca:.3g}, b = {cb:.3g}, t = {ct:.3g} give "
                   f"l(t a + (1 - t) b) = l({mid:.3g}) = {float(mid <= 0):g} > t l(a) + (1 - t) l(b) = "
                   f"{ct * float(ca <= 0) + (1 - ct) * float(cb <= 0):.3g}")
    else:
        example = "no counter-example found"
    en = (
        f"Fraction of random chords violating Jensen's inequality (worst seed; margin axis / empirical risk on "
        f"breast_cancer): 0-1 {v['zero_one']:.3g} / {v['zero_one_risk']:.3g}, hinge {v['hinge']:.3g} / "
        f"{v['hinge_risk']:.3g}, logistic {v['logistic']:.3g} / {v['logistic_risk']:.3g} (convex means exactly 0); "
        f"{example}."
    )
    zh = (
        f"违反 Jensen 不等式的随机弦比例(最差种子;间隔轴 / breast_cancer 上的经验风险):0-1 {v['zero_one']:.3g} / "
        f"{v['zero_one_risk']:.3g},hinge {v['hinge']:.3g} / {v['hinge_risk']:.3g},logistic {v['logistic']:.3g} / "
        f"{v['logistic_risk']:.3g}(凸即恰为 0);0-1 损失的反例:"
        + (f"a = {ca:.3g}, b = {cb:.3g}, t = {ct:.3g}" if "counter_a" in first else "未找到")
        + "。"
    )
    return Verdict(label, en, zh, {"jensen_tolerance": JENSEN_TOL, "violation_fraction_worst": v,
                                   "counter_example": {k: first[k] for k in ("counter_a", "counter_b", "counter_t")
                                                       if k in first}})


def _properties(results: Sequence[Result], name: str) -> tuple[bool, bool, bool]:
    """(continuous, convex, smooth) of one loss, as measured (worst over seeds)."""
    continuous = _worst(results, f"{name}_max_jump") <= JUMP_TOL
    convex = _worst(results, f"{name}_violation_fraction") == 0
    smooth = continuous and _worst(results, f"{name}_max_kink") <= KINK_TOL
    return continuous, convex, smooth


def _property_words(props: tuple[bool, bool, bool], zh: bool = False) -> str:
    """(continuous, convex, smooth) flags as words, e.g. "discontinuous, non-convex, non-smooth"."""
    yes, no = (("连续", "凸", "光滑"), ("不连续", "非凸", "不光滑")) if zh else (
        ("continuous", "convex", "smooth"), ("discontinuous", "non-convex", "non-smooth"))
    return ("、" if zh else ", ").join(yes[i] if p else no[i] for i, p in enumerate(props))


def verdict_properties(results: list[Result]) -> Verdict:
    measured = {name: _properties(results, name) for name in _LOSSES}
    mismatches = [name for name, expected in NOTE_PROPERTIES.items() if measured[name] != expected]
    label = "REFUTED" if mismatches else "SUPPORTED"

    def where(name: str) -> str:
        at = {k: round(results[0]["metrics"][f"{name}_{k}_at"], 6) + 0.0 for k in ("jump", "kink")}  # -0 -> 0
        return (f"max jump {_worst(results, f'{name}_max_jump'):.3g} at m = {at['jump']:.3g}, max slope change "
                f"{_worst(results, f'{name}_max_kink'):.3g} at m = {at['kink']:.3g}")

    en = (
        "Measured on the margin axis: "
        + "; ".join(f"{n.replace('_', '-')}: {_property_words(measured[n])} ({where(n)})" for n in _LOSSES)
        + f" (jump > {JUMP_TOL:g} = discontinuous, slope change > {KINK_TOL:g} = non-smooth); the note's table "
        + ("matches." if not mismatches else f"does not match for {', '.join(mismatches)}.")
    )
    zh = (
        "在间隔轴上测得:"
        + ";".join(f"{n.replace('_', '-')}:{_property_words(measured[n], zh=True)}" for n in _LOSSES)
        + f"(跳跃 > {JUMP_TOL:g} 为不连续,斜率变化 > {KINK_TOL:g} 为不光滑);笔记的表"
        + ("相符。" if not mismatches else f"在 {', '.join(mismatches)} 上不符。")
    )
    evidence = {"jump_tolerance": JUMP_TOL, "kink_tolerance": KINK_TOL,
                "measured": {n: dict(zip(("continuous", "convex", "smooth"), measured[n])) for n in _LOSSES},
                "note": {n: dict(zip(("continuous", "convex", "smooth"), p)) for n, p in NOTE_PROPERTIES.items()}}
    return Verdict(label, en, zh, evidence)


def figure_convexity(results: list[Result], out_dir: Path) -> list[Path]:
    plt = pyplot()
    r = stats.select(results)[0]
    grid = r["series"]["grid"]
    fig, axes = plt.subplots(1, 3, figsize=(13, 4))
    for ax, name in zip(axes, _LOSSES):
        ax.plot(grid, r["series"][f"{name}_loss"], lw=2, label=f"{name.replace('_', '-')} loss")
        if name == "zero_one" and "counter_a" in r["metrics"]:
            a, b, t = r["metrics"]["counter_a"], r["metrics"]["counter_b"], r["metrics"]["counter_t"]
        else:
            a, b, t = -2.0, 2.0, 0.5  # an illustrative chord for the convex losses
        fa, fb = (float(_on_margin(name, torch.tensor([v], dtype=torch.float64))) for v in (a, b))
        mid = t * a + (1 - t) * b
        ax.plot([a, b], [fa, fb], "o-", color="C1", label="chord")
        ax.plot([mid], [float(_on_margin(name, torch.tensor([mid], dtype=torch.float64)))], "r*", ms=12,
                label="loss at t a + (1 - t) b")
        ax.plot([mid], [t * fa + (1 - t) * fb], "kx", ms=9, label="chord at the same point")
        ax.set_xlabel("margin m = y s")
        ax.set_title({"zero_one": "0-1: a chord below the curve (non-convex)",
                      "hinge": "hinge: curve below every chord", "logistic": "logistic: curve below every chord"}[name])
        ax.legend(fontsize=7)
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("loss")
    return [save_figure(fig, out_dir, "q02_convexity_chords.png", dpi=_DPI)]


def figure_properties(results: list[Result], out_dir: Path) -> list[Path]:
    plt = pyplot()
    r = stats.select(results)[0]
    grid = torch.tensor(r["series"]["grid"])
    fig, axes = plt.subplots(1, 3, figsize=(13, 4))
    for ax, name in zip(axes, _LOSSES):
        loss = torch.tensor(r["series"][f"{name}_loss"])
        slope = (loss[1:] - loss[:-1]) / (grid[1:] - grid[:-1])  # (G,) -> (G - 1,)
        centres = (grid[1:] + grid[:-1]) / 2
        ax.plot(grid, loss, lw=2, label="loss")
        ax.step(centres, slope.clamp(-3, 3), where="mid", color="C3", label="secant slope (clipped to +-3)")
        for kind, tol in (("jump", JUMP_TOL), ("kink", KINK_TOL)):
            if r["metrics"][f"{name}_max_{kind}"] > tol:
                ax.axvline(r["metrics"][f"{name}_{kind}_at"], color="0.5", ls=":", label=f"measured {kind}")
                break
        ax.set_title(f"{name.replace('_', '-')}: {_property_words(_properties(results, name))}", fontsize=10)
        ax.set_xlabel("margin m = y s")
        ax.legend(fontsize=7)
        ax.grid(alpha=0.3)
    return [save_figure(fig, out_dir, "q02_loss_properties.png", dpi=_DPI)]


# =========================================================================== records

_CLAIMS = (
    Claim(
        id="q02.zero-one-no-gradient",
        question=2,
        section=_SECTION,
        note_zh="0-1 损失函数是阶梯函数,不连续、非凸、不平滑,因此优化难度很大。",
        claim_en=(
            "The 0-1 risk of a linear classifier on breast_cancer is piecewise constant in the parameters, so its "
            "gradient is zero almost everywhere: (a) its central finite-difference gradient (step 1e-6, float64) "
            "is exactly zero at more than 99% of random parameter vectors; (b) full-batch gradient descent on it "
            "(100 steps quick, 500 full) leaves the parameters and the training accuracy exactly unchanged, while "
            "the same steps on the hinge and logistic risks from the same start move the parameters and raise the "
            "accuracy. (Autograd through a step written as (1 - sign(m)) / 2 returns zero too; mustknow's zero_one_loss "
            "returns no graph at all.)"
        ),
        claim_zh=(
            "breast_cancer 上线性分类器的 0-1 风险对参数是分段常数,所以梯度几乎处处为零:(a)其中心差分梯度(步长 1e-6,"
            "float64)在超过 99% 的随机参数点上恰为零;(b)对它做全批量梯度下降(quick 100 步,full 500 步),参数与训练准确率完全不变,而从同一"
            "起点对 hinge 与 logistic 风险做同样的下降,参数会移动、准确率会提高。(以 (1 - sign(m)) / 2 写成阶跃函数时自动"
            "求导同样得到零;mustknow 的 zero_one_loss 根本不建计算图。)"
        ),
        metric="||w_100 - w_0|| of 0-1 GD; fraction of random points with an all-zero 0-1 gradient",
        comparison="0-1 displacement == 0 on every seed; zero-gradient fraction 95% interval vs the threshold",
        threshold=ZERO_GRAD_MIN_FRACTION,
        experiment=run_zero_one_gd,
        configs=configs_zero_one_gd,
        verdict=verdict_zero_one_gd,
        figure=figure_zero_one_gd,
    ),
    Claim(
        id="q02.hinge-and-logistic-both-train",
        question=2,
        section=_SECTION,
        note_zh="hinge loss 与 cross-entropy(logistic)loss 都是常用的分类损失。",
        claim_en=(
            "A linear classifier trained on breast_cancer with the hinge loss and with the logistic loss (same "
            "split, init and SGD schedule per seed) reaches held-out accuracy above 0.9 with both, and the paired "
            "difference hinge - logistic lies within +-0.02 (2 points): both work, equally well."
        ),
        claim_zh=(
            "在 breast_cancer 上用 hinge 损失与 logistic 损失训练线性分类器(每个种子相同的划分、初始化与 SGD 设置),两者的"
            "留出准确率都高于 0.9,且配对差 hinge - logistic 在 +-0.02(2 个百分点)以内:两者都有效,且效果相当。"
        ),
        metric="held-out accuracy (val + test, 228 rows)",
        comparison="each arm's 95% interval vs 0.9; paired difference's 95% interval inside +-0.02",
        threshold=f"acc > {ACC_MIN:g}; |diff| < {EQUIVALENCE_MARGIN:g}",
        experiment=run_surrogate,
        configs=configs_surrogate,
        verdict=verdict_surrogate,
        figure=figure_surrogate,
        seeds={"quick": 5, "full": 20},
    ),
    Claim(
        id="q02.logistic-is-two-class-cross-entropy",
        question=2,
        section=_SECTION,
        note_zh="在逻辑回归(二分类)中,交叉熵公式可以写成 logistic loss;logistic loss 其实是 cross-entropy loss 的一个特例。",
        claim_en=(
            "For a score s and a label y in {-1, +1}, logistic_loss(s, y) = log(1 + e^(-ys)) equals "
            "cross_entropy(logits [0, s], class (y + 1) / 2), values and d/ds, to within 8 machine epsilons "
            "(relative to max(1, loss) for values), on random scores with magnitudes up to 1e4 and extremes up "
            "to 1e30, in float64 and float32."
        ),
        claim_zh=(
            "对得分 s 与标签 y ∈ {-1, +1},logistic_loss(s, y) = log(1 + e^(-ys)) 等于 cross_entropy(logits [0, s], 类别 "
            "(y + 1) / 2),数值与 d/ds 的差在 8 个机器 epsilon 内(数值相对于 max(1, loss)),在幅度至 1e4 的随机得分与至 1e30 "
            "的极端值上,float64 与 float32 下均成立。"
        ),
        metric="max gap of values (relative) and of d/ds, in machine epsilons",
        comparison="worst case over all scores and seeds, per dtype, vs the threshold",
        threshold=LOGISTIC_CE_MAX_EPS,
        experiment=run_logistic_ce,
        configs=configs_logistic_ce,
        verdict=verdict_logistic_ce,
        figure=figure_logistic_ce,
    ),
    Claim(
        id="q02.zero-one-nonconvex-hinge-convex",
        question=2,
        section=_SECTION,
        note_zh="0-1 损失非凸;hinge loss 是凸的。",
        claim_en=(
            "Random chords (end points in [-3, 3], t uniform) of the 0-1 loss as a function of the margin violate "
            "Jensen's inequality l(t a + (1 - t) b) <= t l(a) + (1 - t) l(b) -- a counter-example is found and "
            "shown -- while no chord of the hinge or logistic loss does; the same holds for the empirical risks "
            "of a linear classifier on breast_cancer along random chords in parameter space."
        ),
        claim_zh=(
            "0-1 损失(作为间隔的函数)的随机弦(端点取自 [-3, 3],t 均匀)违反 Jensen 不等式 l(t a + (1 - t) b) <= t l(a) + "
            "(1 - t) l(b)——找到并展示一个反例——而 hinge 与 logistic 损失的弦从不违反;breast_cancer 上线性分类器的经验风险"
            "沿参数空间中的随机弦也是如此。"
        ),
        metric="fraction of random chords violating Jensen's inequality (tolerance 1e-9 relative)",
        comparison="0-1: > 0 on every seed; hinge and logistic: exactly 0 on every seed",
        threshold="0-1 > 0; hinge = logistic = 0",
        experiment=run_shapes,
        configs=configs_shapes,
        verdict=verdict_convexity,
        figure=figure_convexity,
    ),
    Claim(
        id="q02.loss-property-table",
        question=2,
        section=_SECTION,
        note_zh="0-1 损失有三个特点:不连续、非凸、不平滑;hinge 损失的函数曲线连续、凸、非平滑。",
        claim_en=(
            "Measured on the margin axis (601 points plus the kinks 0 and 1): a loss is discontinuous where "
            "|l(m + 1e-7) - l(m - 1e-7)| > 1e-3, non-smooth where its one-sided slopes differ by more than 1e-2 "
            "(or it is discontinuous), non-convex where a random chord violates Jensen's inequality. The note's "
            "table -- 0-1: discontinuous, non-convex, non-smooth; hinge: continuous, convex, non-smooth -- must "
            "match; logistic (not in the note) is reported."
        ),
        claim_zh=(
            "在间隔轴上(601 个点加上拐点 0 与 1)测量:|l(m + 1e-7) - l(m - 1e-7)| > 1e-3 处为不连续,单侧斜率相差超过 1e-2 "
            "(或不连续)处为不光滑,存在违反 Jensen 不等式的随机弦即为非凸。笔记的表——0-1:不连续、非凸、不光滑;hinge:"
            "连续、凸、不光滑——须与测量相符;logistic(笔记未列)一并报告。"
        ),
        metric="max jump, max one-sided slope change, Jensen violations, per loss",
        comparison="measured (continuous, convex, smooth) per loss == the note's table",
        threshold=f"jump > {JUMP_TOL:g}; slope change > {KINK_TOL:g}",
        experiment=run_shapes,
        configs=configs_shapes,
        verdict=verdict_properties,
        figure=figure_properties,
    ),
)

QUESTION = Question(
    number=2,
    title_zh="分类一般用什么损失函数?交叉熵的公式是什么?",
    title_en="Which loss functions are used for classification? What is the cross-entropy formula?",
    answer_en=(
        "Classification is judged by the 0-1 loss [y s <= 0] (the error rate), but it is not trained on: it is a "
        "step in the margin m = y s, discontinuous and non-convex, with zero gradient almost everywhere, so "
        "gradient descent gets no signal (and minimising it exactly is NP-hard for linear classifiers; "
        "Ben-David, Eiron & Long 2003). Training uses convex surrogates that bound it from above: the hinge "
        "loss max(0, 1 - m) of SVMs (Cortes & Vapnik 1995), continuous and convex but with a kink at m = 1, and "
        "the logistic loss log(1 + e^-m) (Cox 1958), smooth and convex. Cross-entropy between a target "
        "distribution q and predicted probabilities p = softmax(z) is H(q, p) = -sum_c q_c log p_c, i.e. "
        "-log p_y for a class label; with two classes and z = (0, s) it is exactly the logistic loss of "
        "y in {-1, +1}, so logistic loss is its special case. On an easy data set hinge and logistic losses "
        "train a linear classifier about equally well; compute cross-entropy from logits with log-sum-exp, "
        "never as log(softmax)."
    ),
    answer_zh=(
        "分类的评判标准是 0-1 损失 [y s <= 0](错误率),但不用它训练:它是间隔 m = y s 的阶跃函数,不连续、非凸,梯度几乎"
        "处处为零,梯度下降得不到信号(而且对线性分类器精确最小化它是 NP 难的;Ben-David、Eiron、Long 2003)。训练用从上方"
        "界住它的凸替代损失:SVM 的 hinge 损失 max(0, 1 - m)(Cortes、Vapnik 1995),连续、凸,但在 m = 1 处有折点;logistic "
        "损失 log(1 + e^-m)(Cox 1958),光滑且凸。目标分布 q 与预测概率 p = softmax(z) 的交叉熵为 H(q, p) = -sum_c q_c "
        "log p_c,对类别标签即 -log p_y;两类且 z = (0, s) 时它恰好是 y ∈ {-1, +1} 的 logistic 损失,所以 logistic 损失是其"
        "特例。在容易的数据集上 hinge 与 logistic 损失训练线性分类器的效果相当;交叉熵应由 logit 经 log-sum-exp 计算,不要写成 "
        "log(softmax)。"
    ),
    implemented_by=(
        "mustknow.functional.zero_one_loss",
        "mustknow.functional.hinge_loss",
        "mustknow.functional.logistic_loss",
        "mustknow.functional.cross_entropy",
        "mustknow.functional.binary_cross_entropy_with_logits",
        "mustknow.functional.multi_margin_loss",
        "mustknow.nn.ZeroOneLoss",
        "mustknow.nn.HingeLoss",
        "mustknow.nn.LogisticLoss",
        "mustknow.nn.CrossEntropyLoss",
    ),
    note_figures=("classification-losses",),
    claims=_CLAIMS,
    full_profile_en=(
        "The full profile keeps the claims and data (breast_cancer, a binary task, which is what hinge and "
        "logistic loss are defined for) and makes every measurement larger: ten seeds per claim and twenty for "
        "the hinge-versus-logistic comparison, whose quick margin was close; that comparison trains for 100 "
        "epochs instead of 20; the 0-1 loss is followed for 500 gradient steps from 2,000 random points instead "
        "of 100 from 200; and convexity is probed on 1,000,000 random chords (20,000 for the empirical risk) "
        "instead of 20,000 (500). No image set is used: the ten-class sets would need multi-class versions of "
        "these binary losses, a different claim."
    ),
    full_profile_zh=(
        "full 配置档不改变论断和数据(breast_cancer,二分类任务,正是 hinge 与 logistic 损失的定义场景),只把每项测量做大:"
        "每个论断 10 个随机种子,hinge 与 logistic 的比较用 20 个(quick 下它的差距接近阈值);该比较训练 100 轮(quick 为 20 轮);"
        "0-1 损失从 2,000 个随机点出发跟踪 500 步梯度(quick 为 200 个点、100 步);凸性在 1,000,000 条随机弦上检验"
        "(经验风险用 20,000 条;quick 为 20,000 和 500)。不使用图像数据集:十分类数据需要这些二分类损失的多分类版本,那是另一个论断。"
    ),
)
