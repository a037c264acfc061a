"""Run the MMRM's many small matrix products on one BLAS thread.

An MMRM fit is thousands of products of small matrices. A threaded OpenBLAS splits some
of them across cores and then waits for every core: when another process keeps a core
busy, a product of a few milliseconds can take half a second (measured on a 2-core
machine while R ran beside it). :func:`single_threaded_blas` asks every OpenBLAS loaded in
the process for one thread *in the calling thread only* (``openblas_set_num_threads_local``,
OpenBLAS >= 0.3.27) and restores the previous value on exit; with another BLAS, or none
found, it does nothing. No global setting is changed.
"""

from __future__ import annotations

import contextlib
import ctypes
import sys

_SETTERS: list | None = None


def _openblas_setters() -> list:
    global _SETTERS
    if _SETTERS is not None:
        return _SETTERS
    setters = []
    paths = []
    if sys.platform.startswith("linux"):
        try:
            with open("/proc/self/maps", encoding="utf-8", errors="replace") as fh:
                for line in fh:
                    parts = line.split(maxsplit=5)
                    if len(parts) == 6 and "openblas" in parts[5].lower():
                        path = parts[5].strip()
                        if path not in paths:
                            paths.append(path)
        except OSError:  # pragma: no cover - no procfs
            paths = []
    for path in paths:
        try:
            fn = ctypes.CDLL(path).openblas_set_num_threads_local
        except (OSError, AttributeError):
            continue
        fn.argtypes = [ctypes.c_int]
        fn.restype = ctypes.c_int
        setters.append(fn)
    _SETTERS = setters
    return setters


@contextlib.contextmanager
def single_threaded_blas():
    """Context manager: one OpenBLAS thread in this thread, restored afterwards."""
    setters = _openblas_setters()
    previous = [fn(1) for fn in setters]
    try:
        yield
    finally:
        for fn, n in zip(setters, previous, strict=True):
            fn(max(int(n), 1))
