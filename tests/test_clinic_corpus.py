"""Issue 13 acceptance: every clinic export of tests/data/clinic/ loads right or fails loudly.

Each case (a ``NAME.expect.toml`` sidecar, schema in tests/data/clinic/README.md) goes
through the Python reader it names (then ``ka.validate``) and through ``ketanalysis
validate`` in-process: no exception other than DataError, the documented exit code, rows
conserved (read = kept + audited), the canonical frame equal to ``NAME.expected.csv`` and
error texts containing the expected strings. Cases the library cannot pass yet are in
KNOWN_GAPS, and a test asserts they still fail (so the dict must shrink when they are fixed).
"""

from __future__ import annotations

import importlib.util
import warnings
from pathlib import Path

import pandas as pd
import pytest

import ketanalysis as ka
from ketanalysis.cli import main as cli_main

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

CLINIC = Path(__file__).parent / "data" / "clinic"
SIDECARS = sorted(CLINIC.glob("*.expect.toml"))
CASES = {p.name.removesuffix(".expect.toml"): tomllib.loads(p.read_text("utf-8")) for p in SIDECARS}
READERS = {"read_scores": ka.read_scores, "from_wide": ka.from_wide, "read_redcap": ka.read_redcap}
KEY = ["patient_id", "scale", "session"]

#: Cases the library does not pass yet: {case: the failure}. The test below asserts each
#: still fails; remove a case here when it is fixed.
KNOWN_GAPS: dict[str, str] = {}


def _api(case: dict):
    """(report, None) or (None, DataError) of the case's Python reader + ka.validate."""
    reader = READERS[case["reader"]]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ka.DataWarning)
            frame = reader(CLINIC / case["file"], **case["read_kwargs"])
            report = ka.validate(frame, **_validate_kwargs(case))
    except ka.DataError as e:
        return None, e
    return report, None


def _validate_kwargs(case: dict) -> dict:
    keep = ("scale", "baseline", "allow_identifiers", "allow_negative_days")
    kw = {k: v for k, v in case["read_kwargs"].items() if k in keep}
    if case["reader"] != "read_scores":
        kw.pop("scale", None)  # wide and REDCap readers write the scale column
    return kw


def _cli(case: dict, capsys, monkeypatch) -> tuple[int, str, str]:
    monkeypatch.chdir(CLINIC)  # cli_args name auxiliary corpus files relative to it
    capsys.readouterr()
    code = cli_main(["validate", case["file"], *case["cli_args"]])
    out, err = capsys.readouterr()
    return code, out, err


def _canonical(frame: pd.DataFrame) -> pd.DataFrame:
    cols = [c for c in ["patient_id", "scale", "session", "score", "day"] if c in frame.columns]
    out = frame[cols].copy()
    out["patient_id"] = out["patient_id"].astype(str)
    out["scale"] = out["scale"].astype(str)
    for c in ("session", "score", "day"):
        if c in out.columns:
            out[c] = pd.to_numeric(out[c]).astype(float)
    return out.sort_values(KEY).reset_index(drop=True)


def check_case(name: str, capsys, monkeypatch) -> None:
    case = CASES[name]
    report, error = _api(case)
    code, out, err = _cli(case, capsys, monkeypatch)
    assert "internal error" not in err, f"CLI bug exit: {err}"
    if case["kind"] == "ok":
        assert error is None, f"API raised DataError: {error}"
        assert report.ok, f"API validation errors: {report.error_message()}"
        kept, audited = len(report.frame), len(report.audit)
        got = (report.n_rows_in, kept, audited)
        want = (case["rows_read"], case["rows_kept"], case["rows_audited"])
        assert got == want, f"rows (read, kept, audited) {got} != {want}"
        assert report.n_rows_in == kept + audited
        expected = pd.read_csv(CLINIC / case["expected"], dtype={"patient_id": str})
        frame = report.frame
        if "day" not in expected.columns:
            frame = frame.drop(columns="day", errors="ignore")
        pd.testing.assert_frame_equal(_canonical(frame), _canonical(expected))
        assert code == 0, f"CLI exit {code}: {err}"
        counts = f"rows: {want[0]} read, {want[1]} kept, {want[2]} excluded"
        assert counts in out, f"CLI summary lacks {counts!r}: {out}"
    else:
        if error is None:
            assert not report.ok, "API accepted a file expected to be refused"
            message = report.error_message()
        else:
            message = str(error)
        for text in case["message_contains"]:
            assert text in message, f"API message lacks {text!r}: {message}"
        assert code == case["exit_code"], f"CLI exit {code} != {case['exit_code']}: {err}"
        for text in case["message_contains"]:
            assert text in err, f"CLI message lacks {text!r}: {err}"


@pytest.mark.parametrize("name", [n for n in CASES if n not in KNOWN_GAPS])
def test_case(name, capsys, monkeypatch):
    check_case(name, capsys, monkeypatch)


def test_known_gaps_still_fail(capsys, monkeypatch):
    assert set(KNOWN_GAPS) <= set(CASES)
    for name in sorted(KNOWN_GAPS):  # a gap that passes now must leave KNOWN_GAPS
        with pytest.raises(AssertionError):
            check_case(name, capsys, monkeypatch)


def _corpus_files(folder: Path) -> set[str]:
    skip = {"README.md", "make_corpus.py"}
    return {
        p.name
        for p in folder.iterdir()
        if p.name not in skip and not p.name.endswith((".expect.toml", ".expected.csv"))
    }


def test_corpus_complete():
    assert len(CASES) >= 40
    files = _corpus_files(CLINIC)
    named = {c["file"] for c in CASES.values()}
    aux = {a for c in CASES.values() for a in c.get("aux_files", [])}
    assert named - files == set(), "sidecars naming missing files"
    assert files - named - aux == set(), "data files without a sidecar"
    assert aux <= files
    for name, case in CASES.items():
        assert case["kind"] in ("ok", "error"), name
        assert case["reader"] in READERS, name
        if case["kind"] == "ok":
            assert (CLINIC / case["expected"]).is_file(), name
            assert case["rows_read"] == case["rows_kept"] + case["rows_audited"], name
        else:
            assert case["exit_code"] in (1, 2) and case["message_contains"], name
    expected = {p.name.removesuffix(".expected.csv") for p in CLINIC.glob("*.expected.csv")}
    assert expected == {n for n, c in CASES.items() if c["kind"] == "ok"}


def test_make_corpus_regenerates_identically(tmp_path):
    spec = importlib.util.spec_from_file_location("make_corpus", CLINIC / "make_corpus.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.main(tmp_path)
    made = {p.name for p in tmp_path.iterdir()}
    kept = {p.name for p in CLINIC.iterdir()} - {"README.md", "make_corpus.py"}
    assert made == kept
    differ = [n for n in sorted(made) if (tmp_path / n).read_bytes() != (CLINIC / n).read_bytes()]
    assert differ == []
