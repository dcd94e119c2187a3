"""Question 9 (segmentation losses): metrics on hand-made maps, every arm on a tiny config, verdict rules, records."""

import dataclasses
import math

import pytest
import torch

from mustknow.lab.claims import PROFILES, Claim, Question
from mustknow.lab.questions import q09_segmentation_losses as q

CLAIMS = {c.id: c for c in q.QUESTION.claims}

# A tiny config: 8 px canvases (one 8 px digit each), a 2-channel U-Net, one epoch of one step.
TINY = dict(size=8, max_digits=1, n_train=8, n_val=4, n_test=4, base_channels=2, batch_size=8, epochs=1,
            disc_channels=2)


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    """Trials run single-threaded, as the runner runs them (tiny convolutions only lose from threads)."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def tiny(arm):
    return dataclasses.replace(q._config(arm, "quick"), **TINY)


# --------------------------------------------------------------------------- records


def test_question_record():
    assert isinstance(q.QUESTION, Question)
    assert q.QUESTION.number == 9
    assert len(CLAIMS) == len(q.QUESTION.claims) == 6
    assert all(name.startswith("mustknow.") for name in q.QUESTION.implemented_by)


@pytest.mark.parametrize("claim", q.QUESTION.claims, ids=lambda c: c.id)
def test_claim_records_validate(claim):
    assert isinstance(claim, Claim)
    assert claim.question == 9 and claim.id.startswith("q09.")
    assert claim.seeds["quick"] >= 3 and claim.seeds["full"] >= 10
    assert claim.experiment is q.run_arm  # one experiment: trials are shared between claims
    for profile in PROFILES:
        configs = claim.trial_configs(profile)
        assert configs and all(c["arm"] in q.ARMS for c in configs)
    assert claim.figure is not None


@pytest.mark.parametrize("profile", PROFILES)
def test_an_arm_has_one_config_whatever_the_claim(profile):
    seen = {}
    for claim in q.QUESTION.claims:
        for cfg in claim.trial_configs(profile):
            assert seen.setdefault(cfg["arm"], cfg) == cfg
    assert set(seen) == set(q.ARMS)  # the overview claim covers every arm


def test_arms_differ_only_in_the_loss_and_the_fine_tuning_epochs():
    base = dataclasses.asdict(q._config("ce", "full"))
    for arm in q.ARMS:
        cfg = dataclasses.asdict(q._config(arm, "full"))
        assert {k for k in cfg if cfg[k] != base[k]} <= {"arm", "finetune_epochs"}
        assert (cfg["finetune_epochs"] > 0) == (arm in q.FINETUNE_ARMS)


def test_quick_is_lighter_than_full():
    quick, full = q._config("ce", "quick"), q._config("ce", "full")
    assert quick.size < full.size and quick.n_train < full.n_train and quick.epochs < full.epochs


# --------------------------------------------------------------------------- metrics


def test_confusion_and_iou_by_hand():
    target = torch.tensor([[[0, 0, 1, 1]]])
    pred = torch.tensor([[[0, 1, 1, 2]]])
    cm = q._confusion(pred, target, 3)
    assert cm.tolist() == [[1, 1, 0], [0, 1, 1], [0, 0, 0]]
    iou = q._iou_per_class(cm)
    # class 0: 1 / (1 + 1); class 1: 1 / (2 + 2 - 1); class 2: 0 / 1; all by hand
    assert iou[:3].tolist() == pytest.approx([0.5, 1 / 3, 0.0])
    assert math.isnan(q._iou_per_class(torch.zeros(2, 2, dtype=torch.float64))[0])


def test_edges_mark_both_sides_of_a_label_change():
    labels = torch.tensor([[[0, 0, 0], [0, 1, 0], [0, 0, 0]]])
    edge = q._edges(labels)
    assert edge[0].tolist() == [[False, True, False], [True, True, True], [False, True, False]]
    assert not q._edges(torch.zeros(1, 3, 3, dtype=torch.long)).any()


def test_boundary_scores_by_hand():
    target = torch.tensor([[[0, 0, 0, 0], [0, 1, 1, 0], [0, 0, 0, 0]]])
    perfect = q._boundary_scores(target, target, tolerance=0)
    assert perfect == {"boundary_acc": 1.0, "boundary_f": 1.0}
    empty = q._boundary_scores(torch.zeros_like(target), target, tolerance=0)
    # boundary pixels: the two 1s and their 4 + 2 background neighbours (8); background predicted right on 6
    assert empty["boundary_acc"] == pytest.approx(6 / 8)
    assert empty["boundary_f"] == 0.0


def test_scores_of_a_perfect_prediction():
    _, _, test = q._splits(tiny("ce"))
    m = q._scores(test.masks, test.masks, tiny("ce"), binary=False)
    present = test.masks.unique().tolist()
    assert m["miou"] == m["pixel_acc"] == m["class_acc"] == m["fg_iou"] == 1.0
    assert m["boundary_acc"] == m["boundary_f"] == 1.0
    assert all(m[f"iou_c{c:02d}"] == 1.0 for c in present)
    binary = q._scores((test.masks > 0).long(), test.masks, tiny("ce"), binary=True)
    assert binary["fg_iou"] == binary["pixel_acc"] == 1.0 and "miou" not in binary


def test_training_set_has_the_rare_digits_scarce_and_test_set_balanced():
    cfg = q._config("ce", "quick")
    train, _, test = q._splits(cfg)
    rare = [d + 1 for d in cfg.rare_classes]
    common = [c for c in range(1, 11) if c not in rare]
    assert train.class_frequencies[rare].max() < 0.5 * train.class_frequencies[common].min()
    assert test.class_frequencies[rare].min() > 0.3 * test.class_frequencies[common].max()
    assert train.class_frequencies[0] > 0.8  # the background majority


# --------------------------------------------------------------------------- experiment


@pytest.mark.parametrize("arm", q.ARMS)
def test_every_arm_runs_tiny_and_returns_finite_metrics(arm):
    cfg = tiny(arm)
    out = q.run_arm(cfg, 0)
    assert set(out) == {"metrics", "series"}
    for name, value in out["metrics"].items():
        assert isinstance(value, float) and math.isfinite(value), name
    expected = {"fg_iou", "pixel_acc", "boundary_acc", "boundary_f", "train_cpu_s"}
    if arm in q.MULTICLASS_ARMS:
        expected |= {"miou", "class_acc", "rare_iou", "iou_c00", "iou_c10"}
    assert expected <= set(out["metrics"])
    assert len(out["series"]["val_score"]) == cfg.epochs + cfg.finetune_epochs
    assert len(out["series"]["pred_0"]) == cfg.size**2


def test_trials_are_deterministic_and_paired():
    a, b = q.run_arm(tiny("ce"), 3), q.run_arm(tiny("ce"), 3)
    assert {k: v for k, v in a["metrics"].items() if k != "train_cpu_s"} == {
        k: v for k, v in b["metrics"].items() if k != "train_cpu_s"
    }
    # the fine-tuning control replays CE's first epochs exactly
    ft = q.run_arm(dataclasses.replace(tiny("ce_then_ce"), finetune_epochs=1), 3)
    assert ft["series"]["val_score"][0] == a["series"]["val_score"][0]


def test_unknown_arm_is_rejected():
    with pytest.raises(ValueError, match="arm='hinge' must be one of"):
        q.run_arm(dataclasses.replace(tiny("ce"), arm="hinge"), 0)


def test_figures_render(tmp_path):
    side = TINY["size"]
    results = []
    for arm in ("ce", "weighted_ce", "binary_dice"):
        for seed in (0, 1):
            metrics = {m: 0.5 + 0.1 * seed for m in METRICS}
            metrics.update({f"iou_c{c:02d}": 0.05 * c for c in range(11)})
            series = {"val_score": [0.1, 0.2], **{f"pred_{i}": [float(i)] * side**2 for i in range(4)}}
            config = dataclasses.asdict(tiny(arm))
            results.append({"config": config, "seed": seed, "metrics": metrics, "series": series})
    paths = q.figure_overview(results, tmp_path)
    paths += CLAIMS["q09.weighted-ce-helps-rare-classes"].figure(results, tmp_path)
    assert len(paths) == 5 and all(p.exists() and p.stat().st_size > 0 for p in paths)


# --------------------------------------------------------------------------- verdict rules

METRICS = ("miou", "class_acc", "pixel_acc", "rare_iou", "fg_iou", "fg_fraction", "boundary_acc", "boundary_f",
           "train_cpu_s")
JITTER = (0.0, 0.01, -0.01, 0.005, -0.005)


def made(gains, base=0.5, noisy=()):
    """Five seeds of every arm: metric = base + the arm's gain + a seed jitter (reversed for ``noisy`` arms).

    Paired differences to an arm with the same jitter are exactly the gain (a zero-width interval);
    a ``noisy`` arm's differences scatter around its gain (an interval around it).
    """
    out = []
    for arm in q.ARMS:
        jitter = JITTER[::-1] if arm in noisy else JITTER
        for seed in range(len(JITTER)):
            value = base + gains.get(arm, 0.0) + jitter[seed]
            config = dataclasses.asdict(q._config(arm, "quick"))
            out.append({"config": config, "seed": seed, "metrics": {m: value for m in METRICS}, "series": {}})
    return out


CASES = {
    "q09.weighted-ce-helps-rare-classes": ({"weighted_ce": 0.1}, {"weighted_ce": -0.1}, {"weighted_ce"}),
    "q09.dice-beats-ce-small-foreground": ({"binary_dice": 0.1}, {"binary_dice": -0.1}, {"binary_dice"}),
    "q09.dice-only-binary": ({"dice": -0.2}, {"dice": 0.0}, {"dice"}),
    "q09.iou-losses-beat-ce": (
        {"jaccard": 0.1, "lovasz": 0.1, "ce_then_lovasz": 0.1},
        {"jaccard": -0.1, "lovasz": -0.1, "ce_then_lovasz": -0.1},
        {"jaccard", "lovasz", "ce_then_lovasz"},
    ),
    "q09.bootstrapped-ce-boundaries": ({"bootstrapped_ce": 0.1}, {"bootstrapped_ce": -0.1}, {"bootstrapped_ce"}),
    "q09.adversarial-beats-ce": ({"adversarial": 0.1}, {"adversarial": -0.1}, {"adversarial"}),
}


@pytest.mark.parametrize("cid", sorted(CASES))
def test_verdict_supported_refuted_undecided(cid):
    support, refute, noisy = CASES[cid]
    claim = CLAIMS[cid]
    undecided = {arm: (-0.05 if cid == "q09.dice-only-binary" else 0.0) for arm in noisy}
    v = claim.verdict(made(support))
    assert v.label == "SUPPORTED", v.explanation_en
    assert v.explanation_en.endswith(".") and v.explanation_zh.endswith("。")
    assert v.evidence["threshold"] == claim.threshold
    assert claim.verdict(made(refute)).label == "REFUTED"
    assert claim.verdict(made(undecided, noisy=noisy)).label == "INCONCLUSIVE"


def test_iou_claim_mixed_is_nuanced_and_ranks_the_arms():
    v = CLAIMS["q09.iou-losses-beat-ce"].verdict(made({"jaccard": 0.1, "lovasz": -0.1, "ce_then_lovasz": 0.0}))
    assert v.label == "NUANCED"
    assert v.evidence["labels"] == {"jaccard-ce": "SUPPORTED", "lovasz-ce": "REFUTED",
                                    "ce_then_lovasz-ce_then_ce": "REFUTED"}
    ranking = [row["arm"] for row in v.evidence["ranking_by_miou"]]
    assert ranking[0] == "jaccard" and ranking[-1] == "lovasz" and set(ranking) == set(q.MULTICLASS_ARMS)


@pytest.mark.parametrize("cid", [c for c in sorted(CASES) if c != "q09.dice-beats-ce-small-foreground"])
def test_multiclass_claims_wait_for_the_reference_to_learn(cid):
    support = CASES[cid][0]
    v = CLAIMS[cid].verdict(made(support, base=0.1))  # CE at 0.1 mean IoU: nothing learned yet
    assert v.label == "INCONCLUSIVE"
    assert "undecided because the CE reference reached only 0.100" in v.explanation_en
    assert v.evidence["min_reference_miou"] == q.MIN_REFERENCE_MIOU


def test_verdict_needs_both_arms():
    only_ce = [r for r in made({}) if r["config"]["arm"] == "ce"]
    with pytest.raises(ValueError, match="no seed has results for both arm 'adversarial' and arm 'ce'"):
        CLAIMS["q09.adversarial-beats-ce"].verdict(only_ce)
