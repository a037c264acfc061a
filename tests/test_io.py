"""Readers: every format round-trips the sample cohort; wide and REDCap layouts; dates.

The sample files in data/sample/ are the same cohort in three layouts (long, wide,
REDCap); the expected frame is the long CSV as read by ``read_scores``. Comparisons are
exact (scores, items and days are whole numbers or PHQ-9 prorated values written with full
precision).
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import ketanalysis as ka

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "sample"
FORMATS = Path(__file__).parent / "data" / "formats"
KEY = ["patient_id", "scale", "session"]
COMPARED = [
    "patient_id",
    "session",
    "day",
    "scale",
    "score",
    "route",
    "age",
    "sex",
    "dose_mg_per_kg",
    "dose_mg",
]
REDCAP_EVENTS = json.loads((SAMPLE / "cohort_redcap_events.json").read_text())
WIDE = dict(
    sessions=r"(?P<scale>madrs|phq9|cadss)\.s(?P<session>\d+)",
    days=r"day\.s(?P<session>\d+)",
)


def _sorted(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.sort_values(KEY, kind="stable").reset_index(drop=True)


def _assert_same(actual: pd.DataFrame, expected: pd.DataFrame, columns=COMPARED):
    a, e = _sorted(actual), _sorted(expected)
    assert len(a) == len(e)
    for c in columns:
        pd.testing.assert_series_equal(a[c], e[c], check_names=True, obj=c)


@pytest.fixture(scope="module")
def long() -> pd.DataFrame:
    return ka.read_scores(SAMPLE / "cohort_long.csv")


def test_long_sample_is_canonical(long):
    assert list(long.columns[:6]) == [
        "patient_id",
        "session",
        "day",
        "scale",
        "score",
        "score_source",
    ]
    assert long["patient_id"].map(type).eq(str).all()
    assert long["session"].dtype == np.int64
    assert set(long["scale"]) == {"MADRS", "PHQ9", "CADSS"}
    # rows of a CSV are numbered as a spreadsheet shows them: the header is row 1
    assert long["source_row"].iloc[0] == 2
    assert long["source_row"].iloc[-1] == len(long) + 1
    report = ka.validate(long)
    assert report.ok and report.audit.empty and report.warnings.empty


@pytest.mark.parametrize(
    "suffix, writer",
    [
        (".csv", lambda d, p: d.to_csv(p, index=False)),
        (".tsv", lambda d, p: d.to_csv(p, index=False, sep="\t")),
        (".parquet", lambda d, p: d.to_parquet(p, index=False)),
        (".xlsx", lambda d, p: d.to_excel(p, index=False)),
        (".sav", lambda d, p: __import__("pyreadstat").write_sav(d, str(p))),
        (".dta", lambda d, p: __import__("pyreadstat").write_dta(d, str(p))),
        (".xpt", lambda d, p: __import__("pyreadstat").write_xport(d, str(p))),
    ],
)
def test_round_trip_every_format(tmp_path, long, suffix, writer):
    raw = pd.read_csv(SAMPLE / "cohort_long.csv", dtype={"patient_id": str})
    path = tmp_path / f"cohort{suffix}"
    writer(raw, path)
    back = ka.read_scores(path)
    _assert_same(back, long)
    items = [f"item_{i}" for i in range(1, 11)]
    np.testing.assert_array_equal(
        _sorted(back)[items].to_numpy(float), _sorted(long)[items].to_numpy(float)
    )
    if suffix in (".csv", ".tsv", ".xlsx"):
        assert back["source_row"].min() == 2  # header is row 1
    else:
        assert back["source_row"].min() == 1  # record number


def test_round_trip_dataframe(long):
    raw = pd.read_csv(SAMPLE / "cohort_long.csv", dtype={"patient_id": str})
    back = ka.read_scores(raw)
    _assert_same(back, long)
    # a DataFrame's rows are named by its index labels
    assert back["source_row"].tolist() == raw.index.tolist()


def test_sas7bdat_file_written_by_sas_software(long):
    """cohort_subset.sas7bdat was written by R haven (ReadStat); make_sas7bdat.R beside it."""
    sas = ka.read_scores(FORMATS / "cohort_subset.sas7bdat")
    csv = ka.read_scores(FORMATS / "cohort_subset.csv")
    _assert_same(sas, csv)
    assert sas["patient_id"].iloc[0] == "K0001"
    # the subset is the first 12 patients of the sample, unchanged
    _assert_same(csv, long[long["patient_id"].isin(csv["patient_id"])])


def test_from_wide_equals_long(long):
    with pytest.warns(ka.DataWarning, match="without a score"):
        wide = ka.from_wide(SAMPLE / "cohort_wide.csv", **WIDE)
    # every cell is a row (150 patients x 3 scales x 12 sessions); empty cells (sessions
    # not assessed) reach the audit, the rest equals the long file
    raw = pd.read_csv(SAMPLE / "cohort_wide.csv", dtype={"patient_id": str})
    cells = raw.filter(regex=WIDE["sessions"])
    assert len(wide) == cells.size
    report = ka.validate(wide)
    assert report.ok
    assert len(report.audit) == int(cells.isna().to_numpy().sum()) == len(wide) - len(long)
    assert set(report.audit["reason"]) == {"score missing"}
    wide = report.frame
    _assert_same(wide, long)
    # provenance: the wide row and column each score came from
    row = wide.iloc[0]
    raw = pd.read_csv(SAMPLE / "cohort_wide.csv", dtype={"patient_id": str})
    assert raw.loc[row["source_row"] - 2, row["source_column"]] == row["score"]


def test_from_wide_dict_and_labels():
    df = pd.DataFrame(
        {
            "subject": ["s1", "s2", "s3"],
            "bdi.pre": [30, 25, 40],
            "bdi.2m": [12, np.nan, 38],
            "bdi.3m": [10, 20, np.nan],
            "group": ["TAU", "PA", "PA"],
        }
    )
    out = ka.from_wide(
        df,
        patient="subject",
        sessions={"bdi.pre": "pre", "bdi.2m": "2m", "bdi.3m": "3m"},
        scale="BDI-II",
        baseline="pre",
    )
    # every cell gives a row: 9 cells, the 2 empty ones audited by validation
    assert len(out) == 9
    report = ka.validate(out, baseline="pre")
    assert sorted(report.audit["session"].astype(str)) == ["2m", "3m"]
    assert set(report.audit["reason"]) == {"score missing"}
    out = report.frame
    assert out["session"].cat.categories.tolist() == ["pre", "2m", "3m"]
    assert out["session"].cat.ordered
    assert set(out["scale"]) == {"BDI2"}
    assert out.loc[out["patient_id"] == "s2", "score"].tolist() == [25, 20]
    assert (out["group"][out["patient_id"] == "s1"] == "TAU").all()
    # the wide file's error names the wide cell
    bad = df.assign(**{"bdi.3m": [10, 99, np.nan]})
    with pytest.raises(ka.DataError) as err:
        ka.from_wide(
            bad, patient="subject", sessions={"bdi.pre": 0, "bdi.2m": 1, "bdi.3m": 2}, scale="BDI2"
        )
    assert "row 1, column bdi.3m" in str(err.value)
    assert "BDI2 total 99 is outside 0-63" in str(err.value)


def test_from_wide_patient_without_any_score_is_audited():
    df = pd.DataFrame({"patient_id": ["a", "b"], "m0": [30, np.nan], "m1": [20, np.nan]})
    with pytest.warns(ka.DataWarning, match=r"2 row\(s\) without a score"):
        out = ka.from_wide(df, sessions={"m0": 0, "m1": 1}, scale="MADRS")
    report = ka.validate(out)
    assert report.audit["patient_id"].tolist() == ["b", "b"]
    assert report.audit["reason"].tolist() == ["score missing"] * 2
    assert report.audit["row"].tolist() == [1, 1]


def test_read_redcap_equals_long(long):
    assert REDCAP_EVENTS["baseline_arm_1"] == 0 and REDCAP_EVENTS["month_6_arm_1"] == 13
    red = ka.read_redcap(SAMPLE / "cohort_redcap.csv", events=REDCAP_EVENTS, day="study_day")
    _assert_same(red, long)
    items = [f"item_{i}" for i in range(1, 11)]
    np.testing.assert_array_equal(
        _sorted(red)[items].to_numpy(float), _sorted(long)[items].to_numpy(float)
    )
    assert not any(c.startswith("redcap_") or c.endswith("_complete") for c in red.columns)


def test_read_redcap_event_days_and_unmapped_event():
    export = pd.DataFrame(
        {
            "record_id": ["1", "1", "2", "2"],
            "redcap_event_name": ["base_arm_1", "wk1_arm_1", "base_arm_1", "wk2_arm_1"],
            "sex": ["F", None, "M", None],
            "phq9_total": [15, 8, 20, np.nan],
            **{f"phq9_{i}": [np.nan, np.nan, np.nan, 1] for i in range(1, 10)},
        }
    )
    events = {"base_arm_1": (0, 0), "wk1_arm_1": (1, 7), "wk2_arm_1": (2, 14)}
    out = ka.read_redcap(export, events=events, scale="PHQ-9")
    assert out["session"].tolist() == [0, 1, 0, 2]
    assert out["day"].tolist() == [0, 7, 0, 14]
    assert out["score"].tolist() == [15, 8, 20, 9]  # the last total computed from items
    assert out["score_source"].tolist() == ["given", "given", "given", "items"]
    # demographics entered at baseline only reach every row of the record
    assert out["sex"].tolist() == ["F", "F", "M", "M"]
    with pytest.raises(ka.DataError) as err:
        ka.read_redcap(export, events={"base_arm_1": 0, "wk1_arm_1": 1}, scale="PHQ9")
    # a DataFrame's rows are named by their index labels
    assert "row 3, column redcap_event_name: event 'wk2_arm_1'" in str(err.value)


def test_to_relative_days():
    f = pd.DataFrame(
        {
            "patient_id": ["a", "a", "a", "b", "b"],
            "session": [0, 1, 2, 0, 1],
            "visit_date": ["2024-02-27", "2024-03-01", "2024-03-08", "2023-12-30", "2024-01-02"],
        }
    )
    out = ka.to_relative_days(f, date="visit_date")
    assert "visit_date" not in out.columns
    assert out["day"].tolist() == [0, 3, 10, 0, 3]  # leap day 2024-02-29 counted
    anchored = ka.to_relative_days(f, date="visit_date", first_treatment=1)
    assert anchored["day"].tolist() == [-3, 0, 7, -3, 0]
    times = f.assign(visit_date=pd.to_datetime(f["visit_date"]) + pd.Timedelta(hours=6))
    times.loc[1, "visit_date"] += pd.Timedelta(hours=18)
    assert ka.to_relative_days(times, date="visit_date")["day"].tolist()[:3] == [0, 3.75, 10]
    eu = f.assign(visit_date=["27/02/2024", "01/03/2024", "08/03/2024", "30/12/2023", "02/01/2024"])
    assert ka.to_relative_days(eu, date="visit_date", format="%d/%m/%Y")["day"].tolist() == [
        0,
        3,
        10,
        0,
        3,
    ]
    bad = f.assign(visit_date=["2024-02-27", "soon", None, "2023-12-30", "2024-01-02"])
    with pytest.raises(ka.DataError) as err:
        ka.to_relative_days(bad, date="visit_date")
    msg = str(err.value)
    assert "row 1, column visit_date: cannot read 'soon'" in msg
    assert "row 2, column visit_date: date is missing" in msg


def test_read_scores_with_dates_refuses_other_dates(tmp_path):
    f = pd.DataFrame(
        {
            "pid": ["a", "a", "b", "b"],
            "visit": [0, 1, 0, 1],
            "visit_date": ["2024-01-01", "2024-01-08", "2024-02-01", "2024-02-03"],
            "madrs": [30, 12, 28, 20],
        }
    )
    path = tmp_path / "dated.csv"
    f.to_csv(path, index=False)
    cols = {"pid": "patient_id", "visit": "session", "madrs": "score"}
    out = ka.read_scores(path, columns=cols, scale="MADRS", dates="visit_date")
    assert out["day"].tolist() == [0, 7, 0, 2]
    assert "visit_date" not in out.columns
    # without dates= the calendar dates are refused by the PHI guard
    with pytest.raises(ka.DataError, match="column visit_date"):
        ka.read_scores(path, columns=cols, scale="MADRS")
    # unless the user explicitly allows them
    kept = ka.read_scores(path, columns=cols, scale="MADRS", allow_identifiers=["visit_date"])
    assert "visit_date" in kept.columns


def test_column_mapping_errors(tmp_path):
    f = pd.DataFrame({"subject": ["a"], "visit": [0], "madrs_total": [20]})
    with pytest.raises(ka.DataError) as err:
        ka.read_scores(f, columns={"subjct": "patient_id", "visit": "session"}, scale="MADRS")
    assert "did you mean 'subject'" in str(err.value)
    with pytest.raises(ka.DataError) as err:
        ka.read_scores(f, columns={"patient_id": "subject"}, scale="MADRS")
    assert "{'subject': 'patient_id'}" in str(err.value)
    with pytest.raises(ka.DataError) as err:
        ka.read_scores(f, columns={"subject": "patient_id", "visit": "session"}, scale="MADRS")
    assert "'madrs_total' looks like the MADRS total" in str(err.value)


def test_item_columns_detected_and_totals_computed():
    f = pd.DataFrame(
        {
            "patient_id": ["a", "a"],
            "session": [0, 1],
            **{f"PHQ9_{i}": [2, 1] for i in range(1, 10)},
        }
    )
    f.loc[1, ["PHQ9_8", "PHQ9_9"]] = np.nan
    with pytest.warns(ka.DataWarning, match=r"1 total\(s\) prorated"):
        out = ka.read_scores(f, scale="PHQ9")
    # row 2: seven answered items of 1 -> mean 1, prorated total 9 * 1 = 9
    assert out["score"].tolist() == [18.0, 9.0]
    assert out["score_source"].tolist() == ["items", "prorated"]
    assert [c for c in out.columns if c.startswith("item_")] == [f"item_{i}" for i in range(1, 10)]


def test_patient_ids_keep_leading_zeros(tmp_path):
    path = tmp_path / "ids.csv"
    path.write_text("patient_id,session,score\n007,0,30\n007,1,10\n010,0,25\n")
    out = ka.read_scores(path, scale="MADRS")
    assert out["patient_id"].tolist() == ["007", "007", "010"]


def test_unknown_format_and_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError):
        ka.read_scores(tmp_path / "nope.csv")
    p = tmp_path / "scores.json"
    p.write_text(json.dumps({}))
    with pytest.raises(ValueError, match="unknown file type '.json'"):
        ka.read_scores(p)


def test_readers_emit_one_warning_and_drop_nothing():
    f = pd.DataFrame(
        {"patient_id": ["a", "a", "a", "b"], "session": [0, 1, 1, 1], "score": [30, 10, 10, 20]}
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = ka.read_scores(f, scale="MADRS")
    assert len(out) == 4  # nothing removed by the reader
    assert len([w for w in caught if issubclass(w.category, ka.DataWarning)]) == 1
    report = ka.validate(out)
    assert len(report.frame) + len(report.audit) == 4
    assert sorted(report.audit["reason"]) == [
        "identical duplicate row (kept once)",
        "no baseline assessment (an assessment at session 0)",
    ]


def test_read_scores_session_labels():
    f = pd.DataFrame(
        {
            "patient_id": ["a", "a", "a", "b", "b"],
            "visit": ["Screening", "Baseline", "Week 1", "Baseline", " Week 1"],
            "score": [33, 31, 12, 28, 20],
        }
    )
    cols = {"visit": "session"}
    coded = ka.read_scores(
        f, columns=cols, scale="MADRS", sessions={"Screening": -1, "Baseline": 0, "Week 1": 1}
    )
    assert coded["session"].tolist() == [-1, 0, 1, 0, 1]
    ordered = ka.read_scores(
        f,
        columns=cols,
        scale="MADRS",
        sessions=["Screening", "Baseline", "Week 1"],
        baseline="Baseline",
    )
    assert ordered["session"].cat.ordered
    assert ordered["session"].astype(str).tolist() == [
        "Screening",
        "Baseline",
        "Week 1",
        "Baseline",
        "Week 1",
    ]
    with pytest.raises(ka.DataError) as err:
        ka.read_scores(f, columns=cols, scale="MADRS", sessions={"Baseline": 0, "Week 1": 1})
    assert "row 0, column session: session 'Screening' is not one of the labels" in str(err.value)
