"""Shared benchmark harness: time and peak memory of one forward+backward, ours vs a peer.

A benchmark *case* (:class:`Case`) pairs one of mustknow's ops with PyTorch's
native op (the *peer*) on the same inputs. Case files ``bench/cases_*.py``
export ``CASES: list[Case]``; ``bench/ops.py`` discovers and runs them.

Time
    :func:`time_case` runs forward + backward of ours and of the peer
    **interleaved in one process**: after ``warmup`` untimed calls of each,
    every repeat times one call of each, alternating which goes first, so
    drift in machine load (other processes, frequency scaling) hits both
    alike. Each call is ``out = fn(*inputs)`` then ``out.backward(grad)`` with
    a fixed random ``grad`` shaped like ``out`` (a scalar output is
    back-propagated with ``grad = 1``); input gradients are cleared outside
    the timer. The figure reported is the median of the repeats, and the ratio
    is ``median(ours) / median(peer)``. On a shared machine the ratio is far
    more stable than the absolute times, but it is still noisy: rerun before
    trusting a difference under ~20%.

Peak memory
    :func:`peak_memory_mib` measures one forward+backward **in a fresh
    subprocess per (case, size, impl)**: the child builds the inputs, runs a
    tiny warm-up at 1,000 elements (so one-time library initialisation is not
    counted), resets the kernel's peak-RSS counter (writing ``5`` to
    ``/proc/self/clear_refs``), records ``VmHWM`` from ``/proc/self/status``
    as the baseline, runs one forward+backward at the requested size and
    reports ``VmHWM - baseline``: the increase of peak resident memory, i.e.
    what the op's outputs, saved tensors, temporaries and gradients added on
    top of the inputs. Where the counter cannot be reset (non-Linux, old
    kernels), ``ru_maxrss`` is used instead and the figure is only a lower
    bound. Limits: resident memory counts touched pages, so the figure
    includes allocator slack and excludes memory freed and reused from the
    warm-up; it has page (4 KiB) granularity and is meaningless for small
    sizes (use the 4e6 row); another thread's allocations (none here) would
    count too.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import math
import resource
import statistics
import subprocess
import sys
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import torch

__all__ = ["Case", "Row", "time_case", "peak_memory_mib", "load_cases", "run_cases", "markdown_table"]

_MIB = 2.0**20


@dataclass(frozen=True)
class Case:
    """One benchmark: our op against its peer on the same inputs.

    Attributes:
        name: unique name, e.g. ``"sigmoid"``.
        group: family, e.g. ``"activations"`` (``--only`` matches it too).
        make_inputs: ``size -> tuple of tensors`` (those needing a gradient
            with ``requires_grad=True``); ``size`` is the element count of the
            main input. Must be deterministic (seed inside).
        ours: ``(*inputs) -> tensor``, mustknow's op.
        peer: ``(*inputs) -> tensor``, the reference (PyTorch's native op).
        goal: the time ratio to meet (ours/peer), or ``None`` for no goal.
        goal_size: the size at which ``goal`` applies (``None``: every size).
        sizes: default sizes when the driver is given none.
    """

    name: str
    group: str
    make_inputs: Callable[[int], tuple[torch.Tensor, ...]]
    ours: Callable[..., torch.Tensor]
    peer: Callable[..., torch.Tensor]
    goal: float | None = None
    goal_size: int | None = None
    sizes: tuple[int, ...] = (10_000, 4_000_000)


@dataclass(frozen=True)
class Row:
    """One line of the table: a case at one size."""

    case: str
    size: int
    ours_ms: float
    peer_ms: float
    ours_mib: float | None
    peer_mib: float | None
    goal: float | None

    @property
    def time_ratio(self) -> float:
        return self.ours_ms / self.peer_ms

    @property
    def memory_ratio(self) -> float | None:
        if self.ours_mib is None or self.peer_mib is None or self.peer_mib < 0.01:
            return None
        return self.ours_mib / self.peer_mib

    @property
    def met(self) -> bool | None:
        return None if self.goal is None else self.time_ratio <= self.goal


def _clear_grads(inputs: Sequence[torch.Tensor]) -> None:
    for t in inputs:
        if isinstance(t, torch.Tensor):
            t.grad = None


def _step(fn: Callable[..., torch.Tensor], inputs: Sequence[torch.Tensor], grad: torch.Tensor | None) -> None:
    """One forward + backward."""
    out = fn(*inputs)
    out.backward(grad)


def _grad_for(fn: Callable[..., torch.Tensor], inputs: Sequence[torch.Tensor]) -> torch.Tensor | None:
    """A fixed random upstream gradient shaped like ``fn``'s output (``None`` for a scalar)."""
    with torch.no_grad():
        out = fn(*inputs)
    if out.dim() == 0:
        return None
    gen = torch.Generator().manual_seed(1)
    return torch.randn(out.shape, generator=gen, dtype=out.dtype)


def time_case(case: Case, size: int, repeats: int = 21, warmup: int = 3) -> tuple[float, float]:
    """Median forward+backward time of ours and of the peer, in ms, measured interleaved."""
    inputs = case.make_inputs(size)
    grad = _grad_for(case.ours, inputs)
    impls = (case.ours, case.peer)
    times: tuple[list[float], list[float]] = ([], [])
    for _ in range(warmup):
        for fn in impls:
            _step(fn, inputs, grad)
            _clear_grads(inputs)
    for r in range(repeats):
        order = (0, 1) if r % 2 == 0 else (1, 0)  # alternate who goes first
        for i in order:
            start = time.perf_counter()
            _step(impls[i], inputs, grad)
            times[i].append(time.perf_counter() - start)
            _clear_grads(inputs)
    return statistics.median(times[0]) * 1e3, statistics.median(times[1]) * 1e3


def _peak_rss_bytes() -> int:
    """Peak resident memory of this process so far (``VmHWM``; ``ru_maxrss`` as fallback)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024  # reported in kB
    except OSError:
        pass
    scale = 1 if sys.platform == "darwin" else 1024  # bytes on macOS, KiB on Linux
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale


def _reset_peak_rss() -> bool:
    """Reset the peak-RSS counter to the current RSS (Linux >= 4.0); ``False`` if impossible."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def _measure_here(source: Path, name: str, size: int, impl: str, threads: int) -> dict[str, float | bool]:
    """Child-process side of :func:`peak_memory_mib`."""
    torch.set_num_threads(threads)
    case = next(c for c in load_cases([source])[0][1] if c.name == name)
    fn = case.ours if impl == "ours" else case.peer
    small = case.make_inputs(1000)
    _step(fn, small, _grad_for(fn, small))  # one-time initialisation, not counted
    del small
    inputs = case.make_inputs(size)
    grad = _grad_for(fn, inputs)
    exact = _reset_peak_rss()
    base = _peak_rss_bytes()
    _step(fn, inputs, grad)
    return {"mib": (_peak_rss_bytes() - base) / _MIB, "exact": exact}


def peak_memory_mib(source: Path, case: Case, size: int, impl: str, threads: int = 1) -> float:
    """Increase of peak resident memory (MiB) over one forward+backward, in a fresh subprocess.

    Args:
        source: the file defining ``CASES`` that holds ``case`` (the child imports it).
        case: the case.
        size: element count.
        impl: ``"ours"`` or ``"peer"``.
        threads: intra-op threads in the child.
    """
    if impl not in ("ours", "peer"):
        raise ValueError(f"impl must be 'ours' or 'peer'; got {impl!r}")
    cmd = [sys.executable, str(Path(__file__).resolve()), "--memory", str(source), case.name, str(size), impl,
           str(threads)]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"memory probe for {case.name} ({impl}, size {size}) failed:\n{done.stderr}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    if not result["exact"]:
        warnings.warn("could not reset the peak-RSS counter; memory figures are lower bounds", stacklevel=2)
    return float(result["mib"])


def load_cases(files: Sequence[Path]) -> list[tuple[Path, list[Case]]]:
    """Import each case file and return ``(file, its CASES)`` pairs."""
    bench_dir = str(Path(__file__).resolve().parent)
    if bench_dir not in sys.path:
        sys.path.insert(0, bench_dir)  # case files do ``from _harness import Case``
    found = []
    for path in files:
        spec = importlib.util.spec_from_file_location(f"_bench_{Path(path).stem}", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        cases = getattr(module, "CASES", None)
        if not isinstance(cases, list):
            raise TypeError(f"{path} must define CASES: list[Case]")
        found.append((Path(path), cases))
    return found


def run_cases(
    cases: Sequence[tuple[Path, Case]],
    sizes: Sequence[int] | None = None,
    repeats: int = 21,
    memory: bool = True,
    threads: int = 2,
    progress: Callable[[str], None] | None = None,
) -> list[Row]:
    """Time (and optionally measure memory of) every case at every size.

    Args:
        cases: ``(source file, case)`` pairs.
        sizes: element counts; ``None`` uses each case's own ``sizes``.
        repeats: timed repeats per implementation.
        memory: also measure peak memory (two subprocesses per row).
        threads: ``torch.set_num_threads`` here and in the memory probes.
        progress: called with a short line before each row.
    """
    torch.set_num_threads(threads)
    rows = []
    for source, case in cases:
        for size in sizes or case.sizes:
            if progress:
                progress(f"{case.name} @ {size:,}")
            ours_ms, peer_ms = time_case(case, size, repeats)
            ours_mib = peer_mib = None
            if memory:
                ours_mib = peak_memory_mib(source, case, size, "ours", threads)
                peer_mib = peak_memory_mib(source, case, size, "peer", threads)
            goal = case.goal if case.goal_size in (None, size) else None
            rows.append(Row(case.name, size, ours_ms, peer_ms, ours_mib, peer_mib, goal))
    return rows


def _fmt(value: float | None, spec: str) -> str:
    return "-" if value is None or (isinstance(value, float) and math.isnan(value)) else format(value, spec)


def markdown_table(rows: Sequence[Row]) -> str:
    """The results as a markdown table (one line per case and size)."""
    head = "| case | size | ours ms | peer ms | time ratio | ours MiB | peer MiB | memory ratio | goal | met? |"
    lines = [head, "|" + "---|" * 10]
    for r in rows:
        met = "-" if r.met is None else ("yes" if r.met else "no")
        goal = "-" if r.goal is None else f"<= {r.goal:g}"
        lines.append(
            f"| {r.case} | {r.size:.0e} | {r.ours_ms:.3f} | {r.peer_ms:.3f} | {r.time_ratio:.2f} | "
            f"{_fmt(r.ours_mib, '.1f')} | {_fmt(r.peer_mib, '.1f')} | {_fmt(r.memory_ratio, '.2f')} | {goal} | {met} |"
        )
    return "\n".join(lines)


def _main(argv: Sequence[str] | None = None) -> None:
    """Entry point of the memory probe subprocess."""
    parser = argparse.ArgumentParser(description="memory probe (used by bench/ops.py)")
    parser.add_argument("--memory", nargs=5, metavar=("SOURCE", "CASE", "SIZE", "IMPL", "THREADS"), required=True)
    source, name, size, impl, threads = parser.parse_args(argv).memory
    print(json.dumps(_measure_here(Path(source), name, int(size), impl, int(threads))))


if __name__ == "__main__":
    _main()
