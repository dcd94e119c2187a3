"""The runner: trial expansion, the atomic store, resume, force, corrupt files, determinism, backends, kills."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from mustknow.lab import runner
from mustknow.lab.runner import RESULT_KEYS, LocalBackend, ProcessBackend, StoredResultWarning

HERE = Path(__file__).resolve().parent
N_TRIALS = 9  # lab_fakes: 6 trials for q01 (3 shared by two claims), 3 for q02


@pytest.fixture
def fakes(monkeypatch):
    monkeypatch.syspath_prepend(str(HERE))
    import lab_fakes

    lab_fakes.install(monkeypatch)
    return lab_fakes


@pytest.fixture
def claims(fakes):
    return [c for q in fakes.make_questions() for c in q.claims]


def _stored(root: Path) -> list[Path]:
    return sorted(root.rglob("*.json"))


def _metrics(claims, results_dir, profile="quick"):
    return {c.id: [(r["config"], r["seed"], r["metrics"], r["series"]) for r in
                   runner.load_results(c, profile, results_dir)] for c in claims}


def test_expand_merges_identical_trials(claims, tmp_path):
    trials = runner.expand(claims, "quick", tmp_path)
    assert len(trials) == N_TRIALS
    shared = [t for t in trials if len(t.claims) == 2]
    assert len(shared) == 3 and all(t.claims == ("q01.fake-shifted", "q01.fake-shared") for t in shared)
    assert {t.path.parent.name for t in trials} == {"lab_fakes.experiment"}
    assert all(t.path.parent.parent == tmp_path / "quick" for t in trials)
    assert len({t.key for t in trials}) == N_TRIALS
    # the key depends on config and seed only (not on the claim or the folder)
    again = runner.expand(claims[:1], "quick", tmp_path / "elsewhere")
    assert {t.key for t in again} <= {t.key for t in trials}


def test_expand_seeds_override_and_profile(claims, tmp_path):
    assert len(runner.expand(claims, "quick", tmp_path, seeds=1)) == 3
    assert len(runner.expand(claims, "full", tmp_path)) == 12  # 4 seeds in "full"
    with pytest.raises(ValueError, match="seeds must be an int >= 1; got 0"):
        runner.expand(claims, "quick", tmp_path, seeds=0)
    with pytest.raises(ValueError, match="profile='fast' must be one of quick, full"):
        runner.expand(claims, "fast", tmp_path)


def test_run_stores_every_trial_then_resumes(claims, tmp_path):
    first = runner.run(claims, results_dir=tmp_path, progress=False)
    assert (first.computed, first.skipped, first.failed) == (N_TRIALS, 0, [])
    files = _stored(tmp_path)
    assert len(files) == N_TRIALS
    record = json.loads(files[0].read_text())
    assert set(RESULT_KEYS) <= set(record)
    assert set(record["environ"]) == {"python", "torch", "mustknow", "git_sha", "device", "threads"}
    assert record["environ"]["threads"] == 1
    assert record["wall_s"] > 0 and isinstance(record["series"]["curve"], list)
    assert not list(tmp_path.rglob("*.tmp"))
    assert set(first.per_question) == {1, 2}
    assert first.per_question[1]["trials"] == 6 and first.per_question[1]["computed"] == 6
    assert first.per_question[1]["trial_s"] > 0
    mtimes = [f.stat().st_mtime_ns for f in files]
    second = runner.run(claims, results_dir=tmp_path, progress=False)
    assert (second.computed, second.skipped) == (0, N_TRIALS)
    assert [f.stat().st_mtime_ns for f in files] == mtimes
    assert second.per_question[1]["trial_s"] == pytest.approx(first.per_question[1]["trial_s"])
    assert any("total: 0 run, 9 stored" in line for line in second.lines())


def test_force_recomputes(claims, tmp_path):
    runner.run(claims, results_dir=tmp_path, progress=False)
    before = _metrics(claims, tmp_path)
    forced = runner.run(claims, results_dir=tmp_path, force=True, progress=False)
    assert (forced.computed, forced.skipped) == (N_TRIALS, 0)
    assert _metrics(claims, tmp_path) == before


@pytest.mark.parametrize("content, reason", [
    ("{not json", "unusable"),
    ('{"claim": "q01.fake-shifted"}', "missing keys"),
    ("[1, 2]", "expected a JSON object"),
])
def test_corrupt_file_is_warned_about_and_recomputed(claims, tmp_path, content, reason):
    runner.run(claims, results_dir=tmp_path, progress=False)
    victim = _stored(tmp_path)[0]
    good = victim.read_text()
    victim.write_text(content)
    with pytest.warns(StoredResultWarning, match=reason):
        again = runner.run(claims, results_dir=tmp_path, progress=False)
    assert (again.computed, again.skipped) == (1, N_TRIALS - 1)
    assert json.loads(victim.read_text())["metrics"] == json.loads(good)["metrics"]


def test_file_of_another_trial_is_recomputed(claims, tmp_path):
    runner.run(claims, results_dir=tmp_path, progress=False)
    a, b = _stored(tmp_path)[:2]
    a.write_text(b.read_text())
    with pytest.warns(StoredResultWarning, match="belongs to another trial"):
        assert runner.run(claims, results_dir=tmp_path, progress=False).computed == 1


def test_same_seed_same_metrics(claims, tmp_path):
    runner.run(claims, results_dir=tmp_path / "a", progress=False)
    runner.run(claims, results_dir=tmp_path / "b", progress=False)
    assert _metrics(claims, tmp_path / "a") == _metrics(claims, tmp_path / "b")
    values = [r["metrics"]["value"] for r in runner.load_results(claims[0], "quick", tmp_path / "a")]
    assert len(set(values)) == len(values)  # different seeds do differ


def test_serial_run_restores_thread_count(claims, tmp_path):
    import torch

    torch.set_num_threads(2)
    try:
        runner.run(claims[:1], results_dir=tmp_path, progress=False, seeds=1)
        assert torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(1)


def test_two_jobs_give_the_metrics_of_one(claims, tmp_path):
    serial = runner.run(claims, results_dir=tmp_path / "one", jobs=1, progress=False)
    parallel = runner.run(claims, results_dir=tmp_path / "two", jobs=2, progress=False)
    assert (serial.backend, parallel.backend) == ("local", "process")
    assert parallel.computed == N_TRIALS and not parallel.failed
    assert _metrics(claims, tmp_path / "one") == _metrics(claims, tmp_path / "two")


def test_failed_experiment_is_reported_and_not_stored(fakes, tmp_path):
    import dataclasses

    ok = fakes.make_questions()[0].claims[1]
    broken = dataclasses.replace(ok, id="q01.fake-broken-experiment", experiment=fakes.broken_experiment)
    summary = runner.run([ok, broken], results_dir=tmp_path, progress=False)
    assert summary.computed == 3 and len(summary.failed) == 3
    trial, error = summary.failed[0]
    assert trial.claims == ("q01.fake-broken-experiment",) and "experiment exploded" in error
    assert len(_stored(tmp_path)) == 3
    assert runner.status([broken], "quick", tmp_path)[0].state == "missing"


@pytest.mark.parametrize("output, match", [
    (None, "must return"),
    ({"metrics": {"a": 1.0}, "extra": 1}, "unknown keys"),
    ({"metrics": {"a": "high"}}, "must hold numbers"),
    ({"metrics": {"a": 1.0}, "series": [1.0]}, "series must be a dict"),
])
def test_bad_experiment_output_is_an_error(fakes, tmp_path, monkeypatch, output, match):
    claim = fakes.make_questions()[0].claims[1]
    trial = runner.expand([claim], "quick", tmp_path, seeds=1)[0]
    trial = runner.Trial(trial.claims, 1, lambda cfg, seed: output, "fake.bad", trial.config, 0, trial.key,
                         trial.path)
    outcome = runner.execute(trial)
    assert outcome.error is not None and match in outcome.error


def test_tensor_and_numpy_values_become_json(fakes, tmp_path):
    import numpy as np
    import torch

    claim = fakes.make_questions()[0].claims[1]
    t = runner.expand([claim], "quick", tmp_path, seeds=1)[0]
    out = {"metrics": {"a": torch.tensor(0.5), "b": np.float32(2.0), "n": 3},
           "series": {"c": torch.arange(3.0), "d": np.arange(2)}}
    trial = runner.Trial(t.claims, 1, lambda cfg, seed: out, "fake.ok", t.config, 0, t.key, t.path)
    outcome = runner.execute(trial)
    assert outcome.error is None
    assert outcome.metrics == {"a": 0.5, "b": 2.0, "n": 3}
    assert outcome.series == {"c": [0.0, 1.0, 2.0], "d": [0, 1]}


def test_load_results_and_status(claims, tmp_path):
    assert [s.state for s in runner.status(claims, "quick", tmp_path)] == ["missing"] * 3
    runner.run(claims[1:2], results_dir=tmp_path, progress=False)  # the 3 shared trials only
    states = runner.status(claims, "quick", tmp_path)
    assert [(s.stored, s.expected, s.state) for s in states] == [(3, 6, "partial"), (3, 3, "complete"),
                                                                  (0, 3, "missing")]
    results = runner.load_results(claims[0], "quick", tmp_path)
    assert [r["seed"] for r in results] == [0, 1, 2] and all(r["config"]["shift"] == 1.0 for r in results)


def test_backends_validate_jobs():
    assert isinstance(runner.make_backend(1), LocalBackend)
    assert isinstance(runner.make_backend(2), ProcessBackend)
    with pytest.raises(ValueError, match="jobs must be an int >= 1; got 0"):
        runner.make_backend(0)
    with pytest.raises(ValueError, match="context='threads' must be one of"):
        ProcessBackend(2, context="threads")


def test_custom_backend_is_used(claims, tmp_path):
    class Recording(LocalBackend):
        name = "recording"
        seen = []

        def map(self, trials):
            self.seen.extend(trials)
            yield from super().map(trials)

    backend = Recording()
    summary = runner.run(claims, results_dir=tmp_path, backend=backend, progress=False)
    assert summary.backend == "recording" and len(backend.seen) == N_TRIALS


# --------------------------------------------------------------------------- killed runs (real subprocesses)


def _start(results: Path, out: Path) -> subprocess.Popen:
    env = {**os.environ, "MUSTKNOW_FAKE_SLEEP": "0.4"}
    return subprocess.Popen([sys.executable, str(HERE / "lab_fakes.py"), "run", "--results", str(results),
                             "--out", str(out), "--jobs", "2", "--no-progress"],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)


def _wait_for_results(proc: subprocess.Popen, results: Path, n: int, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while len(_stored(results)) < n:
        if proc.poll() is not None:
            pytest.fail(f"run ended before it could be killed: {proc.communicate()}")
        if time.monotonic() > deadline:
            proc.kill()
            pytest.fail("no results appeared in time")
        time.sleep(0.05)


def _group_gone(pgid: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.1)
    return False


def _resume_and_compare(fakes, claims, tmp_path, results, monkeypatch):
    before = len(_stored(results))
    assert 0 < before < N_TRIALS, "the kill must land midway"
    monkeypatch.setenv("MUSTKNOW_FAKE_SLEEP", "0.4")
    claims = [c for q in fakes.make_questions() for c in q.claims]
    resumed = runner.run(claims, results_dir=results, progress=False)
    assert (resumed.computed, resumed.skipped) == (N_TRIALS - before, before)
    clean = runner.run(claims, results_dir=tmp_path / "clean", progress=False)
    assert clean.computed == N_TRIALS
    assert _metrics(claims, results) == _metrics(claims, tmp_path / "clean")
    from mustknow.lab.report import collect, summary_dict

    def verdicts(root):
        s = summary_dict(collect(fakes.make_questions(), "quick", root), "quick")
        return [(c["id"], c["verdict"], c["status"], c["evidence"], c["n_seeds"]) for c in s["claims"]]

    assert verdicts(results) == verdicts(tmp_path / "clean")


@pytest.mark.slow
def test_sigint_midway_loses_nothing(fakes, claims, tmp_path, monkeypatch):
    results = tmp_path / "results"
    proc = _start(results, tmp_path / "report")
    try:
        _wait_for_results(proc, results, 2)
        os.killpg(proc.pid, signal.SIGINT)  # like Ctrl-C in a terminal: the whole group
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode == 130, err
    assert "interrupted" in err and "Traceback" not in err
    assert _group_gone(proc.pid, 10), "workers outlived the interrupted run"
    _resume_and_compare(fakes, claims, tmp_path, results, monkeypatch)


@pytest.mark.slow
def test_sigkill_midway_loses_nothing_and_leaves_no_worker(fakes, claims, tmp_path, monkeypatch):
    results = tmp_path / "results"
    proc = _start(results, tmp_path / "report")
    try:
        _wait_for_results(proc, results, 2)
        proc.send_signal(signal.SIGKILL)  # the parent only: its workers must notice and end
        proc.communicate(timeout=60)
        assert _group_gone(proc.pid, 15), "worker processes were orphaned"
    finally:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    _resume_and_compare(fakes, claims, tmp_path, results, monkeypatch)


class _Mode(__import__("enum").Enum):
    FAST = "fast"


def test_plain_config_is_stable_json():
    import dataclasses

    import torch

    @dataclasses.dataclass(frozen=True)
    class Inner:
        lr: float = 0.1

    @dataclasses.dataclass(frozen=True)
    class Outer:
        inner: Inner = Inner()
        act: object = json.dumps
        loss: object = torch.nn.CrossEntropyLoss
        dtype: object = torch.float64
        mode: object = _Mode.FAST
        sizes: tuple = (8, 4)

    assert runner.plain_config(Outer()) == {
        "inner": {"lr": 0.1}, "act": "json.dumps", "loss": "torch.nn.modules.loss.CrossEntropyLoss",
        "dtype": "torch.float64", "mode": "fast", "sizes": [8, 4]}
    with pytest.raises(TypeError, match="config field Outer.act holds a function, which has no stable JSON form"):
        runner.plain_config(Outer(act=lambda x: x))
    with pytest.raises(TypeError, match="config must be a dataclass instance; got dict"):
        runner.plain_config({"lr": 0.1})


def test_expand_names_the_claim_with_an_unstable_config(claims, tmp_path):
    import dataclasses

    bad = dataclasses.replace(claims[0], configs=lambda profile: [object()])
    with pytest.raises(TypeError, match="claim 'q01.fake-shifted': config must be a dataclass instance; got object"):
        runner.expand([bad], "quick", tmp_path)
