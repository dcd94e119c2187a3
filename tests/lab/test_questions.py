"""Generic checks over every question module (the per-question files test their own rules)."""

import importlib

import pytest

from mustknow.lab.claims import PROFILES, Question
from mustknow.lab.questions import claims, find, questions
from mustknow.lab.report.note_figures import NOTE_FIGURES

QUESTIONS = questions()


def test_all_ten_questions_in_order_with_unique_claim_ids():
    assert [q.number for q in QUESTIONS] == list(range(1, 11))
    ids = [c.id for c in claims()]
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize("question", QUESTIONS, ids=lambda q: f"q{q.number}")
def test_question_record_is_complete(question):
    assert isinstance(question, Question) and question.claims
    for text in (question.title_zh, question.title_en, question.answer_en, question.answer_zh):
        assert text.strip()
    assert set(question.note_figures) <= set(NOTE_FIGURES)
    for dotted in question.implemented_by:
        module, _, name = dotted.rpartition(".")
        assert hasattr(importlib.import_module(module), name), dotted


@pytest.mark.parametrize("claim", claims(), ids=lambda c: c.id)
def test_claim_is_fixed_before_any_run(claim):
    for text in (claim.section, claim.note_zh, claim.claim_en, claim.claim_zh, claim.metric, claim.comparison):
        assert text.strip()
    assert claim.threshold is not None
    assert claim.seeds["quick"] >= 3 and claim.seeds["full"] >= claim.seeds["quick"]
    for profile in PROFILES:
        assert claim.trial_configs(profile), f"{claim.id} has no {profile} configs"


def test_find_selects_by_question_and_id():
    assert {c.question for c in find("q6")} == {6}
    first = claims()[0]
    assert find(first.id) == [first]
    with pytest.raises(ValueError, match="unknown question or claim 'q11'"):
        find("q11")


@pytest.mark.parametrize("question", QUESTIONS, ids=lambda q: f"q{q.number}")
def test_question_says_what_the_full_profile_adds(question):
    assert len(question.full_profile_en.split()) >= 15
    assert any("\u4e00" <= ch <= "\u9fff" for ch in question.full_profile_zh)


def _full_datasets() -> set:
    return {cfg["dataset"] for c in claims() for cfg in c.trial_configs("full") if "dataset" in cfg}


def test_full_profile_uses_the_public_image_sets_when_their_files_are_there(image_data_root, monkeypatch):
    from mustknow.data import vision

    monkeypatch.setattr(vision, "_warned", set())
    assert {"mnist", "fashion_mnist", "cifar10"} <= _full_datasets()
    monkeypatch.delenv("MUSTKNOW_DATA")
    with pytest.warns(vision.DatasetFallbackWarning):
        assert _full_datasets() <= {"digits"}  # configs name the data their trials really use
