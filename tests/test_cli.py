"""The ``mustknow`` command: subcommands end to end, and bad input without a traceback."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from mustknow.cli import main

LAB_TESTS = Path(__file__).resolve().parent / "lab"


@pytest.fixture
def fakes(monkeypatch):
    monkeypatch.syspath_prepend(str(LAB_TESTS))
    import lab_fakes

    lab_fakes.install(monkeypatch)
    return lab_fakes


def test_run_then_list_show_report(fakes, tmp_path, capsys):
    r, o = str(tmp_path / "results"), str(tmp_path / "report")
    assert main(["run", "--results", r, "--out", o, "--only", "q1"]) == 0
    out = capsys.readouterr().out
    assert "q01.fake-shifted" in out and "SUPPORTED" in out and "q02" not in out.split("question  trials")[0]
    assert "total: 6 run, 0 stored, 0 failed" in out and "wall" in out
    assert (tmp_path / "report/index.html").exists()

    assert main(["list", "--results", r]) == 0
    out = capsys.readouterr().out
    assert "q01.fake-shifted" in out and "6/6  complete" in out and "0/3  missing" in out

    assert main(["show", "q1", "--results", r]) == 0
    out = capsys.readouterr().out
    assert "Fake question one?" in out and "[SUPPORTED] q01.fake-shifted" in out
    assert "Full profile: Full adds more seeds." in out

    assert main(["show", "q02.fake-broken-rule", "--results", r, "--lang", "zh"]) == 0
    assert "[未运行] q02.fake-broken-rule" in capsys.readouterr().out

    assert main(["report", "--results", r, "--out", o]) == 0
    summary = json.loads((tmp_path / "report/summary.json").read_text())
    assert {c["id"]: c["status"] for c in summary["claims"]}["q02.fake-broken-rule"] == "not_run"

    assert main(["run", "--results", r, "--out", o, "--only", "q1", "--seeds", "2"]) == 0
    assert "total: 0 run, 4 stored" in capsys.readouterr().out


def test_failed_trials_give_exit_status_1(fakes, tmp_path, capsys, monkeypatch):
    import dataclasses

    import mustknow.lab.questions as registry

    q1, q2 = fakes.make_questions()
    broken = dataclasses.replace(q2.claims[0], experiment=fakes.broken_experiment)
    monkeypatch.setattr(registry, "questions", lambda: [q1, dataclasses.replace(q2, claims=(broken,))])
    code = main(["run", "--results", str(tmp_path / "r"), "--out", str(tmp_path / "o"), "--only", "q2"])
    assert code == 1
    err = capsys.readouterr().err
    assert "trial failed: lab_fakes.broken_experiment seed=0" in err and "experiment exploded" in err


def test_corrupt_result_is_warned_on_stderr(fakes, tmp_path, capsys):
    r, o = str(tmp_path / "results"), str(tmp_path / "report")
    main(["run", "--results", r, "--out", o, "--only", "q2"])
    victim = next((tmp_path / "results").rglob("*.json"))
    victim.write_text("{")
    capsys.readouterr()
    assert main(["run", "--results", r, "--out", o, "--only", "q2"]) == 0
    captured = capsys.readouterr()
    assert f"mustknow: warning: stored result {victim} is unusable" in captured.err
    assert "total: 1 run, 2 stored" in captured.out


def _cli(*args: str, cwd: Path, fake: bool = True) -> subprocess.CompletedProcess:
    """The CLI in a real subprocess; ``fake`` runs it on the fake questions (tests/lab/lab_fakes.py)."""
    entry = [str(LAB_TESTS / "lab_fakes.py")] if fake else ["-m", "mustknow.cli"]
    return subprocess.run([sys.executable, *entry, *args], capture_output=True, text=True, cwd=cwd, timeout=120,
                          env={**os.environ, "PYTHONWARNINGS": ""})


def test_help_lists_subcommands(tmp_path):
    proc = _cli("--help", cwd=tmp_path, fake=False)
    assert proc.returncode == 0
    for command in ("run", "list", "show", "report", "plot"):
        assert command in proc.stdout


def test_module_entry_point_rejects_bad_input(tmp_path):
    proc = _cli("run", "--jobs", "0", cwd=tmp_path, fake=False)
    assert proc.returncode == 2 and "must be an integer >= 1" in proc.stderr and "Traceback" not in proc.stderr


@pytest.mark.parametrize("args, message", [
    (["run", "--seeds", "0"], "argument --seeds: must be an integer >= 1; got 0"),
    (["run", "--seeds", "many"], "argument --seeds: must be an integer >= 1; got 'many'"),
    (["run", "--jobs", "0"], "argument --jobs: must be an integer >= 1; got 0"),
    (["run", "--profile", "huge"], "argument --profile: invalid choice: 'huge'"),
    (["run", "--lang", "fr"], "argument --lang: invalid choice: 'fr'"),
    (["run", "--only", "q42"], "unknown question or claim 'q42'; questions are q1, q2"),
    (["show", "q06.no-such-claim"], "unknown question or claim 'q06.no-such-claim'"),
    (["report", "--only", ","], "names no question or claim"),
    (["run", "--out", "blocker/report"], "cannot write to the report folder 'blocker/report'"),
    (["report", "--out", "blocker"], "cannot write to the report folder 'blocker'"),
    (["bogus"], "invalid choice: 'bogus'"),
    ([], "the following arguments are required: COMMAND"),
])
def test_bad_input_gets_a_message_not_a_traceback(tmp_path, args, message):
    (tmp_path / "blocker").write_text("a file where a folder should be")
    proc = _cli(*args, cwd=tmp_path)
    assert proc.returncode == 2, proc.stderr
    assert message in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not list(tmp_path.rglob("*.json"))  # nothing ran


@pytest.fixture
def note_figures(monkeypatch):
    """A stand-in for mustknow.lab.report.note_figures: records the calls, draws one file per figure."""
    import types

    calls = []

    def draw_note_figures(out_dir, only=None):
        calls.append(only)
        names = [only] if only else ["activations", "losses"]
        for name in names:
            (out_dir / f"{name}.svg").write_text("<svg/>")
        return {name: [out_dir / f"{name}.svg"] for name in names}

    module = types.SimpleNamespace(draw_note_figures=draw_note_figures, NOTE_FIGURES={"activations": 1, "losses": 2})
    import mustknow.lab.report

    # Both the module table and the package attribute: `from package import name`
    # reads the attribute once the real submodule has been imported.
    monkeypatch.setitem(sys.modules, "mustknow.lab.report.note_figures", module)
    monkeypatch.setattr(mustknow.lab.report, "note_figures", module, raising=False)
    return calls


def test_plot(note_figures, tmp_path, capsys):
    assert main(["plot", "--out", str(tmp_path / "figs")]) == 0
    assert main(["plot", "--out", str(tmp_path / "figs"), "--only", "losses"]) == 0
    assert note_figures == [None, "losses"]
    out = capsys.readouterr().out
    assert "activations: " in out and (tmp_path / "figs/losses.svg").exists()
    assert main(["plot", "--out", str(tmp_path / "figs"), "--only", "sigmoid"]) == 2
    assert "unknown figure 'sigmoid'; figures are activations, losses" in capsys.readouterr().err
    (tmp_path / "file").write_text("")
    assert main(["plot", "--out", str(tmp_path / "file")]) == 2
    assert "cannot write to the figure folder" in capsys.readouterr().err
