"""The report folder (ketanalysis/report/output.py): --overwrite removes only the files of
the previous report's manifest, leftovers of killed runs are resolved by the next run,
and a kill at any file operation leaves the complete old or the complete new report."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from pathlib import Path

import pytest

from ketanalysis.report import OutputDirError
from ketanalysis.report import output as out_mod

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import output_driver  # noqa: E402

SAMPLE = HERE.parent / "data" / "sample" / "cohort_long.csv"


def _report(out_dir: Path, version: int) -> None:
    output_driver.write_report(out_mod, out_dir, version)


def _version(out_dir: Path) -> int | None:
    """The version of a complete report in ``out_dir`` (every listed file present with
    its hash, nothing else), else None."""
    try:
        prov = json.loads((out_dir / "provenance.json").read_text())
    except (OSError, ValueError):
        return None
    listed = prov["files"]
    found = {
        p.relative_to(out_dir).as_posix()
        for p in out_dir.rglob("*")
        if p.is_file() and p.name not in ("provenance.json", "timings.json")
    }
    if found != set(listed) or not (out_dir / "timings.json").is_file():
        return None
    if any(out_mod.file_sha256(out_dir / rel) != h for rel, h in listed.items()):
        return None
    return prov["version"]


def _leftovers(parent: Path, name: str = "out") -> list[str]:
    return sorted(p.name for p in parent.iterdir() if p.name.startswith(f".{name}."))


# ---------------------------------------------------------------------------------------
# --overwrite
# ---------------------------------------------------------------------------------------
def test_overwrite_replaces_a_previous_report(tmp_path):
    out = tmp_path / "out"
    _report(out, 1)
    (out / "sub" / "empty").mkdir()  # an empty folder may go
    _report(out, 2)
    assert _version(out) == 2
    assert not (out / "sub" / "empty").exists()
    assert _leftovers(tmp_path) == []


@pytest.mark.parametrize(
    "where", ["my_notes.docx", "sub/my_notes.docx", "sub/deep/new/my_notes.docx"]
)
def test_overwrite_refuses_a_file_the_report_did_not_write(tmp_path, where):
    out = tmp_path / "out"
    _report(out, 1)
    user = out / where
    user.parent.mkdir(parents=True, exist_ok=True)
    user.write_bytes(b"mine")
    before = sorted(p.relative_to(out).as_posix() for p in out.rglob("*"))
    with pytest.raises(OutputDirError) as e:
        _report(out, 2)
    message = str(e.value)
    assert f"{where} (not listed in provenance.json)" in message
    assert "nothing was deleted" in message
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*")) == before
    assert user.read_bytes() == b"mine" and _version(out) is None  # old report intact
    assert json.loads((out / "provenance.json").read_text())["version"] == 1
    assert _leftovers(tmp_path) == []


def test_overwrite_refuses_a_modified_report_file(tmp_path):
    out = tmp_path / "out"
    _report(out, 1)
    (out / "sub" / "b.txt").write_text("edited by hand\n")
    (out / "timings.json").write_text('{"my": "notes"}')
    with pytest.raises(OutputDirError) as e:
        _report(out, 2)
    assert "sub/b.txt (changed since the report wrote it)" in str(e.value)
    assert "timings.json (changed since the report wrote it)" in str(e.value)
    assert (out / "sub" / "b.txt").read_text() == "edited by hand\n"
    assert (out / "a.txt").exists()


def test_a_project_folder_that_claims_to_be_a_report_is_kept(tmp_path):
    # provenance.json says ketanalysis, but the folder holds a whole project
    project = tmp_path / "out"
    (project / "src").mkdir(parents=True)
    (project / "src" / "main.py").write_text("print(1)\n")
    (project / "provenance.json").write_text('{"generator": "ketanalysis report"}')
    with pytest.raises(OutputDirError, match="does not hold a previous ketanalysis report"):
        _report(project, 1)
    (project / "provenance.json").write_text(
        json.dumps({"generator": "ketanalysis report", "files": {"src/other.py": "0" * 64}})
    )
    with pytest.raises(OutputDirError, match=r"src/main\.py \(not listed"):
        _report(project, 1)
    assert (project / "src" / "main.py").read_text() == "print(1)\n"


def test_a_link_in_the_report_is_refused(tmp_path):
    out = tmp_path / "out"
    _report(out, 1)
    keep = tmp_path / "keep"
    keep.mkdir()
    (keep / "precious.txt").write_text("x")
    (out / "sub" / "link").symlink_to(keep, target_is_directory=True)
    with pytest.raises(OutputDirError, match=r"sub/link \(a link"):
        _report(out, 2)
    assert (keep / "precious.txt").read_text() == "x"


def test_a_long_list_of_user_files_is_bounded(tmp_path):
    out = tmp_path / "out"
    _report(out, 1)
    for i in range(500):
        (out / f"mine_{i:03d}.txt").write_text("x")
    with pytest.raises(OutputDirError) as e:
        _report(out, 2)
    assert "and 490 more" in str(e.value) and len(str(e.value)) < 1000


def test_without_overwrite_a_non_empty_folder_is_refused(tmp_path):
    out = tmp_path / "out"
    _report(out, 1)
    with pytest.raises(OutputDirError, match="not empty"), out_mod.stage(out):
        pass
    empty = tmp_path / "empty"
    empty.mkdir()
    with out_mod.stage(empty) as staging:
        (staging.path / "f.txt").write_text("x")
        staging.commit()
    assert (empty / "f.txt").read_text() == "x"


def test_a_failed_run_leaves_nothing(tmp_path):
    out = tmp_path / "out"
    with pytest.raises(RuntimeError), out_mod.stage(out, overwrite=True) as staging:
        (staging.path / "f.txt").write_text("half")
        raise RuntimeError("boom")
    assert sorted(p.name for p in tmp_path.iterdir()) == []


# ---------------------------------------------------------------------------------------
# Concurrent runs and leftovers
# ---------------------------------------------------------------------------------------
def test_a_second_concurrent_run_is_refused_and_keeps_the_first_runs_files(tmp_path):
    out = tmp_path / "out"
    with out_mod.stage(out, overwrite=True) as first:
        (first.path / "f.txt").write_text("first")
        with pytest.raises(OutputDirError, match="another ketanalysis run is writing"):
            with out_mod.stage(out, overwrite=True):
                pass  # pragma: no cover
        assert (first.path / "f.txt").read_text() == "first"
        first.commit()
    assert (out / "f.txt").read_text() == "first"
    assert _leftovers(tmp_path) == []


def test_leftovers_of_killed_runs_are_resolved(tmp_path):
    out = tmp_path / "out"
    _report(out, 1)
    # a killed run between the two renames: the old report parked, nothing in place
    parked = tmp_path / ".out.old-abc123"
    parked.mkdir()
    os.replace(out, parked / "previous")
    half = tmp_path / ".out.tmp-zz9_x"
    (half / "sub").mkdir(parents=True)
    (half / "sub" / "b.txt").write_text("half written")
    (tmp_path / ".out.old-empty1").mkdir()  # killed right after creating the parking place
    (tmp_path / ".other.tmp-abc").mkdir()  # another report's: not ours to touch
    (tmp_path / ".out.lock").write_text("")  # the lock file of a killed run
    out_mod.resolve_leftovers(out)
    assert _version(out) == 1  # restored
    assert _leftovers(tmp_path) == [".out.lock"]
    assert (tmp_path / ".other.tmp-abc").is_dir()
    _report(out, 2)
    assert _leftovers(tmp_path) == []


def test_a_parked_report_beside_a_new_one_is_removed_but_user_files_stay(tmp_path):
    out = tmp_path / "out"
    _report(out, 1)
    parked = tmp_path / ".out.old-abc123"
    parked.mkdir()
    os.replace(out, parked / "previous")
    (parked / "previous" / "sub" / "note.txt").write_text("mine")
    _report(tmp_path / "elsewhere", 5)
    os.replace(tmp_path / "elsewhere", out)
    messages = []
    out_mod.resolve_leftovers(out, messages.append)
    assert _version(out) == 5
    assert (parked / "previous" / "sub" / "note.txt").read_text() == "mine"
    assert not (parked / "previous" / "a.txt").exists()
    assert "sub/note.txt" in messages[0] and "kept" in messages[0]


# ---------------------------------------------------------------------------------------
# Kills at random points
# ---------------------------------------------------------------------------------------
def _driven(out: Path, version: int, exit_at: int) -> subprocess.CompletedProcess:
    env = {**os.environ, "KETANALYSIS_TEST_EXIT_AT": str(exit_at)}
    return subprocess.run(
        [sys.executable, str(HERE / "output_driver.py"), str(out), str(version)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def _assert_whole(parent: Path, out: Path, versions: set[int]) -> int:
    """The folder holds a complete report of one of ``versions``, or none with the
    complete old one parked (the state between the two renames); returns its version."""
    if out.exists():
        version = _version(out)
        assert version in versions, f"half a report in {out}: {sorted(out.rglob('*'))}"
        return version
    parked = [parent / n / "previous" for n in _leftovers(parent) if ".old-" in n]
    complete = [v for v in map(_version, parked) if v is not None]
    assert len(complete) == 1 and complete[0] in versions, f"lost the report: {parked}"
    return complete[0]


def test_thirty_kills_at_random_points(tmp_path):
    out = tmp_path / "out"
    (tmp_path / "my_notes.docx").write_bytes(b"beside the report")
    _report(out, 0)
    run = _driven(tmp_path / "count", 1, 10**6)  # a full overwrite run: every step
    _driven(tmp_path / "count", 2, 10**6)
    steps = int(_driven(tmp_path / "count", 3, 10**6).stdout)
    assert steps > 10, run.stderr
    rng = random.Random(14)
    points = [rng.randint(1, steps) for _ in range(30)]
    assert len(set(points)) > 10
    current, kills = 0, 0
    for i, k in enumerate(points):
        version = 100 + i
        killed = _driven(out, version, k)
        assert killed.returncode in (0, 86), killed.stderr
        kills += killed.returncode == 86
        current = _assert_whole(tmp_path, out, {current, version})
        if i % 3 == 1:
            continue  # the next killed run starts from these leftovers
        _report(out, version + 1000)  # the next run succeeds and leaves nothing behind
        current = version + 1000
        assert _version(out) == current
        assert _leftovers(tmp_path) == []
    assert (tmp_path / "my_notes.docx").read_bytes() == b"beside the report"
    assert kills >= 25  # nearly every run was killed (a restore takes fewer steps)


def test_kills_during_a_real_report_build(tmp_path):
    """The report builder itself, killed at seeded points of its write and swap sequence
    (figures only, one SVG figure, so that each run takes a few seconds)."""
    config = tmp_path / "c.toml"
    config.write_text('[figures]\ninclude = ["trajectory"]\n[output]\nfigure_formats = ["svg"]\n')
    out = tmp_path / "out"
    code = (
        "import sys, ketanalysis as ka; "
        "ka.report.build_figures(sys.argv[1], sys.argv[2], sys.argv[3], "
        "overwrite=True, quiet=True)"
    )

    def run(exit_at):
        env = {**os.environ, "KETANALYSIS_TEST_EXIT_AT": str(exit_at)}
        args = [sys.executable, "-c", code, str(SAMPLE), str(out), str(config)]
        return subprocess.run(args, env=env, capture_output=True, text=True, check=False)

    first = run(10**6)
    assert first.returncode == 0, first.stderr
    reference = json.loads((out / "provenance.json").read_text())["files"]

    def intact():
        if not out.exists():
            parked = [tmp_path / n / "previous" for n in _leftovers(tmp_path) if ".old-" in n]
            assert len(parked) == 1
            return parked[0]
        return out

    for k in random.Random(7).sample(range(1, 12), 3):
        assert run(k).returncode in (0, 86)
        folder = intact()
        assert out_mod.manifest_files(folder) == reference  # complete, byte-identical
        assert run(10**6).returncode == 0
        assert out_mod.manifest_files(out) == reference
        assert _leftovers(tmp_path) == []
