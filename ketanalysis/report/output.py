"""The report folder: written beside the target, swapped into place, replaced only by its
own manifest.

A build writes every file into a staging directory ``.NAME.tmp-*`` next to ``out_dir``
and, once the last file (``provenance.json``, the manifest) is written, moves it into
place with two renames: the previous report (if any) to ``.NAME.old-*/previous``, the
staging directory to ``out_dir``. At every instant ``out_dir`` is the complete old
report or the complete new one, or, between the two renames, absent with the complete
old report parked in ``.NAME.old-*``. The next run resolves what a killed run left:

* ``.NAME.tmp-*`` (a build that never finished) is deleted;
* ``.NAME.old-*`` with no report in place is renamed back to ``out_dir`` (restored);
  with a report in place, its files are removed as ``--overwrite`` removes them.

A lock file ``.NAME.lock`` (``fcntl.flock``, released by the kernel when the process dies)
is held for the whole run, so two runs into the same folder never delete each other's
staging directory: the second is refused with :class:`OutputDirError`.

``--overwrite`` (``overwrite=True``) removes only the files listed in the previous
report's manifest (``files`` in its ``provenance.json``, with their SHA-256) whose bytes
still match, plus the manifest and ``timings.json`` themselves; directories are removed
only when empty afterwards. A file not listed, a listed file that was modified, a
symbolic link, or a folder without a ketanalysis ``provenance.json`` makes the run refuse
before anything is written or deleted, naming the files.

For tests, the environment variable ``KETANALYSIS_TEST_EXIT_AT=k`` makes the process
end with ``os._exit(86)`` at the k-th :func:`checkpoint` (each file operation of the
write and swap sequence), as a ``kill -9`` would.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
import tempfile
from pathlib import Path

__all__ = [
    "MANIFEST",
    "OutputDirError",
    "check_out_dir",
    "checkpoint",
    "file_sha256",
    "manifest_files",
    "resolve_leftovers",
    "stage",
]

#: The file holding the manifest (``files``: relative path -> SHA-256).
MANIFEST = "provenance.json"
#: Files of a report that the manifest does not hash: the manifest itself and the
#: per-run timings (the one file that differs between runs).
UNHASHED = (MANIFEST, "timings.json")
_TIMINGS_KEYS = {"note", "steps", "total_seconds"}
_EXIT_ENV = "KETANALYSIS_TEST_EXIT_AT"
_SHOWN = 10  # files named in a message, at most
_steps = [0]


class OutputDirError(FileExistsError):
    """The output directory cannot be written: it is not empty (and ``overwrite`` was not
    given), or it holds files that are not part of a previous report, or another run is
    writing it."""


def checkpoint() -> None:
    """One step of the write and swap sequence (see the module notes: a test hook that
    ends the process at the k-th step when ``KETANALYSIS_TEST_EXIT_AT=k``)."""
    target = os.environ.get(_EXIT_ENV)
    if not target:
        return
    _steps[0] += 1
    if _steps[0] == int(target):
        os._exit(86)


def file_sha256(path) -> str:
    """SHA-256 of a file's bytes, as hex."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def manifest_files(directory) -> dict[str, str]:
    """Relative POSIX path -> SHA-256 of every file under ``directory`` except
    :data:`UNHASHED` at its top, sorted: the manifest written into ``provenance.json``."""
    directory = Path(directory)
    files = {}
    for p in sorted(directory.rglob("*")):
        rel = p.relative_to(directory).as_posix()
        if p.is_file() and rel not in UNHASHED:
            files[rel] = file_sha256(p)
    return files


# ---------------------------------------------------------------------------------------
# What a previous report is made of
# ---------------------------------------------------------------------------------------
def _manifest(directory: Path) -> dict | None:
    """The ``files`` of a ketanalysis ``provenance.json`` in ``directory``, or None."""
    try:
        data = json.loads((directory / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or not str(data.get("generator", "")).startswith("ketanalysis"):
        return None
    files = data.get("files")
    if not isinstance(files, dict):
        return None
    return {str(k): str(v) for k, v in files.items()}


def _is_timings(path: Path) -> bool:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(data, dict) and set(data) <= _TIMINGS_KEYS


def _entries(directory: Path):
    """Every file and link under ``directory`` (links not followed), as (path, rel)."""
    for root, dirs, files in os.walk(directory):
        base = Path(root)
        for name in sorted(dirs):
            p = base / name
            if p.is_symlink():
                yield p, p.relative_to(directory).as_posix()
        for name in sorted(files):
            p = base / name
            yield p, p.relative_to(directory).as_posix()


def _survey(directory: Path) -> tuple[list[Path], list[str]]:
    """The files of ``directory`` that belong to its report (removable), and the
    problems that forbid replacing it (files not listed, modified, links)."""
    manifest = _manifest(directory)
    if manifest is None:
        return [], []
    removable, problems = [], []
    for p, rel in _entries(directory):
        if p.is_symlink() or not p.is_file():
            problems.append(f"{rel} (a link or special file, not written by ketanalysis)")
        elif rel == MANIFEST:
            continue
        elif rel == "timings.json":
            if _is_timings(p):
                removable.append(p)
            else:
                problems.append(f"{rel} (changed since the report wrote it)")
        elif rel not in manifest:
            problems.append(f"{rel} (not listed in {MANIFEST})")
        elif file_sha256(p) != manifest[rel]:
            problems.append(f"{rel} (changed since the report wrote it)")
        else:
            removable.append(p)
    return removable, problems


def _listing(items: list[str]) -> str:
    shown = ", ".join(items[:_SHOWN])
    if len(items) > _SHOWN:
        shown += f" and {len(items) - _SHOWN} more"
    return shown


def check_out_dir(out_dir, overwrite: bool) -> None:
    """Raise :class:`OutputDirError` unless a report may be moved into ``out_dir``: it
    does not exist, is empty, or (with ``overwrite``) holds only a previous report's
    files, unchanged."""
    out_dir = Path(out_dir)
    if out_dir.is_symlink() or (out_dir.exists() and not out_dir.is_dir()):
        raise OutputDirError(f"{out_dir} exists and is not a directory")
    if not out_dir.is_dir() or not any(out_dir.iterdir()):
        return
    if not overwrite:
        raise OutputDirError(
            f"{out_dir} is not empty; choose another directory or pass --overwrite "
            "(overwrite=True) to replace a previous report"
        )
    if _manifest(out_dir) is None:
        raise OutputDirError(
            f"{out_dir} is not empty and does not hold a previous ketanalysis report "
            f"(no {MANIFEST} listing its files); refusing to replace it even with "
            "--overwrite; nothing was deleted"
        )
    _, problems = _survey(out_dir)
    if problems:
        raise OutputDirError(
            f"{out_dir} holds files that are not part of the previous report: "
            f"{_listing(problems)}; move them elsewhere and run again (--overwrite "
            f"replaces only the files listed in {MANIFEST}); nothing was deleted"
        )


def _discard(directory: Path) -> list[str]:
    """Remove a parked previous report: its listed, unchanged files (the manifest last,
    so a kill midway leaves it to the next run), then its directories if empty. Returns
    what is left (relative paths), which is never removed."""
    removable, _ = _survey(directory)
    for p in removable:
        checkpoint()
        p.unlink()
    manifest = directory / MANIFEST
    if manifest.is_file() and not manifest.is_symlink():
        left = [rel for p, rel in _entries(directory) if p != manifest]
        if not left:
            checkpoint()
            manifest.unlink()
    for root, _dirs, _files in sorted(os.walk(directory), key=lambda w: -len(w[0])):
        with contextlib.suppress(OSError):
            Path(root).rmdir()
    if not directory.exists():
        return []
    return [rel for _, rel in _entries(directory)]


# ---------------------------------------------------------------------------------------
# Staging, lock and leftovers
# ---------------------------------------------------------------------------------------
class _Lock:
    """An exclusive ``flock`` on ``.NAME.lock`` beside the output, removed on release."""

    def __init__(self, path: Path):
        self.path = path
        self.fd = None

    def acquire(self) -> None:
        try:
            import fcntl
        except ImportError:  # pragma: no cover - not POSIX: no lock
            return
        for _ in range(10):
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                os.close(fd)
                raise OutputDirError(
                    f"another ketanalysis run is writing {self.path.parent / self.name} "
                    f"(it holds {self.path}); wait for it to finish"
                ) from None
            try:
                same = os.path.samestat(os.fstat(fd), os.stat(self.path))
            except FileNotFoundError:
                same = False
            if same:  # not a lock file that its holder removed meanwhile
                self.fd = fd
                return
            os.close(fd)
        raise OutputDirError(f"cannot lock {self.path}")  # pragma: no cover

    @property
    def name(self) -> str:
        return self.path.name[1 : -len(".lock")]

    def release(self) -> None:
        if self.fd is None:
            return
        with contextlib.suppress(OSError):
            self.path.unlink()
        os.close(self.fd)
        self.fd = None


def _leftovers(out_dir: Path, kind: str) -> list[Path]:
    pattern = re.compile(re.escape(f".{out_dir.name}.{kind}-") + r"[A-Za-z0-9_]+")
    return [
        p
        for p in sorted(out_dir.parent.iterdir())
        if pattern.fullmatch(p.name) and p.is_dir() and not p.is_symlink()
    ]


def resolve_leftovers(out_dir, log=None) -> None:
    """Clean or restore what killed runs left beside ``out_dir`` (call with the lock
    held): staging directories are deleted; a parked previous report is restored when
    nothing is in place, else its files are removed as ``--overwrite`` would."""
    out_dir = Path(out_dir)
    for tmp in _leftovers(out_dir, "tmp"):
        checkpoint()
        shutil.rmtree(tmp)
    for old in _leftovers(out_dir, "old"):
        previous = old / "previous"
        if previous.exists() and not out_dir.exists():
            checkpoint()
            os.replace(previous, out_dir)
            if log:
                log(f"restored the previous report {out_dir} left aside by a killed run")
        elif previous.is_dir() and not previous.is_symlink():
            left = _discard(previous)
            if left and log:
                log(
                    f"{previous} (a previous report left by a killed run) holds files "
                    f"not in its manifest, kept: {_listing(left)}"
                )
        checkpoint()
        with contextlib.suppress(OSError):
            old.rmdir()


class Staging:
    """The staging directory of one run (:func:`stage`)."""

    def __init__(self, out_dir: Path, overwrite: bool, log):
        self.out_dir = out_dir
        self.overwrite = overwrite
        self.log = log
        self.path: Path | None = None
        self.committed = False

    def commit(self) -> None:
        """Move the staging directory into place (the previous report, if any, is
        parked, then its files removed)."""
        out_dir = self.out_dir
        check_out_dir(out_dir, self.overwrite)  # again: something may have appeared
        os.chmod(self.path, 0o755)
        old = None
        if out_dir.exists():
            checkpoint()
            old = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.old-", dir=out_dir.parent))
            checkpoint()
            os.replace(out_dir, old / "previous")
        checkpoint()
        os.replace(self.path, out_dir)
        self.committed = True
        if old is not None:
            left = _discard(old / "previous")
            if left:
                raise OutputDirError(
                    f"the new report is in {out_dir}; the previous one, moved to "
                    f"{old / 'previous'}, gained files while this run wrote: "
                    f"{_listing(left)}; they were kept there"
                )
            checkpoint()
            old.rmdir()


@contextlib.contextmanager
def stage(out_dir, *, overwrite: bool = False, log=None):
    """Lock ``out_dir``, resolve leftovers of killed runs, check that a report may be
    written there and yield a :class:`Staging` whose ``path`` is the empty staging
    directory; call its ``commit()`` once every file is written. On an error (or when
    ``commit`` was not called) the staging directory is deleted; the lock is always
    released. ``log`` receives warnings (a callable taking one string)."""
    out_dir = Path(out_dir)
    if out_dir.is_symlink() or (out_dir.exists() and not out_dir.is_dir()):
        raise OutputDirError(f"{out_dir} exists and is not a directory")
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    lock = _Lock(out_dir.parent / f".{out_dir.name}.lock")
    lock.acquire()
    staging = Staging(out_dir, overwrite, log)
    try:
        checkpoint()
        resolve_leftovers(out_dir, log)
        check_out_dir(out_dir, overwrite)
        checkpoint()
        staging.path = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.tmp-", dir=out_dir.parent))
        yield staging
    finally:
        if staging.path is not None and not staging.committed:
            shutil.rmtree(staging.path, ignore_errors=True)
        lock.release()
