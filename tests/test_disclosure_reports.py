"""Strict-privacy reports scanned by the disclosure scanner (issue 14, acceptance line 2).

Two whole reports, both slow (tests/slow_tests.py): the sample cohort with the demo config
(docs/sample-report.toml) under ``[privacy] level = "strict"``, and a simulated 40-patient
cohort (``ka.simulate_cohort(40, seed=1)`` with ``ka.simulate_safety``, written here) with
its safety files. Each must scan clean: no count from 1 to 10 visible or recoverable. The
last test builds the 40-patient report without the complementary-suppression step and
checks that the scanner then finds what it would leak, so the clean scans are not vacuous.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import ketanalysis as ka
from ketanalysis.report import build, scan_report

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "sample" / "cohort_long.csv"


def _sample_config() -> str:
    text = (ROOT / "docs" / "sample-report.toml").read_text(encoding="utf-8")
    data = (ROOT / "data").as_posix()
    return text.replace('"../data', f'"{data}') + '\n[privacy]\nlevel = "strict"\n'


def _cohort40(base: Path) -> tuple[Path, Path]:
    cohort = ka.simulate_cohort(40, seed=1)
    cohort.to_csv(base / "c40.csv", index=False)
    vitals, aes = ka.simulate_safety(cohort, seed=1)
    vitals.to_csv(base / "vitals.csv", index=False)
    aes.to_csv(base / "ae.csv", index=False)
    cfg = base / "c40.toml"
    cfg.write_text(
        '[input.safety]\nvitals = "vitals.csv"\nadverse_events = "ae.csv"\n'
        '[analysis]\ngroup = "route"\nendpoint = 7\n[output]\nfigure_formats = ["svg"]\n'
        '[privacy]\nlevel = "strict"\n'
    )
    return base / "c40.csv", cfg


def _suppressed(report: Path) -> list:
    return json.loads((report / "provenance.json").read_text())["privacy"]["suppressed"]


def test_strict_sample_report_scans_clean(tmp_path):
    cfg = tmp_path / "strict.toml"
    cfg.write_text(_sample_config())
    build(SAMPLE, tmp_path / "report", cfg, quiet=True)
    found = scan_report(tmp_path / "report")
    assert found == [], "\n".join(map(str, found))
    assert _suppressed(tmp_path / "report")  # cells were hidden: the scan had work to do


def test_strict_40_patient_report_scans_clean(tmp_path):
    data, cfg = _cohort40(tmp_path)
    build(data, tmp_path / "report", cfg, quiet=True)
    found = scan_report(tmp_path / "report")
    assert found == [], "\n".join(map(str, found))
    log = _suppressed(tmp_path / "report")
    assert any(e["columns"] == ["(complementary suppression)"] for e in log)


def test_without_complementary_suppression_the_scanner_finds_leaks(tmp_path, monkeypatch):
    import ketanalysis.report.disclosure as disclosure

    monkeypatch.setattr(disclosure, "complete_suppression", lambda tables, size: {})
    data, cfg = _cohort40(tmp_path)
    build(data, tmp_path / "report", cfg, quiet=True)
    found = scan_report(tmp_path / "report")
    assert any(f.kind == "recoverable" for f in found)


@pytest.mark.parametrize("size", [5, 20])
def test_other_thresholds_scan_clean_too(tmp_path, size):
    data, cfg = _cohort40(tmp_path)
    ack = "acknowledge_small_cells = true\n" if size < 11 else ""
    cfg.write_text(cfg.read_text() + f"min_cell_size = {size}\n{ack}")
    build(data, tmp_path / "report", cfg, quiet=True)
    found = scan_report(tmp_path / "report", min_cell_size=size)
    assert found == [], "\n".join(map(str, found))
