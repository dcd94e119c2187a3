"""Question 10 (BN before or after ReLU): experiments on tiny configs, full-profile data, verdict rule."""

import dataclasses
import math

import pytest
import torch

import mustknow.data.vision
from mustknow.data import Dataset, DatasetFallbackWarning, Split
from mustknow.lab import runner
from mustknow.lab.claims import PROFILES, Claim, Question
from mustknow.lab.questions import q10_bn_placement as q
from mustknow.lab.train import seed_everything
from mustknow.nn import make_cnn, make_mlp

CLAIMS = {c.id: c for c in q.QUESTION.claims}


def result(seed, metrics, series=None, **config):
    return {"config": config, "seed": seed, "metrics": metrics, "series": series or {}}


# --------------------------------------------------------------------------- records


def test_question_record():
    assert isinstance(q.QUESTION, Question)
    assert q.QUESTION.number == 10
    assert set(CLAIMS) == {"q10.bn-position-mlp", "q10.bn-position-cnn"}
    assert all(name.startswith("mustknow.") for name in q.QUESTION.implemented_by)
    for cited in ("Ioffe", "keras-team/keras", "caffenet-benchmark"):
        assert cited in q.QUESTION.answer_en


@pytest.mark.filterwarnings("ignore::mustknow.data.DatasetFallbackWarning")  # full configs without the files
@pytest.mark.parametrize("claim", q.QUESTION.claims, ids=lambda c: c.id)
def test_claim_records_validate(claim):
    assert isinstance(claim, Claim)
    assert claim.question == 10 and claim.id.startswith("q10.")
    assert claim.seeds["quick"] >= 5 and claim.seeds["full"] >= 10
    for profile in PROFILES:
        configs = claim.configs(profile)
        assert claim.trial_configs(profile)
        # every learning rate has both positions, and the arms differ in nothing else
        assert {(c.lr, c.norm_position) for c in configs} == {(lr, p) for lr in q.LRS for p in ("before", "after")}
        assert len({dataclasses.replace(c, norm_position="before") for c in configs}) == len(q.LRS)
    assert claim.figure is not None


# Keys of the quick trials as stored before full configs named their data set (seed 0, lr 0.01, BN before).
QUICK_KEYS = {"mlp": "72bb44b95cd1e362", "cnn": "162ac5f75057e6aa"}


@pytest.mark.parametrize("arch", ["mlp", "cnn"])
def test_quick_configs_keep_their_fields_and_keys(arch):
    claim = CLAIMS[f"q10.bn-position-{arch}"]
    assert all(type(c) is q.PlacementConfig for c in claim.configs("quick"))
    quick = claim.configs("quick")[0]
    assert (quick.lr, quick.norm_position) == (1e-2, "before")
    assert runner._key(f"{q.__name__}.run_placement", runner.plain_config(quick), 0) == QUICK_KEYS[arch]
    assert q.FULL_DATASETS == {"mlp": "mnist", "cnn": "cifar10"}
    name = {"mlp": "MNIST", "cnn": "CIFAR-10"}[arch]
    assert f"full profile: {name} where available, else digits" in claim.claim_en
    assert name in claim.claim_zh


@pytest.mark.parametrize("arch", ["mlp", "cnn"])
def test_full_configs_ask_for_the_public_set_when_its_files_are_there(image_data_root, arch):
    full = CLAIMS[f"q10.bn-position-{arch}"].configs("full")
    assert all(isinstance(c, q.FullPlacementConfig) for c in full)
    assert {(c.dataset, c.n_train) for c in full} == {(q.FULL_DATASETS[arch], q.FULL_N_TRAIN[arch])}


@pytest.mark.parametrize("arch", ["mlp", "cnn"])
def test_full_configs_name_digits_without_the_files(monkeypatch, arch):
    monkeypatch.delenv("MUSTKNOW_DATA", raising=False)
    monkeypatch.setattr(mustknow.data.vision, "_warned", set())
    with pytest.warns(DatasetFallbackWarning, match=f"{q.FULL_DATASETS[arch]} is not available"):
        full = CLAIMS[f"q10.bn-position-{arch}"].configs("full")
    assert {(c.dataset, c.n_train) for c in full} == {("digits", None)}  # the whole digits training split


def test_full_config_rejects_an_unknown_data_set():
    with pytest.raises(ValueError, match="dataset"):
        q.FullPlacementConfig(dataset="imagenet")


def test_arms_of_one_seed_start_from_equal_weights():
    for build in (lambda pos: make_mlp(64, 10, 2, 8, norm="batch", norm_position=pos),
                  lambda pos: make_cnn(1, 10, 2, 4, norm="batch", norm_position=pos)):
        seed_everything(5)
        before = build("before").state_dict()
        seed_everything(5)
        after = build("after").state_dict()
        assert before.keys() == after.keys()
        assert all(torch.equal(before[k], after[k]) for k in before)


# --------------------------------------------------------------------------- experiments


@pytest.mark.parametrize("arch", ["mlp", "cnn"])
def test_experiment_runs_tiny_and_returns_finite_metrics(arch):
    cfg = q.PlacementConfig(arch=arch, norm_position="after", width=4, steps=2, batch_size=256)
    out = q.run_placement(cfg, 0)
    assert set(out["metrics"]) == {"test_acc", "test_loss", "final_train_loss"}
    assert all(isinstance(v, float) and math.isfinite(v) for v in out["metrics"].values())
    assert 0.0 <= out["metrics"]["test_acc"] <= 1.0
    assert len(out["series"]["step_loss"]) == 2
    assert q.run_placement(cfg, 0) == out  # deterministic for a seed


@pytest.mark.parametrize("arch", ["mlp", "cnn"])
def test_full_config_runs_end_to_end_on_the_public_set(image_data_root, arch):
    """A full arm on the fixture's tiny MNIST / CIFAR-10, shrunk: the quick arm's metrics, finite."""
    full = CLAIMS[f"q10.bn-position-{arch}"].configs("full")[0]
    cfg = dataclasses.replace(full, depth=1, width=4, steps=2, batch_size=16, n_train=40)
    out = q.run_placement(cfg, 0)
    assert set(out["metrics"]) == {"test_acc", "test_loss", "final_train_loss"}
    assert all(isinstance(v, float) and math.isfinite(v) for v in out["metrics"].values())
    assert 0.0 <= out["metrics"]["test_acc"] <= 1.0 and len(out["series"]["step_loss"]) == 2
    assert q.run_placement(cfg, 0) == out


def test_full_config_on_digits_uses_the_bundled_images():
    tiny = dict(arch="cnn", norm_position="after", width=4, steps=2, batch_size=256)
    out = q.run_placement(q.FullPlacementConfig(dataset="digits", **tiny), 0)
    assert out == q.run_placement(q.PlacementConfig(**tiny), 0)  # the same digits images as the quick arm


@pytest.mark.parametrize("arch", ["mlp", "cnn"])
def test_full_config_builds_the_model_from_the_loaded_data(monkeypatch, arch):
    """A stand-in 3-channel 6x6 set with 4 classes: the model takes its channels, features and classes."""
    gen = torch.Generator().manual_seed(0)

    def split(n):
        return Split(torch.rand(n, 3, 6, 6, generator=gen), torch.arange(n) % 4)

    def fake_loader(name, n_train=None, standardize=False, flatten=False):
        assert (name, n_train, standardize, flatten) == ("cifar10", 16, False, arch == "mlp")
        data = Dataset(name="cifar10", task="classification", num_classes=4, train=split(16), val=split(4),
                       test=split(8), feature_names=())
        if flatten:
            data = dataclasses.replace(data, **{p: Split(getattr(data, p).x.flatten(1), getattr(data, p).y)
                                                for p in ("train", "val", "test")})
        return data

    monkeypatch.setattr(q, "load_images", fake_loader)
    cfg = q.FullPlacementConfig(arch=arch, norm_position="before", width=4, steps=2, batch_size=8, dataset="cifar10",
                                n_train=16)
    out = q.run_placement(cfg, 0)
    assert all(math.isfinite(v) for v in out["metrics"].values()) and len(out["series"]["step_loss"]) == 2


# --------------------------------------------------------------------------- verdict rule


def _results(gains, noise=0.002):
    """Hand-made arms: accuracy after minus before = gains[i] at LRS[i] (plus a small per-seed spread)."""
    out = []
    for lr, gain in zip(q.LRS, gains):
        for seed in range(5):
            jitter = noise * (seed - 2)
            out.append(result(seed, {"test_acc": 0.9, "final_train_loss": 0.3, "test_loss": 0.35},
                              {"step_loss": [2.0, 1.0]}, arch="mlp", norm_position="before", lr=lr))
            out.append(result(seed, {"test_acc": 0.9 + gain + jitter, "final_train_loss": 0.3 - gain,
                                     "test_loss": 0.35}, {"step_loss": [2.0, 0.9]},
                              arch="mlp", norm_position="after", lr=lr))
    return out


@pytest.mark.parametrize(
    "gains,noise,label,winner",
    [
        ((0.05, 0.04), 0.002, "SUPPORTED", "after"),
        ((-0.05, -0.04), 0.002, "SUPPORTED", "before"),
        ((0.05, -0.04), 0.002, "NUANCED", "depends on the learning rate"),  # opposite signs
        ((0.05, 0.0), 0.002, "NUANCED", "depends on the learning rate"),  # one lr only
        ((0.001, -0.001), 0.001, "NUANCED", "neither (equivalent)"),  # inside the margin
        ((0.001, -0.001), 0.02, "INCONCLUSIVE", "undecided"),  # too wide to tell
    ],
)
def test_verdict_rule(gains, noise, label, winner):
    v = q.verdict_placement(_results(gains, noise))
    assert v.label == label
    assert v.evidence["winner"] == winner
    assert v.evidence["equivalence_margin"] == q.EQUIVALENCE_MARGIN
    assert set(v.evidence["acc_after_minus_before"]) == {f"lr={lr:g}" for lr in q.LRS}
    assert "after minus before" in v.explanation_en
    assert v.evidence["dataset"] == "digits" and v.explanation_en.startswith("On digits,")


@pytest.mark.parametrize("dataset,name", [("mnist", "MNIST"), ("cifar10", "CIFAR-10"), ("digits", "digits")])
def test_verdict_names_the_data_set_of_full_results(dataset, name):
    results = _results((0.05, 0.04))
    for r in results:
        r["config"]["dataset"] = dataset
    v = q.verdict_placement(results)
    assert v.evidence["dataset"] == name
    assert v.explanation_en.startswith(f"On {name},") and v.explanation_zh.startswith(f"在 {name} 上")
    assert not any("fallback" in key for key in v.evidence)


def test_figure_renders_from_hand_made_results(tmp_path):
    paths = q.figure_placement(_results((0.05, 0.04)), tmp_path)
    assert [p.name for p in paths] == ["q10_bn_position_mlp.png"]
    assert paths[0].stat().st_size > 0


def test_full_plan_names_the_data_sets_asked_for(image_data_root, monkeypatch, tmp_path):
    from mustknow.lab.plan import plan

    tmp_path = tmp_path / "results"  # apart from the fixture's data files
    lines = plan(q.QUESTION.claims, "full", tmp_path).lines()
    assert "    data sets asked for: mnist, cifar10" in lines  # one experiment serves both claims
    assert not any("data sets" in line for line in plan(q.QUESTION.claims, "quick", tmp_path).lines())
    monkeypatch.delenv("MUSTKNOW_DATA")
    monkeypatch.setattr(mustknow.data.vision, "_warned", set())
    with pytest.warns(DatasetFallbackWarning):
        assert "    data sets asked for: digits" in plan(q.QUESTION.claims, "full", tmp_path).lines()
