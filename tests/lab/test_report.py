"""The report: rendered from stored results alone, summary.json schema, errors shown not raised."""

import json
import sys
import types
from pathlib import Path

import pytest

from mustknow.lab import runner
from mustknow.lab.claims import VERDICTS
from mustknow.lab.report import render, terminal_table
from mustknow.lab.report.html import source_location
from mustknow.lab.report.summary import jsonable

HERE = Path(__file__).resolve().parent
IDS = ["q01.fake-shifted", "q01.fake-shared", "q02.fake-broken-rule"]


@pytest.fixture
def fakes(monkeypatch):
    monkeypatch.syspath_prepend(str(HERE))
    import lab_fakes

    lab_fakes.install(monkeypatch)
    return lab_fakes


@pytest.fixture
def results(fakes, tmp_path_factory):
    root = tmp_path_factory.mktemp("results")
    runner.run([c for q in fakes.make_questions() for c in q.claims], results_dir=root, progress=False)
    return root


def test_report_from_results_alone(fakes, results, tmp_path):
    report = render(None, tmp_path / "report", "quick", results, "en")
    page = report.index.read_text(encoding="utf-8")
    for cid in IDS:
        assert f'id="{cid}"' in page and f'href="#{cid}"' in page
    assert "Fake question one?" in page and "假问题一?" in page
    assert "What the full profile adds" in page and "Full adds more seeds." in page and "full 增加种子。" in page
    assert "rule exploded" in page  # the broken rule's error is shown, not raised
    assert 'src="figures/q01.fake-shifted/value.png"' in page
    assert (tmp_path / "report/figures/q01.fake-shifted/value.png").stat().st_size > 0
    assert "mustknow/lab/stats.py:" in page  # implemented_by resolved to file:line
    assert "http://" not in page and "https://" not in page  # offline: nothing fetched
    assert 'data-lang="en"' in page


def test_summary_json_schema(fakes, results, tmp_path):
    render(None, tmp_path, "quick", results, "en", run_wall_s=1.5)
    summary = json.loads((tmp_path / "summary.json").read_text(encoding="utf-8"))
    assert set(summary) >= {"claims", "wall_s", "environ"}
    assert [c["id"] for c in summary["claims"]] == IDS
    for c in summary["claims"]:
        assert set(c) >= {"id", "question", "verdict", "n_seeds", "metric", "threshold", "explanation"}
        assert isinstance(c["question"], int) and 1 <= c["question"] <= 10
        assert c["verdict"] is None or c["verdict"] in VERDICTS
        assert c["n_seeds"] == 3
    by_id = {c["id"]: c for c in summary["claims"]}
    assert by_id["q01.fake-shifted"]["verdict"] == "SUPPORTED"
    assert by_id["q01.fake-shifted"]["evidence"]["threshold"] == 0.5
    assert by_id["q02.fake-broken-rule"]["status"] == "error"
    assert "ZeroDivisionError: rule exploded" in by_id["q02.fake-broken-rule"]["explanation"]
    assert summary["run_wall_s"] == 1.5 and summary["wall_s"] > 0
    assert set(summary["per_question_wall_s"]) == {"1", "2"}
    assert summary["environ"]["threads"] == 1


def test_missing_results_show_not_run(fakes, tmp_path):
    report = render(None, tmp_path / "report", "quick", tmp_path / "empty", "en")
    assert [c["status"] for c in report.summary["claims"]] == ["not_run"] * 3
    assert all(c["verdict"] is None for c in report.summary["claims"])
    page = report.index.read_text(encoding="utf-8")
    assert "NOT RUN" in page and "not run: 0 of 6 trials stored" in page
    assert report.summary["environ"] == {} and report.summary["wall_s"] == 0


def test_partial_results_give_no_verdict(fakes, results, tmp_path):
    next(results.rglob("*.json")).unlink()
    report = render(None, tmp_path, "quick", results, "en")
    assert "not_run" in [c["status"] for c in report.summary["claims"]]


def test_chinese_page_and_terminal_table(fakes, results, tmp_path):
    report = render(None, tmp_path, "quick", results, "zh")
    page = report.index.read_text(encoding="utf-8")
    assert 'data-lang="zh"' in page and 'lang="zh-CN"' in page
    table = terminal_table(report.questions, "zh")
    assert "支持" in table and "出错" in table and all(cid in table for cid in IDS)
    table_en = terminal_table(report.questions, "en")
    assert "SUPPORTED" in table_en and "ERROR" in table_en
    with pytest.raises(ValueError, match="lang='fr' must be one of en, zh"):
        render(None, tmp_path, "quick", results, "fr")


def test_only_restricts_the_report(fakes, results, tmp_path):
    only = [c for q in fakes.make_questions() for c in q.claims if c.question == 2]
    report = render(None, tmp_path, "quick", results, "en", only=only)
    assert [c["id"] for c in report.summary["claims"]] == ["q02.fake-broken-rule"]


def test_note_figures_and_their_failure(fakes, results, tmp_path, monkeypatch):
    import dataclasses

    import mustknow.lab.questions as registry

    q1, q2 = fakes.make_questions()
    q1 = dataclasses.replace(q1, note_figures=("curve", "absent"))

    def draw(out_dir, only=None):
        if only == "absent":
            raise ValueError("only='absent' must be one of 'curve'")
        out_dir.mkdir(parents=True, exist_ok=True)
        (out_dir / "curve.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>')
        return {"curve": [out_dir / "curve.svg"]}

    monkeypatch.setitem(sys.modules, "mustknow.lab.report.note_figures",
                        types.SimpleNamespace(draw_note_figures=draw, NOTE_FIGURES={"curve": draw}))
    monkeypatch.setattr(registry, "questions", lambda: [q1, q2])
    page = render(None, tmp_path, "quick", results).index.read_text(encoding="utf-8")
    assert 'src="figures/note/curve.svg"' in page and "figure failed: ValueError: only=&#x27;absent&#x27;" in page

    def broken(out_dir, only=None):
        raise OSError("disk full")

    monkeypatch.setitem(sys.modules, "mustknow.lab.report.note_figures",
                        types.SimpleNamespace(draw_note_figures=broken, NOTE_FIGURES={}))
    page = render(None, tmp_path, "quick", results).index.read_text(encoding="utf-8")
    assert "OSError: disk full" in page


def test_broken_claim_figure_is_shown_as_error(fakes, results, tmp_path, monkeypatch):
    import dataclasses

    import mustknow.lab.questions as registry

    q1, q2 = fakes.make_questions()

    def figure(results, out_dir):
        raise ValueError("no axes")

    q1 = dataclasses.replace(q1, claims=(dataclasses.replace(q1.claims[0], figure=figure), q1.claims[1]))
    monkeypatch.setattr(registry, "questions", lambda: [q1, q2])
    page = render(None, tmp_path, "quick", results).index.read_text(encoding="utf-8")
    assert "figure failed: ValueError: no axes" in page


def test_source_location():
    assert source_location("mustknow.lab.stats.mean_ci").startswith("mustknow/lab/stats.py:")
    assert source_location("mustknow.lab.stats") == "mustknow/lab/stats.py:1"
    assert source_location("mustknow.lab.stats.no_such_thing") is None
    assert source_location("nothing_like_this") is None


def test_jsonable_is_strict():
    out = jsonable({"a": [float("inf"), -float("inf"), float("nan"), 1.0], "b": (2,)})
    assert out == {"a": ["inf", "-inf", "nan", 1.0], "b": [2]}
    json.dumps(out, allow_nan=False)


def test_page_layout(fakes, results, tmp_path):
    """Summary with counts and question links, contents, claim cards, folded per-seed tables, print styles."""
    page = render(None, tmp_path, "quick", results, "en").index.read_text(encoding="utf-8")
    overview = page[page.index('<section id="overview">'):page.index('<section class="question"')]
    assert '<b>2</b><span class="badge SUPPORTED">' in overview and '<b>1</b><span class="badge error">' in overview
    assert "3 claims in 2 questions" in overview and "2 道题,共 3 条论断" in overview
    assert overview.count('href="#q1"') == 1 and overview.count('href="#q2"') == 1  # one link per question
    assert 'rowspan="2"' in overview  # question 1's two claims share its cell
    toc = page[page.index('<nav id="toc"'):page.index("</nav>")]
    assert [s in toc for s in ('href="#overview"', 'href="#q1"', 'href="#q2"', 'href="#environment"')] == [True] * 4
    assert '<span class="dot SUPPORTED" title="SUPPORTED / 支持">2</span>' in toc
    card = page[page.index('<article class="claim" id="q01.fake-shifted">'):]
    card = card[:card.index("</article>")]
    assert card.index("The note says") < card.index('<div class="measured SUPPORTED">') < card.index("Threshold")
    assert '<a href="figures/q01.fake-shifted/value.png" target="_blank"' in card  # click to enlarge
    assert "<details><summary>" in card and "<details open" not in card  # per-seed table folded
    assert "6 trials, 3 seeds" in card and "<td class=\"num\">1</td>" in card  # shift 1.0 shown as 1
    assert "Noto Sans CJK SC" in page and "@media print" in page and "beforeprint" in page
    assert "<link rel=\"stylesheet\"" not in page and "@import" not in page and "url(" not in page


def test_verdict_counts_in_summary(fakes, results, tmp_path):
    from mustknow.lab.report.summary import LABELS, verdict_counts

    report = render(None, tmp_path, "quick", results, "en")
    assert report.summary["counts"] == {"SUPPORTED": 2, "error": 1}
    claims = [c for q in report.questions for c in q.claims]
    assert [c.label for c in claims] == ["SUPPORTED", "SUPPORTED", "error"]
    assert list(verdict_counts(claims[::-1])) == ["SUPPORTED", "error"]  # in LABELS order, not arrival order
    assert LABELS[-2:] == ("not_run", "error") and verdict_counts([]) == {}


@pytest.mark.parametrize("value, shown", [(None, "\u2014"), (26122.0, "26122"), (-3.0, "-3"), (0.123456, "0.1235"),
                                          (1e12, "1e+12"), (float("nan"), "nan"), ([1, 2], "[2 values]"), (7, "7"),
                                          ("relu", "relu"), (True, "True")])
def test_cell_format(value, shown):
    from mustknow.lab.report.html import _fmt

    assert _fmt(value) == shown


def test_every_fixed_word_in_both_languages():
    from mustknow.lab.report import i18n
    from mustknow.lab.report.summary import LABELS

    for key in i18n._TEXT:
        assert i18n.text(key, "en") and i18n.text(key, "zh") != i18n.text(key, "en")
    for label in LABELS:
        assert i18n.verdict_meaning(label, "en") and i18n.verdict_meaning(label, "zh")
    with pytest.raises(ValueError, match="lang='de' must be one of en, zh"):
        i18n.verdict_meaning("SUPPORTED", "de")


def test_figures_are_reused_until_what_they_show_changes(fakes, results, tmp_path, monkeypatch):
    import dataclasses

    import mustknow.lab.questions as registry

    calls = []

    def figure(res, out_dir):
        calls.append(len(res))
        return fakes.figure(res, out_dir)

    def install_figure(fig):
        q1, q2 = fakes.make_questions()
        q1 = dataclasses.replace(q1, claims=(dataclasses.replace(q1.claims[0], figure=fig), q1.claims[1]))
        monkeypatch.setattr(registry, "questions", lambda: [q1, q2])

    install_figure(figure)
    png = tmp_path / "figures/q01.fake-shifted/value.png"
    page = render(None, tmp_path, "quick", results).index.read_text(encoding="utf-8")
    assert calls == [6] and 'src="figures/q01.fake-shifted/value.png"' in page
    assert render(None, tmp_path, "quick", results).index.read_text(encoding="utf-8") == page
    assert calls == [6]  # same results, same code: reused
    png.unlink()
    render(None, tmp_path, "quick", results)
    assert calls == [6, 6] and png.exists()  # a missing file is drawn again
    stored = next(results.rglob("*.json"))
    data = json.loads(stored.read_text(encoding="utf-8"))
    data["metrics"]["value"] += 1.0
    stored.write_text(json.dumps(data), encoding="utf-8")
    render(None, tmp_path, "quick", results)
    assert calls == [6, 6, 6]  # new results: drawn again

    def broken(res, out_dir):
        raise ValueError("no axes")

    install_figure(broken)  # a figure that now fails shows its error, not the old file
    page = render(None, tmp_path, "quick", results).index.read_text(encoding="utf-8")
    assert "figure failed: ValueError: no axes" in page and "value.png" not in page
    assert not (tmp_path / "figures/q01.fake-shifted/drawn.json").exists()


def test_note_figures_are_reused(fakes, results, tmp_path, monkeypatch):
    import dataclasses
    import importlib.util

    import mustknow.lab.questions as registry

    source = tmp_path / "fake_note_figures.py"
    source.write_text(
        "CALLS = []\n"
        "def draw_note_figures(out_dir, only=None):\n"
        "    CALLS.append(only)\n"
        "    out_dir.mkdir(parents=True, exist_ok=True)\n"
        "    path = out_dir / 'curve.svg'\n"
        "    path.write_text('<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"10\" height=\"10\"/>')\n"
        "    return {'curve': [path]}\n", encoding="utf-8")
    spec = importlib.util.spec_from_file_location("fake_note_figures", source)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    monkeypatch.setitem(sys.modules, "mustknow.lab.report.note_figures", module)
    q1, q2 = fakes.make_questions()
    monkeypatch.setattr(registry, "questions", lambda: [dataclasses.replace(q1, note_figures=("curve",)), q2])
    out = tmp_path / "report"
    for _ in range(2):
        page = render(None, out, "quick", results).index.read_text(encoding="utf-8")
        assert 'src="figures/note/curve.svg"' in page
    assert module.CALLS == ["curve"]  # the second render reused the drawing
    (out / "figures/note/curve.svg").unlink()
    render(None, out, "quick", results)
    assert module.CALLS == ["curve", "curve"]


def test_figure_key_sees_through_partial():
    import functools

    from mustknow.lab.report.html import _source_key

    def draw(kind, results, out_dir):
        return []

    one, two = functools.partial(draw, "l1"), functools.partial(draw, "l2")
    assert _source_key(one, [1]) and _source_key(one, [1]) == _source_key(functools.partial(draw, "l1"), [1])
    assert len({_source_key(one, [1]), _source_key(two, [1]), _source_key(one, [2]), _source_key(draw, [1])}) == 4
    assert _source_key(len, [1]) == ""  # no source file: never reused


def test_answer_paragraphs():
    from mustknow.lab.report.html import _paragraphs

    assert _paragraphs("One.\n\n  Two <b>.\n\n\n", "en") == '<div class="en"><p>One.</p><p>Two &lt;b&gt;.</p></div>'
    assert _paragraphs("一。", "zh") == '<div class="zh" lang="zh-CN"><p>一。</p></div>'
