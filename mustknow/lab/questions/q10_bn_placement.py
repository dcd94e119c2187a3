"""Question 10: batch normalisation before or after the nonlinearity?

The note gives three views: the BN paper puts BN before the nonlinearity
(Ioffe & Szegedy 2015), current practice and one benchmark put it after ReLU,
and a third view holds that it depends on what one wants to normalise, "more
like a hyperparameter". Two claims test this on identical networks that
differ only in ``norm_position`` (``act(BN(Wx))`` vs ``BN(act(Wx))``): an MLP
and a small CNN on digits, paired by seed (the arms of one seed share their
initial weights and minibatch order), each at two learning rates. After
training, both arms' BN running statistics are recomputed on the training set
(:func:`mustknow.lab.train.recalibrate_batch_norm`), so the test accuracy reflects the trained
weights rather than the lag of the running averages after a short run.

The verdict rule, fixed before any run: a position *wins* on an architecture
when the paired 95% interval of the test-accuracy difference (after minus
before) excludes 0 at both learning rates, in the same direction
(SUPPORTED, naming the position). If it excludes 0 at one learning rate only,
or in opposite directions, the winner depends on the learning rate: NUANCED
(a hyperparameter). If it excludes 0 at neither and every interval lies
within +-:data:`EQUIVALENCE_MARGIN`, the positions are equivalent here:
NUANCED (no difference that matters). Otherwise INCONCLUSIVE.

The full profile trains deeper and wider nets for longer on public sets:
the MLP on MNIST (pixels in [0, 1] as 784-vectors), the CNN on CIFAR-10
(32x32 colour images), each on a stratified subset of training images
(:data:`FULL_N_TRAIN`, split seed 0) and tested on the
official test part (:func:`mustknow.data.load_image_classification`). The set
is resolved when the configs are built
(:func:`mustknow.data.available_image_dataset`): where its files are missing
the config names digits, so a trial's key always says which data it used and
results on different sets never mix.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any


from ...data import available_image_dataset, load_dataset
from ...nn import make_cnn, make_mlp
from .. import stats
from ..claims import Claim, Question, Result, Verdict
from ._images import TITLES, FullData, data_title, load_images
from ..train import TrainConfig, evaluate, fit, recalibrate_batch_norm, seed_everything

__all__ = ["QUESTION"]

_SECTION = "十、BN应该放在非线性激活层的前面还是后面?"
_NOTE = (
    "BN 原论文把 BN 放在非线性激活之前;但目前实践中倾向于放在 ReLU 之后,也有评测表明放在 ReLU 后面更好;"
    "还有一种观点认为放在前面还是后面取决于想归一化的对象,更像一个超参数。"
)

#: Accuracy difference below which the two positions count as equivalent.
EQUIVALENCE_MARGIN = 0.01
#: The two Adam learning rates every comparison is run at: a moderate one and
#: a five times larger one, which BN nets tolerate.
LRS = (1e-2, 5e-2)


@dataclass(frozen=True)
class PlacementConfig:
    """One arm: an architecture, a BN position and a learning rate."""

    arch: str = "mlp"  # "mlp" (64 standardised pixels) or "cnn" (8x8 images in [0, 1])
    norm_position: str = "before"  # "before": act(BN(Wx)) as in the BN paper; "after": BN(act(Wx))
    lr: float = 1e-2  # Adam step size; each claim runs both of LRS
    depth: int = 2  # hidden blocks, each Linear/Conv + BN + ReLU
    width: int = 64  # units (MLP) or channels (CNN) per block
    steps: int = 40  # Adam steps: the same budget for both positions
    batch_size: int = 128  # minibatch


@dataclass(frozen=True)
class FullPlacementConfig(FullData, PlacementConfig):
    """A full-profile arm: a :class:`PlacementConfig` that also names its data set (FULL_DATASETS[arch] when
    its files are there, else digits) and training-set size.

    A subclass rather than new fields of :class:`PlacementConfig`, so the quick
    configs keep exactly their fields, and with them the keys of their stored results.
    """


#: Training images of a full config on a public set, a stratified subset: 600 steps draw 76800 (MLP,
#: batch 128) or 38400 (CNN, batch 64) samples, about 4 epochs of it.
FULL_N_TRAIN = {"mlp": 20000, "cnn": 10000}
#: Rows per forward pass when a full config's BN statistics are recomputed over its training images
#: (the whole-set statistics either way; chunks keep the memory of a 32x32 CNN to a few hundred MB).
RECALIBRATION_BATCH = 1000


def _data(config: PlacementConfig):
    """Digits (quick: 64 standardised pixels for the MLP), or the full config's set (pixels in [0, 1])."""
    if not isinstance(config, FullPlacementConfig):
        return load_dataset("digits", seed=0, as_images=config.arch == "cnn")
    return load_images(config.dataset, config.n_train, flatten=config.arch == "mlp")


def run_placement(config: PlacementConfig, seed: int) -> dict[str, Any]:
    """Train one arm; recalibrate BN; test accuracy and loss, final training loss (eval mode), step losses."""
    images = config.arch == "cnn"
    data = _data(config)
    seed_everything(seed)  # equal initial weights for both positions (same layers, same order)
    common = dict(norm="batch", norm_position=config.norm_position)
    if images:
        model = make_cnn(data.train.x.shape[1], data.num_classes, config.depth, config.width, **common)
    else:
        model = make_mlp(data.num_features, data.num_classes, config.depth, config.width, **common)
    curve: list[float] = []
    fit(model, data.train, None,
        TrainConfig(lr=config.lr, epochs=config.steps, max_steps=config.steps, batch_size=config.batch_size),
        seed=seed, on_step=lambda step, m, loss: curve.append(float(loss)))
    # Full configs' sets are large: the same statistics, computed RECALIBRATION_BATCH rows at a time.
    recalibrate_batch_norm(model, data.train.x,
                           batch_size=RECALIBRATION_BATCH if isinstance(config, FullPlacementConfig) else None)
    test = evaluate(model, data.test)
    train = evaluate(model, data.train)
    metrics = {"test_acc": test["acc"], "test_loss": test["loss"], "final_train_loss": train["loss"]}
    return {"metrics": metrics, "series": {"step_loss": curve}}


#: The data set each architecture's full configs ask for (digits when its files are not there).
FULL_DATASETS = {"mlp": "mnist", "cnn": "cifar10"}


def _configs(arch: str, profile: str) -> list[PlacementConfig]:
    cls = PlacementConfig if profile == "quick" else FullPlacementConfig
    if arch == "mlp":
        extra = {} if profile == "quick" else {"depth": 4, "width": 128, "steps": 600}
    elif profile == "quick":
        extra = {"width": 16, "batch_size": 32}
    else:
        extra = {"depth": 4, "width": 32, "steps": 600, "batch_size": 64}
    if profile != "quick":
        extra["dataset"] = available_image_dataset(FULL_DATASETS[arch])
        extra["n_train"] = None if extra["dataset"] == "digits" else FULL_N_TRAIN[arch]
    return [cls(arch=arch, norm_position=pos, lr=lr, **extra) for lr in LRS for pos in ("before", "after")]


def configs_mlp(profile: str) -> list[PlacementConfig]:
    return _configs("mlp", profile)


def configs_cnn(profile: str) -> list[PlacementConfig]:
    return _configs("cnn", profile)


def _side(iv: stats.Interval) -> int:
    """+1 when the interval lies above 0, -1 below, 0 when it contains 0."""
    return 1 if iv.low > 0 else -1 if iv.high < 0 else 0


def _decide(diffs: Sequence[stats.Interval]) -> tuple[str, str]:
    """(label, winner) from the after-minus-before accuracy intervals at each learning rate."""
    sides = {_side(iv) for iv in diffs}
    if len(sides) == 1 and 0 not in sides:
        return "SUPPORTED", "after" if sides == {1} else "before"
    if sides != {0}:
        return "NUANCED", "depends on the learning rate"
    if all(-EQUIVALENCE_MARGIN < iv.low and iv.high < EQUIVALENCE_MARGIN for iv in diffs):
        return "NUANCED", "neither (equivalent)"
    return "INCONCLUSIVE", "undecided"


def _paired(results: Sequence[Result], lr: float, metric: str) -> stats.Interval:
    after = stats.select(results, lr=lr, norm_position="after")
    before = stats.select(results, lr=lr, norm_position="before")
    return stats.paired_diff(stats.metric_values(after, metric), stats.metric_values(before, metric))


def verdict_placement(results: list[Result]) -> Verdict:
    lrs = sorted(stats.by_config(results, "lr"))
    acc = [_paired(results, lr, "test_acc") for lr in lrs]
    loss = [_paired(results, lr, "final_train_loss") for lr in lrs]
    label, winner = _decide(acc)
    dataset = data_title(results)
    arms = {}
    for lr in lrs:
        for pos in ("before", "after"):
            arm = stats.select(results, lr=lr, norm_position=pos)
            arms[f"lr={lr:g}_{pos}"] = {m: stats.mean_ci(stats.metric_values(arm, m)).to_dict()
                                        for m in ("test_acc", "final_train_loss")}
    evidence = {
        "threshold": "a position wins when the paired 95% CI of the accuracy difference excludes 0 at every lr, "
                     f"same sign; equivalence margin {EQUIVALENCE_MARGIN:g}",
        "equivalence_margin": EQUIVALENCE_MARGIN,
        "winner": winner,
        "acc_after_minus_before": {f"lr={lr:g}": iv.to_dict() for lr, iv in zip(lrs, acc)},
        "train_loss_after_minus_before": {f"lr={lr:g}": iv.to_dict() for lr, iv in zip(lrs, loss)},
        "arms": arms,
        "dataset": dataset,
        "metrics": ["test_acc", "final_train_loss", "test_loss"],
    }
    per_lr_en = "; ".join(f"lr {lr:g}: accuracy {a.fmt()}, final training loss {l.fmt()}"
                          for lr, a, l in zip(lrs, acc, loss))
    per_lr_zh = ";".join(f"学习率 {lr:g}:准确率 {a.fmt()},最终训练损失 {l.fmt()}"
                         for lr, a, l in zip(lrs, acc, loss))
    winner_zh = {"after": "ReLU 之后", "before": "ReLU 之前", "depends on the learning rate": "取决于学习率",
                 "neither (equivalent)": "两者相当", "undecided": "无法判定"}[winner]
    en = f"On {dataset}, BN after minus before ReLU (paired): {per_lr_en}; winner: {winner}."
    zh = f"在 {dataset} 上,BN 放在 ReLU 之后减之前(配对):{per_lr_zh};结论:{winner_zh}。"
    return Verdict(label, en, zh, evidence)


def figure_placement(results: list[Result], out_dir: Path) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    arch = results[0]["config"]["arch"]
    dataset = data_title(results)
    lrs = sorted(stats.by_config(results, "lr"))
    fig, axes = plt.subplots(1, 3, figsize=(12, 3.8))
    panels = ((axes[0], "test_acc", "test accuracy"), (axes[1], "final_train_loss", "final train loss"))
    for ax, metric, title in panels:
        for k, lr in enumerate(lrs):
            after = stats.metric_values(stats.select(results, lr=lr, norm_position="after"), metric)
            before = stats.metric_values(stats.select(results, lr=lr, norm_position="before"), metric)
            diffs = [a - b for a, b in zip(after, before)]
            iv = stats.mean_ci(diffs)
            ax.scatter([k] * len(diffs), diffs, color="grey", s=12, zorder=2)
            err = [[iv.mean - iv.low if math.isfinite(iv.low) else 0],
                   [iv.high - iv.mean if math.isfinite(iv.high) else 0]]
            ax.errorbar([k + 0.15], [iv.mean], yerr=err, fmt="o", color="tab:blue", capsize=4, zorder=3)
        ax.axhline(0.0, color="black", lw=0.8)
        ax.set_xticks(range(len(lrs)), [f"lr {lr:g}" for lr in lrs])
        ax.set_xlim(-0.5, len(lrs) - 0.5)
        ax.set_ylabel(f"after - before ({title})")
        ax.set_title(f"{arch.upper()} on {dataset}: paired difference, 95% CI")
    colours = {"before": "tab:orange", "after": "tab:green"}
    for lr, style in zip(lrs, ("-", ":")):
        for pos in ("before", "after"):
            rows = [r["series"]["step_loss"] for r in stats.select(results, lr=lr, norm_position=pos)]
            mean = [statistics.fmean(col) for col in zip(*rows)]
            axes[2].plot(range(1, len(mean) + 1), mean, ls=style, color=colours[pos], label=f"BN {pos}, lr {lr:g}")
    axes[2].set_yscale("log")
    axes[2].set_xlabel("Adam step")
    axes[2].set_ylabel("minibatch training loss (mean over seeds)")
    axes[2].set_title("Training curves")
    axes[2].legend(fontsize=8)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"q10_bn_position_{arch}.png"
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return [path]


def _claim(arch: str, name_en: str, name_zh: str, configs) -> Claim:
    full = TITLES[FULL_DATASETS[arch]]
    full_en = f"the full profile: {full} where available, else digits"
    full_zh = f"完整配置:有 {full} 时用 {full},否则用 digits"
    return Claim(
        id=f"q10.bn-position-{arch}",
        question=10,
        section=_SECTION,
        note_zh=_NOTE,
        claim_en=(
            f"On {name_en} on digits ({full_en}), one BN position (before or after ReLU) gives a higher test accuracy than the "
            "other at both learning rates (the note's first two views); otherwise the choice behaves like a "
            "hyperparameter (the note's third view)."
        ),
        claim_zh=(
            f"在 digits({full_zh})上的{name_zh}中,BN 的某一位置(ReLU 之前或之后)在两个学习率下测试准确率都更高(笔记的前两种观点);"
            "否则这一选择更像一个超参数(笔记的第三种观点)。"
        ),
        metric=(
            "test accuracy after a fixed number of Adam steps, BN statistics recomputed on the training set "
            "(final training loss reported)"
        ),
        comparison=(
            "paired by seed, after minus before, at each of two learning rates; SUPPORTED (for that position) when "
            "every interval excludes 0 on the same side; NUANCED when the side depends on the learning rate, or "
            f"when every interval lies within +-{EQUIVALENCE_MARGIN:g}; INCONCLUSIVE otherwise"
        ),
        threshold=f"paired 95% CI excludes 0 at both lrs, same sign; equivalence margin {EQUIVALENCE_MARGIN:g}",
        experiment=run_placement,
        configs=configs,
        verdict=verdict_placement,
        seeds={"quick": 5, "full": 10},
        figure=figure_placement,
    )


QUESTION = Question(
    number=10,
    title_zh="BN应该放在非线性激活层的前面还是后面?",
    title_en="Should BN go before or after the nonlinearity?",
    answer_en=(
        "Ioffe & Szegedy (2015, 'Batch Normalization', arXiv:1502.03167) add BN 'immediately before the "
        "nonlinearity', normalising x = Wu + b rather than the layer input u, arguing that u, the output of "
        "another nonlinearity, has a distribution whose shape is likely to change during training. The other "
        "order has a following: in keras-team/keras issue #1802 (Feb 2016) F. Chollet wrote that recent code by "
        "Christian Szegedy applies ReLU before BN and that the placement 'is still occasionally a topic of "
        "debate'. The benchmark the note refers to is D. Mishkin's caffenet-benchmark (github.com/ducha-aiki/"
        "caffenet-benchmark, batchnorm.md): one run per setting of a CaffeNet on 128-px ImageNet-2012 gave top-1 "
        "accuracy 0.474 with BN before ReLU (0.478 with a scale-and-bias layer) and 0.499 with BN after ReLU "
        "(0.493 with scale and bias); on a GoogLeNet the same page lists 0.607 for BN before (orthogonal init) "
        "and 0.596 for BN after (LSUV init), so there the order reversed, with single runs and different "
        "initialisations. None of these is a paired, multi-seed comparison. The two orders differ in what the "
        "next layer sees: BN before ReLU hands on non-negative activations, about half of them zero; BN after "
        "ReLU hands on zero-mean, unit-variance ones (the head included). Here identical MLPs and CNNs differ "
        "only in the position, with paired seeds at two learning rates; the verdicts say which position won, "
        "if any."
    ),
    answer_zh=(
        "Ioffe 与 Szegedy(2015,《Batch Normalization》,arXiv:1502.03167)把 BN 加在非线性“紧前面”,归一化 x = Wu + b"
        "而非层输入 u,理由是 u 是上一层非线性的输出,其分布形状在训练中容易改变。另一种顺序也有支持者:keras-team/keras 第 1802 号"
        "讨论(2016 年 2 月)中 F. Chollet 说 Christian Szegedy 近来的代码是先 ReLU 后 BN,并说放置位置“仍不时有争论”。笔记提到的"
        "评测是 D. Mishkin 的 caffenet-benchmark(github.com/ducha-aiki/caffenet-benchmark,batchnorm.md):128 像素 "
        "ImageNet-2012 上的 CaffeNet 每种设置各跑一次,BN 在 ReLU 前 top-1 准确率 0.474(加 scale&bias 层 0.478),"
        "在 ReLU 后 0.499(加 scale&bias 0.493);同页 GoogLeNet 上 BN 在前(正交初始化)0.607、在后(LSUV 初始化)0.596,"
        "顺序反了过来,且都是单次运行、初始化不同。这些都不是配对的多种子比较。两种顺序的区别在于下一层看到什么:BN 在 ReLU 前时,"
        "传下去的是非负、约一半为零的激活;BN 在 ReLU 后时,传下去的是均值 0、方差 1 的激活(输出层也是如此)。本项目让结构完全相同、只差 BN 位置的 MLP 和 CNN "
        "在两个学习率下做配对种子比较,由判定给出哪种位置胜出(如果有的话)。"
    ),
    implemented_by=(
        "mustknow.nn.PlainBlock",
        "mustknow.nn.make_mlp",
        "mustknow.nn.make_cnn",
        "mustknow.nn.BatchNorm1d",
        "mustknow.nn.BatchNorm2d",
        "mustknow.functional.batch_norm",
    ),
    note_figures=(),
    claims=(
        _claim("mlp", "an MLP (Linear, BN and ReLU blocks)", "MLP", configs_mlp),
        _claim("cnn", "a small CNN (3x3 convolutions, global average pooling)", "小型 CNN", configs_cnn),
    ),
    full_profile_en=(
        "Both claims run 10 seeds instead of 5, at the same two Adam learning rates (0.01 and 0.05). The MLP grows "
        "from 2 hidden blocks of 64 units and 40 steps to 4 blocks of 128 units trained for 600 steps (batch 128) "
        "on MNIST; the CNN grows from 2 conv blocks of 16 channels and 40 steps to 4 blocks of 32 channels trained "
        "for 600 steps (batch 64) on CIFAR-10 (32x32 colour images; the blocks keep the full resolution and the head "
        "averages over it). Each uses a "
        "stratified subset of the training images (20000 MNIST, 10000 CIFAR-10: about 4 epochs; split seed 0), on "
        "which BN is recalibrated and the final training loss measured, and the official test set. Where a set's files are missing, its configs name "
        "digits (the same networks and steps on the bundled 8x8 digits, pixels in [0, 1]), so results on "
        "different data never share a key."
    ),
    full_profile_zh=(
        "两个论断都跑 10 个种子(quick 为 5 个),学习率仍为 Adam 的 0.01 和 0.05。MLP 从 2 个 64 单元的隐藏块、40 步,扩大为 "
        "4 个 128 单元的隐藏块,在 MNIST 上训练 600 步(批大小 128);CNN 从 2 个 16 通道的卷积块、40 步,扩大为 4 个 32 通道的"
        "卷积块,在 CIFAR-10(32x32 彩色图像;各卷积块保持全分辨率,输出层对其做全局平均)上训练 600 步(批大小 64)。两者都使用按类分层抽取的训练图像"
        "(MNIST 20000 张,CIFAR-10 10000 张,约 4 个 epoch;划分种子为 0),BN 统计量在其上重新计算,最终训练损失也在其上测量,并在官方测试集上测试。缺少某个数据集的文件时,"
        "其配置写明 digits(同样的网络和步数,用自带的 8x8 digits,像素在 [0, 1] 内),因此不同数据上的结果绝不会共用同一个键。"
    ),
)
