"""Claim, Question and Verdict records, and the question registry's selectors."""

import dataclasses
from pathlib import Path

import pytest

from mustknow.lab import questions as registry
from mustknow.lab.claims import Claim, Question, Verdict

HERE = Path(__file__).resolve().parent


@pytest.fixture
def fakes(monkeypatch):
    monkeypatch.syspath_prepend(str(HERE))
    import lab_fakes

    lab_fakes.install(monkeypatch)
    return lab_fakes


@pytest.fixture
def claim(fakes):
    return fakes.make_questions()[0].claims[0]


def test_verdict_labels():
    assert Verdict("NUANCED", "a", "b").evidence == {}
    with pytest.raises(ValueError, match="label='MAYBE' must be one of SUPPORTED, REFUTED, NUANCED, INCONCLUSIVE"):
        Verdict("MAYBE", "a", "b")


@pytest.mark.parametrize("changes, match", [
    ({"id": "q6.bad"}, "must look like 'q06.kebab-case-name'"),
    ({"id": "q01.Upper-Case"}, "must look like"),
    ({"id": "q11.too-far"}, "must look like"),
    ({"id": "q02.other-question"}, "question=1 does not match its id"),
    ({"seeds": {"quick": 0, "full": 3}}, r"seeds\['quick'\] must be an int >= 1; got 0"),
    ({"seeds": {"quick": 3}}, r"seeds\['full'\] must be an int >= 1; got None"),
])
def test_claim_validation(claim, changes, match):
    with pytest.raises(ValueError, match=match):
        dataclasses.replace(claim, **changes)


def test_experiment_name_and_trial_configs(claim, fakes):
    assert claim.experiment_name == "lab_fakes.experiment"
    assert claim.trial_configs("quick") == [{"shift": 0.0, "sleep_s": 0.0}, {"shift": 1.0, "sleep_s": 0.0}]
    with pytest.raises(ValueError, match="profile='slow' must be one of quick, full"):
        claim.trial_configs("slow")
    bad = dataclasses.replace(claim, configs=lambda profile: [{"shift": 1.0}])
    with pytest.raises(TypeError, match="configs must be dataclass instances; got dict"):
        bad.trial_configs("quick")


def test_question_rejects_foreign_claims(claim):
    with pytest.raises(ValueError, match="belongs to question 1, not 2"):
        Question(2, "?", "?", "a", "a", (), (), (claim,))


def test_registry_uses_the_installed_questions(fakes):
    assert [q.number for q in registry.questions()] == [1, 2]
    assert [c.id for c in registry.claims()] == ["q01.fake-shifted", "q01.fake-shared", "q02.fake-broken-rule"]


@pytest.mark.parametrize("selector, ids", [
    ("q1", ["q01.fake-shifted", "q01.fake-shared"]),
    ("Q01", ["q01.fake-shifted", "q01.fake-shared"]),
    ("2", ["q02.fake-broken-rule"]),
    (" q01.fake-shared ", ["q01.fake-shared"]),
])
def test_find(fakes, selector, ids):
    assert [c.id for c in registry.find(selector)] == ids


@pytest.mark.parametrize("selector", ["q7", "q01.nope", "softmax"])
def test_find_unknown(fakes, selector):
    with pytest.raises(ValueError, match=f"unknown question or claim '{selector}'; questions are q1, q2"):
        registry.find(selector)


def test_package_questions_are_well_formed():
    """Whatever questions the package defines: numbered 1-10 once each, unique claim ids."""
    qs = registry.questions()
    assert len({q.number for q in qs}) == len(qs)
    ids = [c.id for q in qs for c in q.claims]
    assert len(set(ids)) == len(ids)
    for c in (c for q in qs for c in q.claims):
        assert isinstance(c, Claim) and c.claim_en and c.claim_zh and c.note_zh
