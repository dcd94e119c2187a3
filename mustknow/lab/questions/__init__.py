"""The note's ten questions, one module each (``q01_*.py`` ... ``q10_*.py``).

Each module defines ``QUESTION``, a :class:`mustknow.lab.claims.Question`
holding its claims. Modules are discovered by name, so adding a question is
adding a file.
"""

from __future__ import annotations

import importlib
import pkgutil

from ..claims import Claim, Question

__all__ = ["questions", "claims", "find"]


def questions() -> list[Question]:
    """All questions, ordered by number."""
    found = []
    for info in pkgutil.iter_modules(__path__):
        if info.name.startswith("q") and info.name[1:3].isdigit():
            module = importlib.import_module(f"{__name__}.{info.name}")
            question = getattr(module, "QUESTION", None)
            if not isinstance(question, Question):
                raise TypeError(
                    f"{module.__name__} must define QUESTION, a mustknow.lab.claims.Question; "
                    f"got {type(question).__name__}"
                )
            found.append(question)
    return sorted(found, key=lambda q: q.number)


def claims() -> list[Claim]:
    """Every claim of every question, in order."""
    return [c for q in questions() for c in q.claims]


def find(selector: str) -> list[Claim]:
    """Claims selected by ``"q6"``, ``"q06"``, ``"6"`` or a claim id.

    Raises:
        ValueError: naming the selector and the valid question numbers and ids.
    """
    all_claims = claims()
    s = selector.strip().lower()
    digits = s[1:] if s.startswith("q") else s
    if digits.isdigit():
        chosen = [c for c in all_claims if c.question == int(digits)]
    else:
        chosen = [c for c in all_claims if c.id == s]
    if not chosen:
        numbers = sorted({c.question for c in all_claims})
        raise ValueError(
            f"unknown question or claim {selector!r}; questions are "
            f"{', '.join(f'q{n}' for n in numbers)} and claim ids look like "
            f"{all_claims[0].id if all_claims else 'q01.name'} (see `mustknow list`)"
        )
    return chosen
