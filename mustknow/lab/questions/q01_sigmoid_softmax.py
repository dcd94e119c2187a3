r"""Question 1: how sigmoid and softmax differ and how they are related.

Three claims of the note, each an experiment with the verdict computed from
the stored results:

1. a softmax over two logits is the sigmoid of their difference, in values
   and in gradients (an identity, checked to a few machine epsilons on random
   and extreme logits in float64 and float32);
2. softmax regression with two classes degenerates to logistic regression:
   trained on breast_cancer, the two models reach the same decision function;
3. sigmoid outputs lie in (0, 1) and softmax outputs sum to 1 -- exactly so
   in real arithmetic; in floating point the open interval breaks at
   measured, dtype-dependent inputs.

The identity behind all three:

.. math::

    \operatorname{softmax}(z_0, z_1)_1 = \frac{e^{z_1}}{e^{z_0} + e^{z_1}}
    = \frac{1}{1 + e^{-(z_1 - z_0)}} = \sigma(z_1 - z_0).

Only the difference :math:`z_1 - z_0` enters, so a two-class softmax
regression with weights :math:`(w_0, b_0), (w_1, b_1)` is over-parametrised:
adding the same vector to both leaves every prediction unchanged, and only
:math:`w_1 - w_0, b_1 - b_0` (the logistic regression's parameters) are
identified by the data.

Every experiment is pure: ``run(config, seed) -> {"metrics", "series"}``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from ... import functional as MF
from ...data import load_dataset
from .. import stats
from ..claims import Claim, Question, Result, Verdict
from ..figures import pyplot, save_figure
from ..train import TrainConfig, fit, predict_logits, seed_everything

__all__ = ["QUESTION"]

_DPI = 110  # sharp enough for the report page, small files

_SECTION = "一、sigmoid和softmax的区别和联系?"
_DTYPES = {"float64": torch.float64, "float32": torch.float32}


def _eps(dtype: str) -> float:
    return torch.finfo(_DTYPES[dtype]).eps


# =========================================================================== claim 1: the identity


@dataclass(frozen=True)
class IdentityConfig:
    """Random and extreme logit pairs compared through softmax and through sigmoid (claim 1)."""

    samples: int = 20_000  # random pairs per seed; the error is a max, so more pairs only tighten it
    log10_scale_low: float = -2.0  # logit magnitudes drawn log-uniformly from 10^-2 ...
    log10_scale_high: float = 4.0  # ... to 10^4: near-ties, ordinary logits and saturated ones
    bins: int = 24  # bins of log10 |z1 - z0| for the error-vs-difference curve in the figure


#: Fixed extreme pairs checked on every seed: ties, the float32 saturation point
#: (+-40), huge logits with a small or a huge difference, and float32-near-max values.
_EXTREME_PAIRS = (
    (0.0, 0.0), (40.0, -40.0), (-40.0, 40.0), (1e4, -1e4), (-1e4, 1e4), (1e4, 1e4 + 0.5),
    (-1e4, -1e4 - 0.5), (1e30, -1e30), (-1e30, 1e30), (1e38, 1e38), (-1e38, -1e38 + 1e32),
)

#: The identity holds when softmax and sigmoid agree to within this many machine
#: epsilons of the dtype (values in [0, 1]; gradients for an upstream gradient in [-1, 1]).
IDENTITY_MAX_EPS = 8.0


def _logit_pairs(config: IdentityConfig, seed: int) -> torch.Tensor:
    """(samples + extremes, 2) float64 logits: random magnitudes, random signs, then the fixed extremes."""
    gen = torch.Generator().manual_seed(seed)
    log_scale = torch.empty(config.samples, 1, dtype=torch.float64).uniform_(
        config.log10_scale_low, config.log10_scale_high, generator=gen
    )
    z = torch.randn(config.samples, 2, dtype=torch.float64, generator=gen) * 10.0**log_scale  # (S, 2)
    return torch.cat([z, torch.tensor(_EXTREME_PAIRS, dtype=torch.float64)])  # (S + E, 2)


def _softmax_and_sigmoid(z: torch.Tensor, g: torch.Tensor) -> tuple[torch.Tensor, ...]:
    """Outputs and input-gradients (for upstream ``g``) of softmax(z) and of (sigma(z0 - z1), sigma(z1 - z0))."""
    a = z.clone().requires_grad_(True)
    p = MF.softmax(a, dim=1)  # (N, 2)
    (grad_p,) = torch.autograd.grad((p * g).sum(), a)
    b = z.clone().requires_grad_(True)
    d = b[:, 1] - b[:, 0]  # (N, 2) -> (N,)
    q = torch.stack([MF.sigmoid(-d), MF.sigmoid(d)], dim=1)  # (N,) -> (N, 2)
    (grad_q,) = torch.autograd.grad((q * g).sum(), b)
    return p.detach(), q.detach(), grad_p, grad_q


def run_identity(config: IdentityConfig, seed: int) -> dict[str, Any]:
    """Max |softmax(z) - (sigma(z0 - z1), sigma(z1 - z0))| and of their gradients, in machine epsilons."""
    z64 = _logit_pairs(config, seed)
    g64 = torch.empty_like(z64).uniform_(-1.0, 1.0, generator=torch.Generator().manual_seed(seed + 1))
    metrics: dict[str, float] = {}
    series: dict[str, list[float]] = {}
    edges = torch.linspace(-3.0, 9.0, config.bins + 1, dtype=torch.float64)  # log10 |z1 - z0| bins
    series["log10_diff_bin_centres"] = ((edges[1:] + edges[:-1]) / 2).tolist()
    for name, dtype in _DTYPES.items():
        z, g = z64.to(dtype), g64.to(dtype)
        p, q, grad_p, grad_q = _softmax_and_sigmoid(z, g)
        finite = torch.isfinite(p).all() & torch.isfinite(grad_p).all() & torch.isfinite(q).all()
        value_err = (p - q).abs().amax(dim=1).double() / _eps(name)  # (N, 2) -> (N,)
        grad_err = (grad_p - grad_q).abs().amax(dim=1).double() / _eps(name)  # (N, 2) -> (N,)
        metrics[f"value_err_eps_{name}"] = float(value_err.max())
        metrics[f"grad_err_eps_{name}"] = float(grad_err.max())
        metrics[f"extreme_value_err_eps_{name}"] = float(value_err[-len(_EXTREME_PAIRS):].max())
        metrics[f"all_finite_{name}"] = float(finite)
        log_diff = torch.log10((z[:, 1] - z[:, 0]).abs().double().clamp_min(1e-3))  # (N,)
        which = torch.bucketize(log_diff.clamp(-3.0, 9.0 - 1e-9), edges[1:-1])  # (N,) bin index
        per_bin = torch.zeros(config.bins, dtype=torch.float64).scatter_reduce(
            0, which, torch.maximum(value_err, grad_err), reduce="amax", include_self=True
        )  # (N,) -> (bins,)
        series[f"max_err_eps_per_bin_{name}"] = per_bin.tolist()
    return {"metrics": metrics, "series": series}


def configs_identity(profile: str) -> list[IdentityConfig]:
    return [IdentityConfig() if profile == "quick" else IdentityConfig(samples=1_000_000)]


def verdict_identity(results: list[Result]) -> Verdict:
    worst = {}
    for name in _DTYPES:
        for kind in ("value", "grad"):
            worst[f"{kind}_{name}"] = max(stats.metric_values(results, f"{kind}_err_eps_{name}"))
    finite = min(min(stats.metric_values(results, f"all_finite_{name}")) for name in _DTYPES)
    ok = finite == 1.0 and all(v <= IDENTITY_MAX_EPS for v in worst.values())
    label = "SUPPORTED" if ok else "REFUTED"
    n_pairs = results[0]["config"]["samples"] + len(_EXTREME_PAIRS)
    parts = ", ".join(f"{k.replace('_', ' ')} {v:.3g}" for k, v in worst.items())
    en = (
        f"Over {len(results)} seeds x {n_pairs} logit pairs (magnitudes up to 1e4, plus extremes up to 1e38), "
        f"the largest gap between softmax(z0, z1) and (sigma(z0 - z1), sigma(z1 - z0)), in machine epsilons of "
        f"the dtype, is: {parts} (threshold {IDENTITY_MAX_EPS:g}); all outputs finite: {finite == 1.0}."
    )
    zh = (
        f"在 {len(results)} 个种子 x {n_pairs} 对 logit(幅度至 1e4,另加至 1e38 的极端值)上,softmax(z0, z1) 与 "
        f"(sigma(z0 - z1), sigma(z1 - z0)) 的最大差(以该精度的机器 epsilon 为单位):{parts}"
        f"(阈值 {IDENTITY_MAX_EPS:g});输出全部有限:{finite == 1.0}。"
    )
    evidence = {"threshold_eps": IDENTITY_MAX_EPS, "worst_eps": worst, "all_finite": finite,
                "per_seed": {k: stats.metric_values(results, f"{k.split('_')[0]}_err_eps_{k.split('_')[1]}")
                             for k in worst}}
    return Verdict(label, en, zh, evidence)


def figure_identity(results: list[Result], out_dir: Path) -> list[Path]:
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(7, 4.2))
    centres = results[0]["series"]["log10_diff_bin_centres"]
    for name, marker in zip(_DTYPES, ("o", "s")):
        rows = [r["series"][f"max_err_eps_per_bin_{name}"] for r in results]
        worst = [max(col) for col in zip(*rows)]
        ax.plot(centres, worst, marker=marker, ms=4, label=f"{name} (max over {len(results)} seeds)")
    ax.axhline(IDENTITY_MAX_EPS, color="red", ls="--", label=f"threshold {IDENTITY_MAX_EPS:g} eps")
    ax.set_xlabel("log10 |z1 - z0|")
    ax.set_ylabel("max |softmax - sigmoid of difference| (machine eps)")
    ax.set_title("softmax(z0, z1) vs sigmoid(z1 - z0): values and gradients")
    ax.legend()
    ax.grid(alpha=0.3)
    return [save_figure(fig, out_dir, "q01_identity_error.png", dpi=_DPI)]


# =========================================================================== claim 2: k = 2 softmax regression


@dataclass(frozen=True)
class TwoClassConfig:
    """Two-class softmax regression vs logistic regression on breast_cancer (claim 2)."""

    gd_lr: float = 0.1  # full-batch GD step of the softmax model; the logistic model takes 2x (matched arm)
    gd_epochs: int = 50  # steps of the matched arm: enough to move far from the init (scores reach ~20)
    adam_lr: float = 0.05  # independent arm: Adam, a step size that converges on 30 standardised features
    adam_epochs: int = 200  # full-batch steps of the independent arm: near the optimum, cheap
    l2: float = 1e-2  # L2 on the softmax weights; the logistic model gets l2/2 (the matched optimum)


#: Matched arm (float64 gradient descent from matched inits): the two decision functions
#: must agree to this absolute tolerance on every row after training.
MATCHED_TOL = 1e-9
#: Independent arm: fraction of rows (all 569) with the same predicted class must exceed this...
AGREEMENT_MIN = 0.99
#: ... and the Pearson correlation of z1 - z0 with the logistic score must exceed this.
PEARSON_MIN = 0.99


def _all_rows(data) -> torch.Tensor:
    return torch.cat([data.train.x, data.val.x, data.test.x])  # (569, 30)


def _logistic_objective(out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Logistic loss of the single score against 0/1 class labels mapped to -1/+1."""
    return MF.logistic_loss(out.squeeze(1), 2 * y - 1)  # (N, 1) -> (N,)


def _pearson(a: torch.Tensor, b: torch.Tensor) -> float:
    a, b = a - a.mean(), b - b.mean()
    return float((a * b).sum() / (a.norm() * b.norm()))


def run_two_class(config: TwoClassConfig, seed: int) -> dict[str, Any]:
    """Matched-GD trajectory identity and independently trained decision functions."""
    data = load_dataset("breast_cancer", seed=seed)
    x_all = _all_rows(data).double()
    features = x_all.shape[1]
    metrics: dict[str, float] = {}

    # Matched arm: GD with lr on (w0, w1) moves w1 - w0 exactly as GD with 2 lr on logistic regression.
    seed_everything(seed)
    softmax_model = torch.nn.Linear(features, 2).double()
    logistic_model = torch.nn.Linear(features, 1).double()
    with torch.no_grad():
        logistic_model.weight.copy_(softmax_model.weight[1:] - softmax_model.weight[:1])  # (2, 30) -> (1, 30)
        logistic_model.bias.copy_(softmax_model.bias[1:] - softmax_model.bias[:1])
        start_sum = softmax_model.weight.sum(0).clone()  # (2, 30) -> (30,): w0 + w1, not identified
    gd = TrainConfig(optimizer="sgd", lr=config.gd_lr, epochs=config.gd_epochs, batch_size=None)
    fit(softmax_model, data.train, None, gd, seed=seed, loss_fn=MF.cross_entropy)
    fit(logistic_model, data.train, None, gd.replace(lr=2 * config.gd_lr), seed=seed, loss_fn=_logistic_objective)
    z = predict_logits(softmax_model, x_all)  # (569, 2)
    s = predict_logits(logistic_model, x_all).squeeze(1)  # (569, 1) -> (569,)
    metrics["matched_max_abs_diff"] = float((z[:, 1] - z[:, 0] - s).abs().max())
    metrics["matched_sum_drift"] = float((softmax_model.weight.detach().sum(0) - start_sum).abs().max())
    metrics["matched_score_range"] = float(s.abs().max())

    # Independent arm: own random inits, Adam, L2 lambda on (w0, w1) vs lambda/2 on w1 - w0.
    adam = TrainConfig(optimizer="adam", lr=config.adam_lr, epochs=config.adam_epochs, batch_size=None)
    seed_everything(seed + 10_000)
    softmax_model = torch.nn.Linear(features, 2)
    logistic_model = torch.nn.Linear(features, 1)
    fit(softmax_model, data.train, None, adam.replace(l2=config.l2), seed=seed, loss_fn=MF.cross_entropy)
    fit(logistic_model, data.train, None, adam.replace(l2=config.l2 / 2), seed=seed, loss_fn=_logistic_objective)
    x_all = x_all.float()
    z = predict_logits(softmax_model, x_all)  # (569, 2)
    diff = z[:, 1] - z[:, 0]  # (569, 2) -> (569,)
    s = predict_logits(logistic_model, x_all).squeeze(1)  # (569, 1) -> (569,)
    metrics["agreement"] = float(((diff > 0) == (s > 0)).double().mean())
    metrics["pearson"] = _pearson(diff.double(), s.double())
    metrics["max_abs_diff"] = float((diff - s).abs().max())
    metrics["score_range"] = float(s.abs().max())
    metrics["sum_norm"] = float(softmax_model.weight.detach().sum(0).norm())
    for name, out in (("softmax", z.argmax(1)), ("logistic", (s > 0).long())):
        test = out[len(data.train) + len(data.val):]  # rows of the test split
        metrics[f"test_acc_{name}"] = float((test == data.test.y).double().mean())
    keep = torch.arange(0, len(s), 3)  # every third row: enough points for the scatter
    return {"metrics": metrics, "series": {"softmax_diff": diff[keep].tolist(), "logistic_score": s[keep].tolist()}}


def configs_two_class(profile: str) -> list[TwoClassConfig]:
    return [TwoClassConfig() if profile == "quick" else TwoClassConfig(gd_epochs=1000, adam_epochs=3000)]


def verdict_two_class(results: list[Result]) -> Verdict:
    matched = max(stats.metric_values(results, "matched_max_abs_diff"))
    drift = max(stats.metric_values(results, "matched_sum_drift"))
    agree = stats.mean_ci(stats.metric_values(results, "agreement"))
    corr = stats.mean_ci(stats.metric_values(results, "pearson"))
    gap = stats.mean_ci(stats.metric_values(results, "max_abs_diff"))
    acc_s = stats.mean_ci(stats.metric_values(results, "test_acc_softmax"))
    acc_l = stats.mean_ci(stats.metric_values(results, "test_acc_logistic"))
    labels = [stats.decide(agree, AGREEMENT_MIN, ">"), stats.decide(corr, PEARSON_MIN, ">")]
    if matched > MATCHED_TOL or "REFUTED" in labels:
        label = "REFUTED"
    elif all(lab == "SUPPORTED" for lab in labels):
        label = "SUPPORTED"
    else:
        label = "INCONCLUSIVE"
    en = (
        f"Gradient descent on the two-class softmax model (lr) and on logistic regression (2 lr) from matched "
        f"inits give the same z1 - z0 to {matched:.2g} (tolerance {MATCHED_TOL:g}) while w0 + w1, which no prediction "
        f"depends on, moved by {drift:.2g}; trained independently "
        f"(Adam, L2 matched), they agree on {agree.fmt(4)} of the 569 rows (threshold {AGREEMENT_MIN:g}), "
        f"z1 - z0 correlates with the logistic score at r = {corr.fmt(6)} (threshold {PEARSON_MIN:g}), max gap "
        f"{gap.fmt()}, test accuracy {acc_s.fmt()} vs {acc_l.fmt()}."
    )
    zh = (
        f"从对应的初值出发,两类 softmax 模型(学习率 lr)与逻辑回归(2 lr)的梯度下降给出相同的 z1 - z0,差 {matched:.2g}"
        f"(容差 {MATCHED_TOL:g}),而任何预测都不依赖的 w0 + w1 只移动了 {drift:.2g};"
        f"独立训练(Adam,L2 对应)时两者在 569 行中 {agree.fmt(4)} 的预测一致"
        f"(阈值 {AGREEMENT_MIN:g}),z1 - z0 与逻辑回归得分的相关系数 r = {corr.fmt(6)}(阈值 {PEARSON_MIN:g}),"
        f"最大差 {gap.fmt()},测试准确率 {acc_s.fmt()} 对 {acc_l.fmt()}。"
    )
    evidence = {"matched_tolerance": MATCHED_TOL, "matched_max_abs_diff": matched,
                "matched_sum_drift": drift,
                "threshold_agreement": AGREEMENT_MIN, "threshold_pearson": PEARSON_MIN,
                "agreement": agree.to_dict(), "pearson": corr.to_dict(), "max_abs_diff": gap.to_dict(),
                "test_acc_softmax": acc_s.to_dict(), "test_acc_logistic": acc_l.to_dict()}
    return Verdict(label, en, zh, evidence)


def figure_two_class(results: list[Result], out_dir: Path) -> list[Path]:
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(5.6, 5.2))
    lo, hi = math.inf, -math.inf
    for r in results:
        a, b = r["series"]["logistic_score"], r["series"]["softmax_diff"]
        ax.scatter(a, b, s=7, alpha=0.5, label=f"seed {r['seed']}")
        lo, hi = min(lo, *a, *b), max(hi, *a, *b)
    ax.plot([lo, hi], [lo, hi], "k--", lw=1, label="y = x")
    ax.axhline(0, color="0.7", lw=0.8)
    ax.axvline(0, color="0.7", lw=0.8)
    ax.set_xlabel("logistic regression score s(x)")
    ax.set_ylabel("softmax regression z1(x) - z0(x)")
    ax.set_title("Two-class softmax vs logistic regression\n(breast_cancer, independently trained)")
    ax.legend(fontsize=8, markerscale=2)
    return [save_figure(fig, out_dir, "q01_two_class_scatter.png", dpi=_DPI)]


# =========================================================================== claim 3: ranges in floating point


@dataclass(frozen=True)
class RangeConfig:
    """Where sigmoid's open interval and softmax's unit sum hold in float64 and float32 (claim 3)."""

    sigmoid_samples: int = 100_000  # random inputs per dtype, magnitudes log-uniform up to the dtype's max
    softmax_rows: int = 200  # random logit vectors per dtype
    max_classes: int = 1000  # each vector has 2..max_classes logits: binary up to ImageNet-sized outputs
    grid_points: int = 400  # points of the tail curves in the figure


#: A softmax row sums to 1 within this many machine epsilons per class (the usual
#: worst-case rounding bound for a sum of K non-negative terms, then one division).
SUM_EPS_PER_CLASS = 1.0


def _first_true(pred, lo: float, hi: float, dtype: torch.dtype) -> float:
    """Smallest x in (lo, hi] (in ``dtype``) where the monotone ``pred(x)`` turns true, by bisection.

    ``inf`` when ``pred(hi)`` is false: the predicate never turns true on the interval.
    """
    a, b = torch.tensor(lo, dtype=dtype), torch.tensor(hi, dtype=dtype)
    if not pred(b):
        return math.inf
    while True:
        mid = (a + b) / 2
        if mid == a or mid == b:  # adjacent floats: b is the first one where pred holds
            return float(b)
        if pred(mid):
            b = mid
        else:
            a = mid


def run_ranges(config: RangeConfig, seed: int) -> dict[str, Any]:
    """Where sigmoid rounds to exactly 0 or 1; range and sum errors of softmax; per dtype."""
    gen = torch.Generator().manual_seed(seed)
    metrics: dict[str, float] = {}
    series: dict[str, list[float]] = {}
    grid = torch.linspace(0.0, 800.0, config.grid_points, dtype=torch.float64)
    series["tail_x"] = grid.tolist()
    for name, dtype in _DTYPES.items():
        info = torch.finfo(dtype)
        one_at = _first_true(lambda x: bool(MF.sigmoid(x) == 1.0), 0.0, 1e3, dtype)
        zero_at = -_first_true(lambda x: bool(MF.sigmoid(-x) == 0.0), 0.0, 1e3, dtype)
        metrics[f"sigmoid_one_from_{name}"] = one_at
        metrics[f"sigmoid_zero_below_{name}"] = zero_at
        # Where the exact value leaves the representable open interval: 1 - sigma(x) < eps/2 rounds to 1,
        # sigma(x) < smallest subnormal / 2 rounds to 0.
        metrics[f"exact_rounds_to_one_from_{name}"] = math.log(2.0 / info.eps)
        metrics[f"exact_rounds_to_zero_below_{name}"] = math.log(info.smallest_normal) + math.log(info.eps / 2.0)
        log_mag = torch.empty(config.sigmoid_samples, dtype=torch.float64).uniform_(-3.0, math.log10(info.max),
                                                                                   generator=gen)
        sign = torch.randint(0, 2, (config.sigmoid_samples,), generator=gen).double() * 2 - 1
        x = (sign * 10.0**log_mag).to(dtype)  # (S,)
        y = MF.sigmoid(x)
        metrics[f"sigmoid_outside_closed_{name}"] = float(((y < 0) | (y > 1) | torch.isnan(y)).sum())
        worst_sum, outside, zero_entries, entries = 0.0, 0, 0, 0
        for _ in range(config.softmax_rows):
            k = int(torch.randint(2, config.max_classes + 1, (1,), generator=gen))
            scale = 10.0 ** float(torch.empty(1, dtype=torch.float64).uniform_(-2.0, 4.0, generator=gen))
            p = MF.softmax((scale * torch.randn(k, dtype=torch.float64, generator=gen)).to(dtype), dim=0)
            worst_sum = max(worst_sum, abs(float(p.double().sum()) - 1.0) / (k * info.eps))
            outside += int(((p < 0) | (p > 1) | torch.isnan(p)).sum())
            zero_entries += int((p == 0).sum())
            entries += k
        metrics[f"softmax_sum_err_per_class_eps_{name}"] = worst_sum
        metrics[f"softmax_outside_closed_{name}"] = float(outside)
        metrics[f"softmax_exact_zero_fraction_{name}"] = zero_entries / entries
        g = grid.to(dtype)
        upper = 1.0 - MF.sigmoid(g).double()  # 1 - sigma(x) as the dtype rounds it; 0 once sigma(x) == 1
        lower = MF.sigmoid(-g).double()  # sigma(-x); 0 once it underflows
        floor = -400.0  # stands in for log10(0) (below float64's smallest subnormal, 10^-323.3)
        series[f"log10_one_minus_sigmoid_{name}"] = upper.log10().clamp_min(floor).tolist()
        series[f"log10_sigmoid_neg_{name}"] = lower.log10().clamp_min(floor).tolist()
    return {"metrics": metrics, "series": series}


def configs_ranges(profile: str) -> list[RangeConfig]:
    return [RangeConfig() if profile == "quick" else RangeConfig(sigmoid_samples=2_000_000, softmax_rows=5000)]


def verdict_ranges(results: list[Result]) -> Verdict:
    bad = sum(
        sum(stats.metric_values(results, f"{fn}_outside_closed_{name}")) for fn in ("sigmoid", "softmax")
        for name in _DTYPES
    )
    sum_err = {name: max(stats.metric_values(results, f"softmax_sum_err_per_class_eps_{name}")) for name in _DTYPES}
    # The bisection is deterministic: every seed finds the same points; keep the extremes.
    bounds = {}
    for name in _DTYPES:
        for key, pick in (("sigmoid_one_from", max), ("sigmoid_zero_below", min), ("exact_rounds_to_one_from", max),
                          ("exact_rounds_to_zero_below", min)):
            bounds[f"{key}_{name}"] = pick(stats.metric_values(results, f"{key}_{name}"))
    zero_frac = {name: max(stats.metric_values(results, f"softmax_exact_zero_fraction_{name}")) for name in _DTYPES}
    finite_break = any(math.isfinite(bounds[f"sigmoid_{k}_{n}"]) for k in ("one_from", "zero_below") for n in _DTYPES)
    if bad > 0 or any(v > SUM_EPS_PER_CLASS for v in sum_err.values()):
        label = "REFUTED"
    elif finite_break:
        label = "NUANCED"
    else:
        label = "SUPPORTED"

    def where(name: str) -> str:
        return (f"{name}: sigma(x) == 1.0 exactly from x = {bounds[f'sigmoid_one_from_{name}']:.4g} and "
                f"== 0.0 below x = {bounds[f'sigmoid_zero_below_{name}']:.5g} (the exact value would round to 0 "
                f"only below {bounds[f'exact_rounds_to_zero_below_{name}']:.5g})")

    def wo(name: str) -> str:
        return (f"{name}:x >= {bounds[f'sigmoid_one_from_{name}']:.4g} 时 sigma(x) 恰为 1.0,x < "
                f"{bounds[f'sigmoid_zero_below_{name}']:.5g} 时恰为 0.0(精确值要到 "
                f"{bounds[f'exact_rounds_to_zero_below_{name}']:.5g} 以下才会舍入为 0)")

    en = (
        f"Sigmoid or softmax outputs outside [0, 1] or NaN: {bad:g}; softmax rows of 2-"
        f"{results[0]['config']['max_classes']} classes summed to 1 within {max(sum_err.values()):.3g} eps per "
        f"class (threshold {SUM_EPS_PER_CLASS:g}); "
        + ("the open interval (0, 1) holds only on a finite range -- " if finite_break
           else "sigmoid never rounded to exactly 0 or 1 on the searched range -- ")
        + "; ".join(where(n) for n in _DTYPES)
        + f"; up to {max(zero_frac.values()):.3g} of softmax entries were exactly 0."
    )
    zh = (
        f"sigmoid 与 softmax 输出超出 [0, 1] 或为 NaN 的情形:{bad:g} 例;2-{results[0]['config']['max_classes']} "
        f"类的 softmax 每行之和与 1 的差不超过每类 {max(sum_err.values()):.3g} 个 eps(阈值 {SUM_EPS_PER_CLASS:g});"
        + ("开区间 (0, 1) 只在有限范围内成立——" if finite_break else "在搜索范围内 sigmoid 从未恰好舍入为 0 或 1——")
        + ";".join(wo(n) for n in _DTYPES)
        + f";softmax 输出中最多 {max(zero_frac.values()):.3g} 的元素恰为 0。"
    )
    evidence = {"threshold_sum_eps_per_class": SUM_EPS_PER_CLASS, "outside_or_nan": bad,
                "softmax_sum_err_per_class_eps": sum_err, "bounds": bounds,
                "softmax_exact_zero_fraction": zero_frac}
    return Verdict(label, en, zh, evidence)


def figure_ranges(results: list[Result], out_dir: Path) -> list[Path]:
    plt = pyplot()
    r = results[0]
    x = r["series"]["tail_x"]
    fig, ax = plt.subplots(figsize=(8, 4.5))
    for name, color in zip(_DTYPES, ("C0", "C3")):
        ax.plot(x, r["series"][f"log10_one_minus_sigmoid_{name}"], color=color, label=f"1 - sigmoid(x), {name}")
        ax.plot(x, r["series"][f"log10_sigmoid_neg_{name}"], color=color, ls="--", label=f"sigmoid(-x), {name}")
        ax.axvline(r["metrics"][f"sigmoid_one_from_{name}"], color=color, lw=0.8, ls=":")
        ax.axvline(-r["metrics"][f"sigmoid_zero_below_{name}"], color=color, lw=0.8, ls="-.")
    ax.set_ylim(-410, 5)
    ax.set_xlabel("x")
    ax.set_ylabel("log10 (distance to the boundary); -400 = exactly 0")
    ax.set_title("Where sigmoid(x) rounds to exactly 1 (dotted) or 0 (dash-dot)")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    return [save_figure(fig, out_dir, "q01_sigmoid_tails.png", dpi=_DPI)]


# =========================================================================== records

_CLAIMS = (
    Claim(
        id="q01.two-class-softmax-is-sigmoid",
        question=1,
        section=_SECTION,
        note_zh="二分类问题时 sigmoid 和 softmax 是一样的;softmax 是 sigmoid 的扩展。",
        claim_en=(
            "For two logits, softmax(z0, z1) = (sigma(z0 - z1), sigma(z1 - z0)) and the gradients with respect to "
            "(z0, z1) coincide: with mustknow's softmax and sigmoid, on random logit pairs (magnitudes "
            "log-uniform in [1e-2, 1e4]) and fixed extremes up to 1e38, in float64 and float32, the largest "
            "difference of values and of gradients is at most a few machine epsilons of the dtype."
        ),
        claim_zh=(
            "两个 logit 时 softmax(z0, z1) = (sigma(z0 - z1), sigma(z1 - z0)),且对 (z0, z1) 的梯度相同:用 mustknow 的 "
            "softmax 与 sigmoid,在随机 logit 对(幅度在 [1e-2, 1e4] 上对数均匀)和至 1e38 的固定极端值上,float64 与 "
            "float32 下数值与梯度的最大差不超过该精度的几个机器 epsilon。"
        ),
        metric="max |softmax(z) - sigmoid form| over values and input-gradients, in machine epsilons",
        comparison="worst case over all pairs and seeds, per dtype, vs the threshold",
        threshold=IDENTITY_MAX_EPS,
        experiment=run_identity,
        configs=configs_identity,
        verdict=verdict_identity,
        figure=figure_identity,
    ),
    Claim(
        id="q01.softmax-regression-k2-is-logistic",
        question=1,
        section=_SECTION,
        note_zh="当类别数 k=2 时,softmax 回归退化为 logistic 回归。",
        claim_en=(
            "A two-class softmax regression (weights w0, w1) depends on the data only through w1 - w0: adding the "
            "same vector to both changes no prediction, so only the difference is identified, and it plays the "
            "logistic regression's weight. Tested on breast_cancer: (a) full-batch gradient descent with step lr "
            "on the softmax model and with step 2 lr on logistic regression, from inits with w = w1 - w0, give "
            "the same z1 - z0 on every row (float64, tolerance 1e-9); (b) trained independently (own inits, Adam, "
            "L2 lambda on w0 and w1 vs lambda/2 on w, which have the same optimum), the predicted classes agree "
            "on more than 99% of the 569 rows and z1 - z0 correlates with the logistic score at r > 0.99."
        ),
        claim_zh=(
            "两类 softmax 回归(权重 w0、w1)只通过 w1 - w0 依赖数据:两者加上同一向量不改变任何预测,所以只有差是可识别的,"
            "它就是逻辑回归的权重。在 breast_cancer 上检验:(a)softmax 模型用步长 lr、逻辑回归用步长 2 lr 做全批量梯度下降,"
            "初值满足 w = w1 - w0,则每一行的 z1 - z0 相同(float64,容差 1e-9);(b)独立训练(各自初始化,Adam,w0、w1 上 "
            "L2 系数 lambda,w 上 lambda/2,二者最优解相同)时,569 行中超过 99% 的预测类别一致,且 z1 - z0 与逻辑回归得分的"
            "相关系数 r > 0.99。"
        ),
        metric="(a) max |z1 - z0 - s| after matched GD; (b) prediction agreement and Pearson r on all 569 rows",
        comparison="(a) worst over seeds vs tolerance; (b) 95% intervals of the mean over seeds vs thresholds",
        threshold=f"matched <= {MATCHED_TOL:g}; agreement > {AGREEMENT_MIN:g}; r > {PEARSON_MIN:g}",
        experiment=run_two_class,
        configs=configs_two_class,
        verdict=verdict_two_class,
        figure=figure_two_class,
        seeds={"quick": 5, "full": 10},
    ),
    Claim(
        id="q01.output-ranges",
        question=1,
        section=_SECTION,
        note_zh="sigmoid 将实数映射到 (0,1) 区间;softmax 把 k 维实数向量映射为每个分量在 0~1 之间、总和为 1.0 的向量。",
        claim_en=(
            "In float64 and float32: every sigmoid and softmax output of a finite input lies in the closed "
            "interval [0, 1] (no NaN), each softmax row of 2-1000 classes sums to 1 within K machine epsilons, "
            "and -- the nuance -- the open interval (0, 1) holds only for inputs of bounded magnitude: we measure, "
            "by bisection, from which x sigmoid(x) rounds to exactly 1.0 and below which it is exactly 0.0."
        ),
        claim_zh=(
            "在 float64 与 float32 下:有限输入的 sigmoid 与 softmax 输出都在闭区间 [0, 1] 内(无 NaN),2-1000 类的 softmax "
            "每行之和与 1 的差在 K 个机器 epsilon 以内;而开区间 (0, 1) 只在输入幅度有限时成立——用二分法测出 sigmoid(x) "
            "从哪个 x 起恰为 1.0、在哪个 x 以下恰为 0.0。"
        ),
        metric="outputs outside [0, 1] or NaN; max |sum - 1| / (K eps); the x where sigmoid hits exactly 0 or 1",
        comparison="no violations and sum error <= threshold: NUANCED when the open interval breaks at finite x",
        threshold=SUM_EPS_PER_CLASS,
        experiment=run_ranges,
        configs=configs_ranges,
        verdict=verdict_ranges,
        figure=figure_ranges,
    ),
)

QUESTION = Question(
    number=1,
    title_zh="sigmoid和softmax的区别和联系?",
    title_en="How do sigmoid and softmax differ, and how are they related?",
    answer_en=(
        "Sigmoid maps one real score to a probability, sigma(s) = 1 / (1 + e^-s), for binary problems; softmax maps "
        "a vector of K scores to K probabilities that sum to 1, softmax(z)_i = e^z_i / sum_j e^z_j, for K classes. "
        "With two classes they are the same function: softmax(z0, z1)_1 = sigma(z1 - z0), values and gradients, so "
        "softmax is sigmoid's extension to K classes, and both are trained with cross-entropy (the logistic loss "
        "is its two-class case). A two-class softmax regression is logistic regression with the weight w1 - w0; "
        "its two weight vectors are over-parametrised (adding the same vector to both changes nothing) and only "
        "their difference is learned. Both outputs are probabilities in exact arithmetic; in floating point "
        "sigmoid(x) rounds to exactly 1.0 once 1 - sigma(x) < eps / 2, i.e. x > ln(2 / eps), and the "
        "1 / (1 + e^-x) form returns exactly 0 once e^-x overflows (the report gives both points per dtype), "
        "so use log-sigmoid / log-softmax (or "
        "losses that take logits) when probabilities near 0 or 1 matter. Softmax is from Bridle (1990); "
        "logistic regression from Cox (1958)."
    ),
    answer_zh=(
        "sigmoid 把一个实数得分映射为概率 sigma(s) = 1 / (1 + e^-s),用于二分类;softmax 把 K 个得分映射为和为 1 的 K 个概率 "
        "softmax(z)_i = e^z_i / sum_j e^z_j,用于多分类。两类时二者是同一个函数:softmax(z0, z1)_1 = sigma(z1 - z0),数值与梯度"
        "都相同,因此 softmax 是 sigmoid 在 K 类上的推广,两者都用交叉熵训练(logistic loss 是其两类特例)。两类 softmax 回归就是"
        "权重为 w1 - w0 的逻辑回归;它的两个权重向量是过参数化的(同加一个向量不改变任何输出),学到的只有差。精确算术下两者输出"
        "都是概率;浮点数中一旦 1 - sigma(x) < eps / 2(即 x > ln(2 / eps)),sigmoid(x) 恰好舍入为 1.0,而 1 / (1 + e^-x) "
        "写法在 e^-x 溢出后恰好返回 0(报告给出每种精度下的这两个点),所以在意接近 0 或 1 的概率时应使用 log-sigmoid / log-softmax(或直接接收 logit 的损失)。"
        "softmax 出自 Bridle(1990),逻辑回归出自 Cox(1958)。"
    ),
    implemented_by=(
        "mustknow.functional.sigmoid",
        "mustknow.functional.softmax",
        "mustknow.functional.log_softmax",
        "mustknow.functional.cross_entropy",
        "mustknow.functional.logistic_loss",
        "mustknow.nn.Sigmoid",
        "mustknow.nn.Softmax",
    ),
    note_figures=("softmax-vs-sigmoid",),
    claims=_CLAIMS,
    full_profile_en=(
        "The full profile keeps the claims and data (analytic identities checked on random logits, and "
        "breast_cancer for the fitted models) and makes every measurement larger: ten seeds per claim; the "
        "two-class softmax-equals-sigmoid identity on 1,000,000 random logit pairs per seed instead of 20,000; "
        "softmax regression and logistic regression trained for 1,000 full-batch gradient-descent epochs and "
        "3,000 Adam epochs instead of 50 and 200, so both reach the same optimum rather than the same early "
        "iterate; and the output ranges probed on 2,000,000 sigmoid inputs and 5,000 softmax rows. No image "
        "set is used: these claims are about the functions themselves, not about a data set."
    ),
    full_profile_zh=(
        "full 配置档不改变论断和数据(解析恒等式在随机 logit 上检验,拟合的模型用 breast_cancer),只把每项测量做大:"
        "每个论断 10 个随机种子;二分类 softmax 等于 sigmoid 的恒等式每个种子检验 1,000,000 对随机 logit(quick 为 20,000);"
        "softmax 回归与逻辑回归分别用全批量梯度下降训练 1,000 轮、用 Adam 训练 3,000 轮(quick 为 50 和 200),"
        "使两者到达同一最优点而不只是同一个早期迭代;输出范围在 2,000,000 个 sigmoid 输入和 5,000 行 softmax 上检查。"
        "不使用图像数据集:这些论断关乎函数本身,与数据集无关。"
    ),
)
