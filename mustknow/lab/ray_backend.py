"""Run the lab's trials as Ray tasks, on this machine or on a Ray cluster.

:class:`RayBackend` is a :class:`mustknow.lab.runner.Backend`: each trial
becomes one Ray task that calls :func:`mustknow.lab.runner.execute` on
whichever node Ray picks, and the outcome comes back to the driver, where the
runner stores it with the same atomic write as every other backend. So
resuming, ``--force``, the report and the per-question timing do not depend on
where trials ran. Outcomes are handed back as tasks finish (``ray.wait``).

Ray is optional (``pip install "mustknow[ray]"``); it is imported only when a
:class:`RayBackend` is made, and a missing Ray is an :class:`ImportError` that
says how to install it.

Every node needs the same mustknow (and the modules defining the experiments)
importable: tasks send experiments by reference (module and name), as the
process pool does.
"""

from __future__ import annotations

import dataclasses
import logging
import signal
import socket
import threading
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from .claims import PROFILES
from .runner import Backend, Outcome, Trial, environ, execute

__all__ = ["TRIAL_RESOURCES", "RayBackend", "import_ray"]

#: What each trial asks of the cluster, per profile. Every backend runs a trial
#: with one intra-op thread (so metrics do not depend on where it ran), hence one
#: CPU. The experiments place their tensors on the CPU, so no profile reserves a
#: GPU: a reservation would only cap the trials running at once to the GPU
#: count. Pass ``resources={"num_cpus": 1, "num_gpus": 1}`` to reserve one
#: (it is dropped on a cluster without GPUs).
TRIAL_RESOURCES: dict[str, dict[str, float]] = {
    "quick": {"num_cpus": 1, "num_gpus": 0},
    "full": {"num_cpus": 1, "num_gpus": 0},
}

_INSTALL_HINT = 'the ray backend needs Ray; install it with: pip install "mustknow[ray]"'


def import_ray():
    """The ``ray`` module.

    Raises:
        ImportError: Ray is not installed (or does not import); the message says
            how to install it.
    """
    try:
        import ray
    except ImportError as err:
        raise ImportError(f"{_INSTALL_HINT} ({err})") from None
    return ray


def _check_reachable(address: str, timeout: float = 10.0) -> None:
    """Fail fast on a ``HOST:PORT`` nobody answers at (``ray.init`` would retry for ever).

    ``"auto"`` and addresses without a numeric port are left to Ray.

    Raises:
        ConnectionError: no TCP connection to the address within ``timeout`` seconds.
    """
    host, _, port = address.removeprefix("ray://").rpartition(":")
    if not host or not port.isdigit():
        return
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=timeout).close()
    except OSError as err:
        raise ConnectionError(f"cannot reach the Ray cluster at {address!r}: {err.strerror or err}") from None


def _run_trial(trial: Trial) -> Outcome:
    """The body of a Ray task: run one trial with one intra-op thread, recording where it ran."""
    import torch

    torch.set_num_threads(1)
    outcome = execute(trial)
    return dataclasses.replace(outcome, environ=environ(outcome.threads))


class RayBackend(Backend):
    """Trials as Ray tasks; outcomes come back to this process as they finish.

    Connecting: with ``address`` (``"auto"``, ``"HOST:PORT"`` or
    ``"ray://HOST:PORT"``) it joins that cluster; without one it starts a local
    Ray instance with ``num_cpus`` CPUs (all of this machine's when ``None``). If
    this process is already connected to Ray (``ray.init`` was called before),
    that connection is used (``address`` and ``num_cpus`` then have no effect).
    ``close()`` cancels trials still pending and disconnects, or stops the
    local instance, only if this backend connected or started it.

    Args:
        profile: picks the resources per trial from :data:`TRIAL_RESOURCES`.
        address: the cluster to join; ``None`` starts a local instance.
        num_cpus: CPUs of the local instance; only without ``address``.
        resources: ``{"num_cpus", "num_gpus"}`` per trial, overriding the
            profile's (``num_gpus`` is dropped on a cluster without GPUs).

    Raises:
        ImportError: Ray is not installed (the message says how to get it).
        ValueError: unknown profile, ``num_cpus < 1``, ``num_cpus`` given with
            an ``address``, or resources that are not non-negative numbers.

    Example:
        >>> from mustknow.lab import questions, runner
        >>> backend = RayBackend("full", address="auto")  # doctest: +SKIP
        >>> summary = runner.run(questions.claims(), "full", backend=backend)  # doctest: +SKIP
    """

    name = "ray"

    def __init__(self, profile: str = "quick", address: str | None = None, num_cpus: int | None = None,
                 resources: Mapping[str, float] | None = None) -> None:
        if profile not in PROFILES:
            raise ValueError(f"profile={profile!r} must be one of {', '.join(PROFILES)}")
        if num_cpus is not None:
            if not isinstance(num_cpus, int) or isinstance(num_cpus, bool) or num_cpus < 1:
                raise ValueError(f"num_cpus must be an int >= 1; got {num_cpus!r}")
            if address is not None:
                raise ValueError(f"num_cpus={num_cpus} only sizes a local Ray instance; the cluster at "
                                 f"{address!r} has its own")
        if address is not None and (not isinstance(address, str) or not address.strip()):
            raise ValueError(f"address must be a non-empty string such as 'auto' or 'HOST:PORT'; got {address!r}")
        wanted = dict(TRIAL_RESOURCES[profile] if resources is None else resources)
        if set(wanted) != {"num_cpus", "num_gpus"} or any(
                isinstance(v, bool) or not isinstance(v, (int, float)) or v < 0 for v in wanted.values()):
            raise ValueError(f"resources must be {{'num_cpus': n >= 0, 'num_gpus': n >= 0}}; got {wanted!r}")
        self.ray = import_ray()
        self.profile = profile
        self.address = address
        self.num_cpus = num_cpus
        self.resources = wanted
        self._owned = False  # True when this backend called ray.init (and so must shut down)
        self._pending: list[Any] = []

    def connect(self) -> None:
        """Join the cluster or start the local instance (once; a no-op when already connected).

        Raises:
            ConnectionError: the cluster at ``address`` cannot be reached.
        """
        ray = self.ray
        if ray.is_initialized():
            return
        kwargs: dict[str, Any] = {"include_dashboard": False, "log_to_driver": False,
                                  "logging_level": logging.WARNING}
        if self.address is None:
            kwargs["num_cpus"] = self.num_cpus
        else:
            _check_reachable(self.address)
            kwargs["address"] = self.address
        # Ctrl-C in a terminal reaches the whole process group, which holds a local
        # instance's processes: started with SIGINT ignored, they outlive it, so this
        # process gets the KeyboardInterrupt and stops them in order (close()).
        ignore = self.address is None and threading.current_thread() is threading.main_thread()
        old = signal.signal(signal.SIGINT, signal.SIG_IGN) if ignore else None
        try:
            ray.init(**kwargs)
        except ConnectionError as err:
            raise ConnectionError(f"cannot reach the Ray cluster at {self.address!r}: {err}") from None
        finally:
            if ignore:
                signal.signal(signal.SIGINT, old)
        self._owned = True

    def trial_options(self) -> dict[str, float]:
        """The resources each task asks for on the connected cluster."""
        options = dict(self.resources)
        if options["num_gpus"] and not self.ray.cluster_resources().get("GPU", 0):
            options["num_gpus"] = 0
        return options

    def map(self, trials: Sequence[Trial]) -> Iterator[tuple[Trial, Outcome]]:
        if not trials:
            return
        ray = self.ray
        self.connect()
        task = ray.remote(_run_trial).options(**self.trial_options())
        by_ref = {task.remote(trial): trial for trial in trials}
        self._pending = list(by_ref)
        try:
            while self._pending:
                done, self._pending = ray.wait(self._pending, num_returns=1)
                for ref in done:
                    try:
                        outcome = ray.get(ref)
                    except ray.exceptions.RayError as err:  # the worker or its node died
                        outcome = Outcome(error=f"{type(err).__name__}: {err}")
                    yield by_ref.pop(ref), outcome
        finally:
            self._cancel()

    def _cancel(self) -> None:
        """Cancel the trials not handed back yet: queued ones never start, running ones are interrupted."""
        for ref in self._pending:
            self.ray.cancel(ref)
        self._pending = []

    def close(self) -> None:
        self._cancel()
        if self._owned:
            self.ray.shutdown()
            self._owned = False
