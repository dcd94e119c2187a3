"""The Ray backend: same results as the local backend, interrupted and killed runs resume, a missing Ray.

One local Ray instance (2 CPUs, its own temporary folder) serves the whole
module; under pytest-xdist each worker that runs tests from here starts its own.
"""

import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import pytest

from mustknow.cli import main
from mustknow.lab import runner
from mustknow.lab.ray_backend import TRIAL_RESOURCES, RayBackend

HERE = Path(__file__).resolve().parent
N_TRIALS = 9  # lab_fakes: 6 trials for q01 (3 shared by two claims), 3 for q02

pytestmark = pytest.mark.xdist_group("ray")


@pytest.fixture(scope="module")
def cluster():
    """A local Ray instance with 2 CPUs; workers import the fake experiments from this folder."""
    ray = pytest.importorskip("ray")
    temp = tempfile.mkdtemp(prefix="mkray")  # short: Ray's socket paths must stay under ~107 characters
    old = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (str(HERE), old) if p)  # inherited by Ray's workers
    try:
        context = ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, object_store_memory=80 * 2**20,
                           _temp_dir=temp)
        yield context.address_info["address"]
    finally:
        ray.shutdown()
        if old is None:
            del os.environ["PYTHONPATH"]
        else:
            os.environ["PYTHONPATH"] = old
        shutil.rmtree(temp, ignore_errors=True)


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


def _metrics(claims, results_dir):
    return {c.id: [(r["config"], r["seed"], r["metrics"], r["series"]) for r in
                   runner.load_results(c, "quick", results_dir)] for c in claims}


def _verdicts(fakes, root):
    from mustknow.lab.report import collect, summary_dict

    s = summary_dict(collect(fakes.make_questions(), "quick", root), "quick")
    return [(c["id"], c["verdict"], c["status"], c["evidence"], c["n_seeds"]) for c in s["claims"]]


def _idle(ray, timeout: float = 20.0) -> bool:
    """True once both CPUs of the instance are free again (no task of a stopped run left behind)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if ray.available_resources().get("CPU", 0) == 2:
            return True
        time.sleep(0.2)
    return False


def test_ray_run_gives_the_results_and_verdicts_of_the_local_backend(fakes, claims, cluster, tmp_path):
    import ray

    local = runner.run(claims, results_dir=tmp_path / "local", progress=False)
    remote = runner.run(claims, results_dir=tmp_path / "ray", backend=RayBackend(), progress=False)
    assert (remote.backend, remote.computed, remote.skipped, remote.failed) == ("ray", N_TRIALS, 0, [])
    assert {q: r["trials"] for q, r in remote.per_question.items()} == {
        q: r["trials"] for q, r in local.per_question.items()}
    assert _metrics(claims, tmp_path / "ray") == _metrics(claims, tmp_path / "local")
    assert _verdicts(fakes, tmp_path / "ray") == _verdicts(fakes, tmp_path / "local")
    record = runner.load_results(claims[0], "quick", tmp_path / "ray")[0]
    assert set(record["environ"]) == {"python", "torch", "mustknow", "git_sha", "device", "threads"}
    assert record["environ"]["threads"] == 1 and record["wall_s"] > 0
    assert not list((tmp_path / "ray").rglob("*.tmp"))
    assert ray.is_initialized(), "a backend must not shut down a Ray it did not start"
    again = runner.run(claims, results_dir=tmp_path / "ray", backend=RayBackend(), progress=False)
    assert (again.computed, again.skipped) == (0, N_TRIALS)


def test_failed_experiment_comes_back_as_a_failure(fakes, cluster, tmp_path):
    import dataclasses

    ok = fakes.make_questions()[0].claims[1]
    broken = dataclasses.replace(ok, id="q01.fake-broken-experiment", experiment=fakes.broken_experiment)
    summary = runner.run([ok, broken], results_dir=tmp_path, backend=RayBackend(), progress=False)
    assert summary.computed == 3 and len(summary.failed) == 3
    assert all("experiment exploded" in error for _, error in summary.failed)
    assert len(_stored(tmp_path)) == 3


class _InterruptedAfter(RayBackend):
    """Ctrl-C on the driver after ``n`` outcomes came back."""

    def __init__(self, n: int) -> None:
        super().__init__()
        self.n = n

    def map(self, trials):
        for i, item in enumerate(super().map(trials)):
            if i == self.n:
                raise KeyboardInterrupt
            yield item


def test_interrupted_run_keeps_what_finished_and_the_rerun_computes_only_the_rest(fakes, claims, cluster, tmp_path,
                                                                                  monkeypatch):
    import ray

    monkeypatch.setenv("MUSTKNOW_FAKE_SLEEP", "0.3")
    claims = [c for q in fakes.make_questions() for c in q.claims]  # configs read the sleep when built
    with pytest.raises(KeyboardInterrupt):
        runner.run(claims, results_dir=tmp_path / "r", backend=_InterruptedAfter(3), progress=False)
    assert len(_stored(tmp_path / "r")) == 3
    assert _idle(ray), "trials of the interrupted run were left running"
    resumed = runner.run(claims, results_dir=tmp_path / "r", backend=RayBackend(), progress=False)
    assert (resumed.computed, resumed.skipped) == (N_TRIALS - 3, 3)
    runner.run(claims, results_dir=tmp_path / "clean", progress=False)
    assert _metrics(claims, tmp_path / "r") == _metrics(claims, tmp_path / "clean")
    assert _verdicts(fakes, tmp_path / "r") == _verdicts(fakes, tmp_path / "clean")


def test_cli_runs_on_ray(fakes, cluster, tmp_path, capsys):
    r, o = str(tmp_path / "results"), str(tmp_path / "report")
    assert main(["run", "--backend", "ray", "--results", r, "--out", o, "--only", "q1"]) == 0
    out = capsys.readouterr().out
    assert "total: 6 run, 0 stored, 0 failed" in out and "(ray)" in out and "SUPPORTED" in out
    assert (tmp_path / "report/index.html").exists()


def test_trial_resources_follow_the_profile_and_the_cluster(cluster, monkeypatch):
    import ray

    assert RayBackend("quick").trial_options() == {"num_cpus": 1, "num_gpus": 0}
    assert TRIAL_RESOURCES["full"] == {"num_cpus": 1, "num_gpus": 0}  # the experiments run on the CPU
    asks_gpu = {"num_cpus": 1, "num_gpus": 1}
    assert RayBackend("full", resources=asks_gpu).trial_options() == {"num_cpus": 1, "num_gpus": 0}  # none here
    monkeypatch.setattr(ray, "cluster_resources", lambda: {"CPU": 8.0, "GPU": 2.0})
    assert RayBackend("full", resources=asks_gpu).trial_options() == asks_gpu
    assert RayBackend("full", resources={"num_cpus": 2, "num_gpus": 0.5}).trial_options() == {
        "num_cpus": 2, "num_gpus": 0.5}


@pytest.mark.parametrize("kwargs, match", [
    ({"profile": "fast"}, "profile='fast' must be one of quick, full"),
    ({"num_cpus": 0}, "num_cpus must be an int >= 1; got 0"),
    ({"num_cpus": 2, "address": "auto"}, "num_cpus=2 only sizes a local Ray instance"),
    ({"address": ""}, "address must be a non-empty string"),
    ({"resources": {"num_cpus": 1}}, "resources must be"),
    ({"resources": {"num_cpus": -1, "num_gpus": 0}}, "resources must be"),
])
def test_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        RayBackend(**kwargs)


def test_missing_ray_says_how_to_install_it(fakes, monkeypatch, tmp_path, capsys):
    monkeypatch.setitem(sys.modules, "ray", None)  # `import ray` now raises ImportError
    with pytest.raises(ImportError, match=r'pip install "mustknow\[ray\]"'):
        RayBackend()
    code = main(["run", "--backend", "ray", "--results", str(tmp_path / "r"), "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err
    assert code == 2
    assert 'mustknow: error: the ray backend needs Ray; install it with: pip install "mustknow[ray]"' in err
    assert not list(tmp_path.rglob("*.json"))


def test_unreachable_cluster_is_an_error_not_a_hang(fakes, monkeypatch, tmp_path, capsys):
    import ray

    monkeypatch.setattr(ray, "is_initialized", lambda: False)  # as in a fresh process
    code = main(["run", "--backend", "ray", "--address", "127.0.0.1:1", "--results", str(tmp_path / "r"),
                 "--out", str(tmp_path / "o")])
    assert code == 2
    assert "mustknow: error: cannot reach the Ray cluster at '127.0.0.1:1'" in capsys.readouterr().err


def test_address_without_ray_backend_is_warned_about(fakes, tmp_path, capsys):
    assert main(["run", "--address", "auto", "--results", str(tmp_path / "r"), "--out", str(tmp_path / "o"),
                 "--only", "q2", "--jobs", "1"]) == 0
    assert "mustknow: warning: --address is ignored without --backend ray" in capsys.readouterr().err
