"""mustknow: ten must-know deep-learning questions, as code and as evidence.

Floors (data flows one way):

* :mod:`mustknow.functional` -- the math, pure functions on tensors.
* :mod:`mustknow.nn` -- modules that hold parameters and state.
* :mod:`mustknow.data` -- the embedded data sets.
* :mod:`mustknow.lab` -- the evidence lab: claims, runner, verdicts, report.
"""

__version__ = "0.1.0"
