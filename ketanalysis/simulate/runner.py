"""Running the simulated trials of :func:`.power.power`, in this process or in parallel.

:class:`Executor` spawns one seed per simulated trial from the root
``numpy.random.SeedSequence`` and hands chunks of trials to a process pool that it keeps
across design points; the rows do not depend on the number of processes or on the chunk
size. The simple designs (:mod:`.designs`) are analysed a chunk at a time.
"""

from __future__ import annotations

import math
import os
import pickle
import warnings

import numpy as np
import pandas as pd

from .analyses import SIMPLE, AnalysisSpec, analyse, finish

__all__ = ["Executor", "run_chunk"]


def _available_cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


class Executor:
    """A process pool (or this process for n_jobs=1) reused across design points.

    ``n_jobs`` None or -1 uses every CPU available; a spec that cannot be pickled (a lambda
    or local function) runs in this process with a RuntimeWarning.
    """

    def __init__(self, n_jobs: int | None, spec: AnalysisSpec):
        n = _available_cpus() if n_jobs in (None, -1) else int(n_jobs)
        if n > 1:
            try:
                pickle.dumps(spec)
            except Exception as exc:  # lambdas, local functions, open handles ...
                warnings.warn(
                    f"n_jobs={n_jobs}: the simulate or analysis function cannot be sent to "
                    f"worker processes ({type(exc).__name__}: {exc}); running in this process. "
                    "Define it at module level to run in parallel.",
                    RuntimeWarning,
                    stacklevel=3,
                )
                n = 1
        self.n_jobs = n
        self._pool = None

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if self._pool is not None:
            # on an error or Ctrl-C, drop the chunks not yet started instead of running them
            self._pool.shutdown(wait=True, cancel_futures=exc_type is not None)
        return False

    def run(self, spec, ns, seed_seq, n_sim, chunk_size) -> list[list[dict]]:
        """Rows of every simulation, per sample size in ``ns``."""
        # A fresh root each time: spawn() on the same SeedSequence object continues where the
        # last call stopped, and every sample size must get the same seeds.
        children = np.random.SeedSequence(seed_seq.entropy).spawn(n_sim)
        seeds = [int(c.generate_state(1, dtype=np.uint64)[0]) for c in children]
        if self.n_jobs == 1:
            return [run_chunk((spec, n, list(enumerate(seeds)))) for n in ns]
        size = chunk_size or max(1, math.ceil(n_sim / (4 * self.n_jobs)))
        indexed = list(enumerate(seeds))
        tasks, owner = [], []
        for j, n in enumerate(ns):
            for start in range(0, n_sim, size):
                block = indexed[start : start + size]
                tasks.append((spec, n, block))
                owner.append(j)
        if self._pool is None:
            from concurrent.futures import ProcessPoolExecutor

            _preload(spec)

            self._pool = ProcessPoolExecutor(max_workers=min(self.n_jobs, len(tasks)))
        out: list[list[dict]] = [[] for _ in ns]
        for j, rows in zip(owner, self._pool.map(run_chunk, tasks), strict=True):
            out[j].extend(rows)
        return out


def _preload(spec: AnalysisSpec) -> None:
    """Import what the workers need before they start: forked workers inherit it instead
    of each importing scipy, statsmodels and patsy again (a second or more per pool)."""
    import scipy.stats  # noqa: F401

    if spec.analysis in ("response", "mmrm"):
        import statsmodels.stats.proportion  # noqa: F401

        from ..outcomes import engine  # noqa: F401
        from ..stats import primary, summary  # noqa: F401
        from . import cohort  # noqa: F401


def run_chunk(task) -> list[dict]:
    """Simulate and analyse the trials of one chunk ``(spec, n_per_arm, [(sim, seed), ...])``
    (runs in a worker process)."""
    spec, n_per_arm, block = task
    simple = SIMPLE.get(spec.analysis) if isinstance(spec.analysis, str) else None
    if simple is not None and isinstance(spec.simulate, simple[0]):
        return _run_simple_chunk(spec, n_per_arm, block, simple[1])
    rows = []
    for sim, seed in block:
        frame = _draw(spec, n_per_arm, seed)
        row = {"sim": sim, "seed": seed}
        row.update(analyse(spec, frame))
        rows.append(row)
    return rows


def _run_simple_chunk(spec, n_per_arm, block, core) -> list[dict]:
    """The simple designs, vectorised over the trials of a chunk.

    Each trial's values are drawn exactly as ``spec.simulate(n_per_arm, rng)`` draws them,
    so the result equals the one trial at a time path.
    """
    values = np.stack([spec.simulate.values(n_per_arm, np.random.default_rng(s)) for _, s in block])
    a, b = values[:, :n_per_arm], values[:, n_per_arm:]
    stats = core(a, b, spec.level)
    rows = []
    for i, (sim, seed) in enumerate(block):
        values_i = {k: v[i] for k, v in stats.items()}
        row = {"sim": sim, "seed": seed}
        row.update(finish(spec, values_i))
        rows.append(row)
    return rows


def _draw(spec: AnalysisSpec, n_per_arm: int, seed: int) -> pd.DataFrame:
    if spec.simulate is None:
        from .cohort import simulate_cohort

        return simulate_cohort(2 * n_per_arm, seed, arms=spec.arms, **spec.cohort_kwargs)
    frame = spec.simulate(n_per_arm, np.random.default_rng(seed))
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(
            f"simulate: expected the function to return a DataFrame, got {type(frame).__name__}"
        )
    return frame
