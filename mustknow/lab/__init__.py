"""The evidence lab: every claim of the note as an experiment with a computed verdict.

* :mod:`mustknow.lab.claims` -- the records (data only).
* :mod:`mustknow.lab.questions` -- one module per question of the note.
* :mod:`mustknow.lab.runner` -- trials to cached JSON results, resumable.
* :mod:`mustknow.lab.stats` -- intervals over seeds and verdict rules.
* :mod:`mustknow.lab.report` -- HTML, figures and summary.json from results alone.
"""
