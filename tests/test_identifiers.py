"""The identifier guard on a labelled corpus, free text, and nothing refused is printed.

tests/data/identifiers/corpus.csv (synthetic, hand-written for issue 14; written by the
script in the commit that added it, values invented) holds identifier cases over the 18
HIPAA Safe Harbor kinds (45 CFR 164.514(b)(2)) and look-alikes that must pass (trial ids,
site codes, doses, versions, session labels ...). ``benchmarks/identifier_corpus.py``
prints the same measurement.
"""

from __future__ import annotations

import csv
import importlib.util
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import ketanalysis as ka
from ketanalysis.config import parse_config
from ketanalysis.report import build
from ketanalysis.validation import identifier_patterns as patterns
from ketanalysis.validation import identifiers

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "tests" / "data" / "identifiers" / "corpus.csv"


def _bench():
    spec = importlib.util.spec_from_file_location(
        "bench", ROOT / "benchmarks" / "identifier_corpus.py"
    )
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _cases():
    with open(CORPUS, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def test_corpus_shape():
    cases = _cases()
    ids = [c for c in cases if c["refused"] == "yes"]
    looks = [c for c in cases if c["refused"] == "no"]
    assert len(ids) >= 120 and len(looks) >= 60
    assert {c["kind"] for c in ids} == set(patterns.KINDS)  # all 18 kinds
    assert all(c["provenance"] for c in cases)
    assert len({c["case"] for c in cases}) == len(cases)


def test_corpus_recall_and_false_positives(capsys):
    r = _bench().measure(CORPUS)
    with capsys.disabled():
        print(
            f"\nidentifier corpus: recall {r['recall']:.3f} of {r['n_id']} cases, "
            f"{len(r['false_positives'])} false positives of {r['n_look']} look-alikes"
        )
    assert r["recall"] >= 0.95, [c["value"] for c in r["missed"]]
    assert r["false_positives"] == [], [c["value"] for c in r["false_positives"]]


def _cohort(n=40, seed=3) -> pd.DataFrame:
    return ka.simulate_cohort(n, seed=seed)


def _notes(frame: pd.DataFrame) -> pd.DataFrame:
    """Free-text notes, one per row, 'John Smith' in 40 of them."""
    notes = np.array([f"session note {i}: tolerated" for i in range(len(frame))], dtype=object)
    notes[:40] = "seen with John Smith"
    return frame.assign(notes=notes)


def test_free_text_is_refused_without_echoing_it():
    frame = _cohort()
    frame = frame.assign(notes=[f"note number {i} fine" for i in range(len(frame))])
    report = ka.validate(frame)
    issues = report.errors
    assert issues["column"].tolist() == ["notes"]
    message = issues["message"].iloc[0]
    assert "free text" in message and "allow_identifiers=['notes']" in message
    assert "note number" not in message and "note number" not in report.summary()
    assert ka.validate(frame, allow_identifiers=["notes"]).ok


def test_bounded_categories_are_not_free_text():
    frame = _cohort()
    levels = [f"site {i % 20}" for i in range(len(frame))]  # 20 levels: categorical
    assert ka.validate(frame.assign(site=levels)).ok
    assert identifiers.is_free_text(pd.Series([f"v{i}" for i in range(21)]))
    assert not identifiers.is_free_text(pd.Series([f"v{i}" for i in range(21)]), n_patients=500)
    assert not identifiers.is_free_text(pd.Series(np.arange(100.0)))


def test_names_in_notes_refused_and_never_printed(tmp_path):
    frame = _notes(_cohort())
    with pytest.raises(ka.DataError) as info:
        ka.validate(frame).raise_for_errors()
    text = str(info.value) + info.value.report.summary()
    assert "notes" in text and "names" in text
    assert "john" not in text.lower() and "smith" not in text.lower()
    assert "Xxxx Xxxxx" in text  # the masked shape only
    # through a reader as well
    path = tmp_path / "cohort.csv"
    frame.to_csv(path, index=False)
    with pytest.raises(ka.DataError) as info:
        ka.read_scores(path)
    assert "smith" not in str(info.value).lower()


def test_identifier_kinds_are_named_in_messages():
    base = _cohort(6)
    for value, kind in [
        ("mail me at a.b@example.org", "e-mail addresses"),
        ("+33 1 23 45 67 89", "phone numbers"),
        ("192.168.0.12", "IP addresses"),
        ("https://example.org/x", "URLs"),
        ("20240304", "calendar dates"),
    ]:
        msg = ka.validate(base.assign(extra=value)).errors["message"].iloc[0]
        assert f"look like {kind}" in msg
        assert value not in msg


def test_numeric_identifiers_by_column_name_and_shape():
    base = _cohort(6)
    assert not ka.validate(base.assign(subject_no=123456789)).ok
    assert not ka.validate(base.assign(record_id=1234567890)).ok
    assert ka.validate(base.assign(record_id=42)).ok
    assert ka.validate(base.assign(lab_value=20240304)).ok  # not an id-like name
    assert not ka.validate(base.assign(age=95)).ok  # HIPAA: ages over 89
    assert ka.validate(base.assign(age=89)).ok


def test_report_never_prints_an_allowed_free_text_column(tmp_path):
    # allowed, the notes column passes validation, but it is never tabulated
    frame = _notes(_cohort())
    data = tmp_path / "cohort.csv"
    frame.to_csv(data, index=False)
    cfg = parse_config(
        '[input]\nallow_identifiers = ["notes"]\n[privacy]\nlevel = "strict"\n'
        '[figures]\ninclude = ["trajectory"]\n[output]\nfigure_formats = ["svg"]\n'
        'table_formats = ["csv"]'
    )
    out = build(data, tmp_path / "report", cfg, quiet=True).parent
    for path in out.rglob("*"):
        if path.is_file():
            text = path.read_bytes().decode("utf-8", "replace").lower()
            assert "john smith" not in text, path
            assert "session note" not in text, path
    table1 = (out / "tables" / "table1.csv") if (out / "tables").is_dir() else None
    if table1 is not None and table1.exists():
        assert "notes" not in table1.read_text().lower()


def test_table1_refuses_a_named_free_text_column(tmp_path):
    from ketanalysis.config import ConfigError

    data = tmp_path / "cohort.csv"
    _notes(_cohort()).to_csv(data, index=False)
    cfg = parse_config(
        '[input]\nallow_identifiers = ["notes"]\n[analysis]\ntable1 = ["notes"]\n'
        '[figures]\ninclude = ["trajectory"]\n[output]\nfigure_formats = ["svg"]\n'
        'table_formats = ["csv"]'
    )
    with pytest.raises(ConfigError) as info:
        build(data, tmp_path / "report", cfg, quiet=True)
    assert "free text" in str(info.value) and "smith" not in str(info.value).lower()


def test_adverse_event_terms_are_free_text_by_design_but_scanned():
    n = 60
    terms = [f"symptom number {i}" for i in range(n)]  # 60 distinct terms: allowed
    frame = pd.DataFrame({"patient_id": [f"K{i:04d}" for i in range(n)], "session": 1})
    assert ka.validate_adverse_events(frame.assign(ae_term=terms)).ok
    terms[3] = "fainted, wife Mary Jones called"
    report = ka.validate_adverse_events(frame.assign(ae_term=terms))
    assert report.errors["column"].tolist() == ["ae_term"]
    text = report.summary() + report.error_message()
    assert "jones" not in text.lower() and "row 3" in text
