"""Trials to cached JSON results: expand, skip what is stored, run the rest, store each as it ends.

A *trial* is one ``(experiment, config, seed)``. Claims that share a trial
(same experiment, same config, same seed) share its result: it runs once.

Each result is one JSON file, written atomically (a temporary file in the same
folder, then :func:`os.replace`), so a killed run loses nothing that finished::

    <results_dir>/<profile>/<module.function>/<key>.json
    {"claim", "claims", "experiment", "config", "seed", "metrics", "series",
     "environ": {"python", "torch", "mustknow", "git_sha", "device", "threads"},
     "wall_s"}

``key`` is a hash of the experiment's name, its config (as a dict) and the
seed. A stored file that does not parse, or lacks a key, is reported with a
:class:`StoredResultWarning` and recomputed.

Execution is a :class:`Backend`: ``map(trials)`` yields ``(trial, outcome)``
pairs as trials finish. :class:`LocalBackend` runs them one after the other in
this process; :class:`ProcessBackend` runs them in a pool of worker processes.
Both run every trial with one intra-op thread, seeded from the trial's seed, so
metrics do not depend on the backend or on the number of jobs. Another
backend (a cluster: :mod:`mustknow.lab.ray_backend`) only has to call
:func:`execute` on each trial where it likes and hand the outcomes back (with
:func:`environ` of the machine in ``Outcome.environ``); storing stays here.
"""

from __future__ import annotations

import dataclasses
import enum
import hashlib
import json
import multiprocessing
import os
import platform
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import warnings
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

import mustknow

from .claims import PROFILES, Claim, Result

__all__ = [
    "RESULT_KEYS",
    "StoredResultWarning",
    "Trial",
    "Outcome",
    "Backend",
    "LocalBackend",
    "ProcessBackend",
    "make_backend",
    "expand",
    "plain_config",
    "execute",
    "environ",
    "run",
    "RunSummary",
    "load_results",
    "ClaimStatus",
    "status",
]

#: Keys every stored result has.
RESULT_KEYS = ("claim", "experiment", "config", "seed", "metrics", "series", "environ", "wall_s")


class StoredResultWarning(UserWarning):
    """A stored result could not be used (it does not parse or lacks keys); it is recomputed."""


@dataclass(frozen=True)
class Trial:
    """One ``(experiment, config, seed)`` and where its result lives.

    Attributes:
        claims: ids of the claims that asked for it (first one first).
        question: the question of the first claim (for per-question timing).
        experiment: the pure function ``run(config, seed) -> {"metrics", "series"}``.
        experiment_name: ``module.function``, part of the key.
        config: the config dataclass, passed to ``experiment``.
        seed: the trial's seed.
        key: hash of ``experiment_name``, ``asdict(config)`` and ``seed``.
        path: the JSON file of its result.
    """

    claims: tuple[str, ...]
    question: int
    experiment: Callable[[Any, int], dict[str, Any]]
    experiment_name: str
    config: Any
    seed: int
    key: str
    path: Path

    @property
    def config_dict(self) -> dict[str, Any]:
        """The config as plain JSON values (what is hashed and stored; see :func:`plain_config`)."""
        return plain_config(self.config)


@dataclass(frozen=True)
class Outcome:
    """What running one trial gave: metrics and series, or the error it raised."""

    metrics: dict[str, Any] = field(default_factory=dict)
    series: dict[str, Any] = field(default_factory=dict)
    wall_s: float = 0.0
    started: float = 0.0
    threads: int = 1
    error: str | None = None
    #: where it ran, when not in this process (a cluster node: :func:`environ` there); ``None``: here
    environ: dict[str, Any] | None = None


def _plain(value: Any, where: str) -> Any:
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (list, tuple)):
        return [_plain(v, where) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v, where) for k, v in value.items()}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return plain_config(value)
    if isinstance(value, enum.Enum):
        return _plain(value.value, where)
    if isinstance(value, (torch.dtype, torch.device)):
        return str(value)
    if callable(value) and hasattr(value, "__qualname__") and "<" not in value.__qualname__:
        return f"{value.__module__}.{value.__qualname__}"
    raise TypeError(f"config field {where} holds a {type(value).__name__}, which has no stable JSON form; use "
                    "numbers, strings, lists, dicts, enums, dtypes or module-level functions and classes")


def plain_config(config: Any) -> dict[str, Any]:
    """A config dataclass as plain JSON values, stable across processes.

    Functions and classes become ``"module.qualname"``, enums their value,
    dtypes and devices their name, tuples lists; so a verdict rule selecting
    on such a field compares with that string.

    Raises:
        TypeError: if ``config`` is not a dataclass instance, or a field holds a
            value with no stable form (a lambda, a tensor, an arbitrary object).
    """
    if not dataclasses.is_dataclass(config) or isinstance(config, type):
        raise TypeError(f"config must be a dataclass instance; got {type(config).__name__}")
    return {f.name: _plain(getattr(config, f.name), f"{type(config).__name__}.{f.name}")
            for f in dataclasses.fields(config)}


def _key(experiment_name: str, config: dict[str, Any], seed: int) -> str:
    """Stable hash of a trial (16 hex digits of SHA-256 over canonical JSON)."""
    blob = json.dumps({"experiment": experiment_name, "config": config, "seed": seed}, sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def _short_name(experiment_name: str) -> str:
    """``mustknow.lab.questions.q01_x.run_identity`` -> ``q01_x.run_identity`` (the folder name)."""
    module, _, function = experiment_name.rpartition(".")
    return f"{module.rpartition('.')[2]}.{function}" if module else function


def _seed_count(claim: Claim, profile: str, seeds: int | None) -> int:
    if seeds is None:
        return claim.seeds[profile]
    if not isinstance(seeds, int) or isinstance(seeds, bool) or seeds < 1:
        raise ValueError(f"seeds must be an int >= 1; got {seeds!r}")
    return seeds


def _check_profile(profile: str) -> None:
    if profile not in PROFILES:
        raise ValueError(f"profile={profile!r} must be one of {', '.join(PROFILES)}")


def expand(claims: Iterable[Claim], profile: str = "quick", results_dir: str | Path = "results",
           seeds: int | None = None) -> list[Trial]:
    """Every trial the claims need, identical trials merged, in claim order.

    Args:
        claims: the claims to expand.
        profile: ``"quick"`` or ``"full"``; picks configs and the seed count.
        results_dir: root of the result store.
        seeds: seeds per config (``0 .. seeds-1``); ``None`` uses each claim's
            own count for the profile.

    Raises:
        ValueError: for an unknown profile or ``seeds < 1``.
        TypeError: if a claim's configs are not dataclass instances.
    """
    _check_profile(profile)
    root = Path(results_dir) / profile
    trials: dict[str, Trial] = {}
    for claim in claims:
        n = _seed_count(claim, profile, seeds)
        name = claim.experiment_name
        for cfg in claim.configs(profile):
            try:
                cfg_dict = plain_config(cfg)
            except TypeError as err:
                raise TypeError(f"claim {claim.id!r}: {err}") from None
            for seed in range(n):
                key = _key(name, cfg_dict, seed)
                if key in trials:
                    t = trials[key]
                    if claim.id not in t.claims:
                        trials[key] = dataclasses.replace(t, claims=t.claims + (claim.id,))
                    continue
                trials[key] = Trial((claim.id,), claim.question, claim.experiment, name, cfg, seed, key,
                                    root / _short_name(name) / f"{key}.json")
    return list(trials.values())


# --------------------------------------------------------------------------- environment

_GIT_SHA: list[str | None] = []


def _git_sha() -> str | None:
    """The checkout's commit, or ``None`` outside a git checkout (looked up once)."""
    if not _GIT_SHA:
        try:
            out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=Path(mustknow.__file__).parent,
                                 capture_output=True, text=True, timeout=5)
            _GIT_SHA.append(out.stdout.strip() if out.returncode == 0 else None)
        except (OSError, subprocess.SubprocessError):
            _GIT_SHA.append(None)
    return _GIT_SHA[0]


def environ(threads: int = 1) -> dict[str, Any]:
    """The environment recorded with each result."""
    device = f"cuda ({torch.cuda.get_device_name(0)})" if torch.cuda.is_available() else f"cpu ({platform.machine()})"
    return {
        "python": platform.python_version(),
        "torch": torch.__version__,
        "mustknow": mustknow.__version__,
        "git_sha": _git_sha(),
        "device": device,
        "threads": threads,
    }


# --------------------------------------------------------------------------- executing one trial


def _jsonable(value: Any, where: str) -> Any:
    """Numbers, tensors, arrays, lists and dicts -> plain JSON values (floats stay floats)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return value
    if isinstance(value, torch.Tensor):
        return _jsonable(value.detach().cpu().tolist(), where)
    if hasattr(value, "tolist"):  # numpy arrays and scalars
        return _jsonable(value.tolist(), where)
    if isinstance(value, (list, tuple)):
        return [_jsonable(v, where) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v, where) for k, v in value.items()}
    raise TypeError(f"{where} must hold numbers or lists of numbers; got {type(value).__name__}")


def _check_output(out: Any, name: str) -> tuple[dict[str, Any], dict[str, Any]]:
    if not isinstance(out, dict) or not isinstance(out.get("metrics"), dict):
        raise TypeError(f"experiment {name} must return {{'metrics': {{...}}, 'series': {{...}}}}; "
                        f"got {type(out).__name__}" + (f" with keys {sorted(out)}" if isinstance(out, dict) else ""))
    unknown = set(out) - {"metrics", "series"}
    if unknown:
        raise ValueError(f"experiment {name} returned unknown keys {sorted(unknown)}; allowed: metrics, series")
    series = out.get("series", {})
    if not isinstance(series, dict):
        raise TypeError(f"experiment {name}: series must be a dict of lists; got {type(series).__name__}")
    return _jsonable(out["metrics"], f"{name} metrics"), _jsonable(series, f"{name} series")


def execute(trial: Trial) -> Outcome:
    """Run one trial here, seeded from its seed; errors come back in ``Outcome.error``.

    Seeds Python's, NumPy's and torch's global generators with the trial's
    seed before calling the experiment, which should seed its own generators
    too. The caller fixes the thread count (:func:`_single_thread`).
    """
    started = time.time()
    t0 = time.perf_counter()
    random.seed(trial.seed)
    torch.manual_seed(trial.seed)
    np.random.seed(trial.seed)
    try:
        metrics, series = _check_output(trial.experiment(trial.config, trial.seed), trial.experiment_name)
    except Exception:  # the experiment's own bug: report it with the trial, keep the run going
        return Outcome(wall_s=time.perf_counter() - t0, started=started, threads=torch.get_num_threads(),
                       error=traceback.format_exc(limit=-6))
    return Outcome(metrics, series, time.perf_counter() - t0, started, torch.get_num_threads())


# --------------------------------------------------------------------------- backends


class Backend:
    """Where trials run. ``map(trials)`` yields ``(trial, outcome)`` as each trial finishes.

    Subclasses run trials with :func:`execute` (one intra-op thread, seeded
    from the trial seed) so that every backend gives the same metrics. A
    backend is a context manager; leaving it stops whatever it started.
    """

    name = "backend"

    def map(self, trials: Sequence[Trial]) -> Iterator[tuple[Trial, Outcome]]:
        raise NotImplementedError

    def close(self) -> None:
        """Stop workers (immediately, dropping running trials)."""

    def __enter__(self) -> Backend:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


class _single_thread:
    """Context: torch uses one intra-op thread inside, the old count is restored after."""

    def __enter__(self) -> None:
        self._old = torch.get_num_threads()
        torch.set_num_threads(1)

    def __exit__(self, *exc: Any) -> None:
        torch.set_num_threads(self._old)


class LocalBackend(Backend):
    """Trials one after another in this process, with one intra-op thread."""

    name = "local"

    def map(self, trials: Sequence[Trial]) -> Iterator[tuple[Trial, Outcome]]:
        with _single_thread():
            for trial in trials:
                yield trial, execute(trial)


def _exit_with_parent(parent: int) -> None:
    """Worker thread: end the worker if its parent dies (e.g. SIGKILL), so none is orphaned."""
    while True:
        time.sleep(0.5)
        if os.getppid() != parent:
            os._exit(1)


def _init_worker(parent: int) -> None:
    torch.set_num_threads(1)
    # The parent decides what an interrupt means; a Ctrl-C sent to the whole
    # process group must not kill workers half-way through a trial.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_exit_with_parent, args=(parent,), daemon=True).start()


def _execute_indexed(item: tuple[int, Trial]) -> tuple[int, Outcome]:
    index, trial = item
    return index, execute(trial)


class ProcessBackend(Backend):
    """Trials in ``jobs`` worker processes (``spawn`` by default), one intra-op thread each.

    Experiments are sent by reference (module and name), so each worker
    imports an experiment's module once. ``close()`` terminates the workers.

    Args:
        jobs: number of worker processes, >= 1.
        context: ``"spawn"`` (default: safe with torch's thread pools) or ``"fork"``
            (starts faster on Linux) or ``"forkserver"``.
    """

    name = "process"

    def __init__(self, jobs: int, context: str = "spawn") -> None:
        if not isinstance(jobs, int) or isinstance(jobs, bool) or jobs < 1:
            raise ValueError(f"jobs must be an int >= 1; got {jobs!r}")
        methods = multiprocessing.get_all_start_methods()
        if context not in methods:
            raise ValueError(f"context={context!r} must be one of {', '.join(methods)}")
        self.jobs = jobs
        self.context = context
        self._pool: multiprocessing.pool.Pool | None = None

    def map(self, trials: Sequence[Trial]) -> Iterator[tuple[Trial, Outcome]]:
        if not trials:
            return
        ctx = multiprocessing.get_context(self.context)
        self._pool = ctx.Pool(min(self.jobs, len(trials)), initializer=_init_worker, initargs=(os.getpid(),))
        try:
            for index, outcome in self._pool.imap_unordered(_execute_indexed, enumerate(trials), chunksize=1):
                yield trials[index], outcome
        finally:
            self.close()

    def close(self) -> None:
        if self._pool is not None:
            self._pool.terminate()
            self._pool.join()
            self._pool = None


def make_backend(jobs: int = 1, context: str = "spawn") -> Backend:
    """:class:`LocalBackend` for ``jobs == 1``, :class:`ProcessBackend` otherwise."""
    if not isinstance(jobs, int) or isinstance(jobs, bool) or jobs < 1:
        raise ValueError(f"jobs must be an int >= 1; got {jobs!r}")
    return LocalBackend() if jobs == 1 else ProcessBackend(jobs, context)


# --------------------------------------------------------------------------- the store


def _write_atomic(path: Path, record: Result) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(record, f, indent=1, sort_keys=True)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def _read(trial: Trial) -> Result | None:
    """The stored result of ``trial``; ``None`` if absent; warns and returns ``None`` if unusable."""
    try:
        text = trial.path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except OSError as err:
        warnings.warn(f"cannot read stored result {trial.path}: {err}; recomputing it", StoredResultWarning,
                      stacklevel=3)
        return None
    try:
        record = json.loads(text)
        if not isinstance(record, dict):
            raise ValueError(f"expected a JSON object, got {type(record).__name__}")
        missing = [k for k in RESULT_KEYS if k not in record]
        if missing:
            raise ValueError(f"missing keys {missing}")
        if not isinstance(record["metrics"], dict):
            raise ValueError("metrics is not an object")
        if (record["experiment"], record["config"], record["seed"]) != (
                trial.experiment_name, json.loads(json.dumps(trial.config_dict)), trial.seed):
            raise ValueError("it belongs to another trial (experiment, config or seed differ)")
    except ValueError as err:  # json.JSONDecodeError is a ValueError
        warnings.warn(f"stored result {trial.path} is unusable ({err}); recomputing it", StoredResultWarning,
                      stacklevel=3)
        return None
    return record


def _record(trial: Trial, outcome: Outcome, env: dict[str, Any]) -> Result:
    return {
        "claim": trial.claims[0],
        "claims": list(trial.claims),
        "experiment": trial.experiment_name,
        "config": trial.config_dict,
        "seed": trial.seed,
        "metrics": outcome.metrics,
        "series": outcome.series,
        "environ": {**env, **(outcome.environ or {}), "threads": outcome.threads},
        "wall_s": outcome.wall_s,
    }


# --------------------------------------------------------------------------- running


@dataclass
class RunSummary:
    """What a run did.

    Attributes:
        profile: the profile run.
        computed: trials run now (stored).
        skipped: trials found stored and not rerun.
        failed: ``(trial, error text)`` for trials whose experiment raised.
        wall_s: elapsed seconds of the whole run.
        per_question: ``{question: {"trials", "computed", "trial_s", "elapsed_s"}}``;
            ``trial_s`` sums ``wall_s`` of all the question's stored trials
            (its cost on one thread, resumed or not), ``elapsed_s`` is the
            span from the first of its trials started now to the last that ended.
        backend: the backend's name.
    """

    profile: str
    computed: int = 0
    skipped: int = 0
    failed: list[tuple[Trial, str]] = field(default_factory=list)
    wall_s: float = 0.0
    per_question: dict[int, dict[str, float]] = field(default_factory=dict)
    backend: str = "local"

    def lines(self) -> list[str]:
        """Per-question and total wall time, for the terminal."""
        out = ["question  trials  run now  trial_s  elapsed_s"]
        for q, row in sorted(self.per_question.items()):
            out.append(f"q{q:<8d}{int(row['trials']):>6d}{int(row['computed']):>9d}"
                       f"{row['trial_s']:>9.1f}{row['elapsed_s']:>11.1f}")
        out.append(f"total: {self.computed} run, {self.skipped} stored, {len(self.failed)} failed; "
                   f"trial_s {sum(r['trial_s'] for r in self.per_question.values()):.1f}, "
                   f"wall {self.wall_s:.1f} s ({self.backend})")
        return out


def _progress(total: int, enabled: bool | None):
    from tqdm import tqdm

    show = sys.stderr.isatty() if enabled is None else enabled
    return tqdm(total=total, file=sys.stderr, disable=not show or total == 0, unit="trial", dynamic_ncols=True,
                desc="trials")


def run(claims: Sequence[Claim], profile: str = "quick", results_dir: str | Path = "results",
        seeds: int | None = None, jobs: int = 1, force: bool = False, *, backend: Backend | None = None,
        progress: bool | None = None) -> RunSummary:
    """Run every trial of ``claims`` that is not stored yet, storing each result as it finishes.

    Args:
        claims: the claims to run.
        profile: ``"quick"`` (default) or ``"full"``.
        results_dir: root of the result store (default ``"results"``).
        seeds: seeds per config; ``None`` uses each claim's count for the profile.
        jobs: worker processes when ``backend`` is not given (1 = this process).
        force: rerun and overwrite stored trials.
        backend: where to run trials; default :func:`make_backend` ``(jobs)``.
        progress: show a progress bar with ETA on stderr; ``None`` shows it
            when stderr is a terminal.

    Returns:
        A :class:`RunSummary`. Trials whose experiment raised are listed in
        ``failed`` and not stored; the others are.

    Raises:
        ValueError: unknown profile, ``seeds < 1`` or ``jobs < 1``.
    """
    t0 = time.perf_counter()
    trials = expand(claims, profile, results_dir, seeds)
    backend = backend if backend is not None else make_backend(jobs)
    summary = RunSummary(profile, backend=backend.name)
    env = environ()
    todo = []
    for trial in trials:
        row = summary.per_question.setdefault(trial.question, {"trials": 0, "computed": 0, "trial_s": 0.0,
                                                               "elapsed_s": 0.0})
        row["trials"] += 1
        stored = None if force else _read(trial)
        if stored is None:
            todo.append(trial)
        else:
            summary.skipped += 1
            row["trial_s"] += float(stored.get("wall_s", 0.0))
    spans: dict[int, list[float]] = {}
    with backend, _progress(len(todo), progress) as bar:
        for trial, outcome in backend.map(todo):
            ended = time.time()
            span = spans.setdefault(trial.question, [outcome.started, ended])
            span[0], span[1] = min(span[0], outcome.started), max(span[1], ended)
            if outcome.error is not None:
                summary.failed.append((trial, outcome.error))
            else:
                _write_atomic(trial.path, _record(trial, outcome, env))
                summary.computed += 1
                row = summary.per_question[trial.question]
                row["computed"] += 1
                row["trial_s"] += outcome.wall_s
            bar.set_postfix_str(trial.claims[0], refresh=False)
            bar.update()
    for q, (start, end) in spans.items():
        summary.per_question[q]["elapsed_s"] = end - start
    summary.wall_s = time.perf_counter() - t0
    return summary


# --------------------------------------------------------------------------- reading back


def load_results(claim: Claim, profile: str = "quick", results_dir: str | Path = "results",
                 seeds: int | None = None) -> list[Result]:
    """The stored results of ``claim``'s trials (configs x seeds ``0 .. n-1``), sorted by config then seed.

    Missing trials are simply absent; unusable files are warned about
    (:class:`StoredResultWarning`) and left out.
    """
    out = []
    for trial in expand([claim], profile, results_dir, seeds):
        record = _read(trial)
        if record is not None:
            out.append(record)
    return out


@dataclass(frozen=True)
class ClaimStatus:
    """How many of a claim's trials are stored."""

    claim: Claim
    stored: int
    expected: int

    @property
    def state(self) -> str:
        """``"complete"``, ``"partial"`` or ``"missing"``."""
        if self.stored == self.expected:
            return "complete"
        return "partial" if self.stored else "missing"


def status(claims: Iterable[Claim], profile: str = "quick", results_dir: str | Path = "results",
           seeds: int | None = None) -> list[ClaimStatus]:
    """Stored and expected trial counts per claim (files that exist and parse)."""
    out = []
    for claim in claims:
        trials = expand([claim], profile, results_dir, seeds)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", StoredResultWarning)
            stored = sum(_read(t) is not None for t in trials)
        out.append(ClaimStatus(claim, stored, len(trials)))
    return out
