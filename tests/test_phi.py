"""The PHI guard: direct identifiers are refused unless allow_identifiers names the column.

Identifier kinds follow the HIPAA Safe Harbor list (45 CFR 164.514(b)(2)), as documented in
ketanalysis/validation/identifiers.py. All names, numbers and addresses below are invented; phone numbers use
the 555-01xx range reserved for fiction, the SSN is the well-known invalid 078-05-1120.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

import ketanalysis as ka
from ketanalysis.validation import identifiers as _phi


def identifier_issues(report) -> pd.DataFrame:
    return report.issues[report.issues["check"] == "identifier"].reset_index(drop=True)


def all_messages(report) -> str:
    return "\n".join(report.issues["message"])


# ---------------------------------------------------------------------------------------
# by column name
# ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("column", "kind"),
    [
        ("patient_name", "names"),
        ("Name", "names"),
        ("first name", "names"),
        ("surname", "names"),
        ("email", "e-mail addresses"),
        ("E-mail", "e-mail addresses"),
        ("phone", "phone numbers"),
        ("Telephone Number", "phone numbers"),
        ("mobile", "phone numbers"),
        ("SSN", "social security numbers"),
        ("social_security_number", "social security numbers"),
        ("MRN", "medical record numbers"),
        ("medical record number", "medical record numbers"),
        ("Hospital No", "medical record numbers"),
        ("address", "geographic subdivisions"),
        ("home_address", "geographic subdivisions"),
        ("zip_code", "geographic subdivisions"),
        ("DOB", "calendar dates"),
        ("date_of_birth", "calendar dates"),
        ("visit_date", "calendar dates"),
        ("Date", "calendar dates"),
        ("consent_dt", "calendar dates"),
    ],
)
def test_identifier_by_column_name(madrs_frame, column, kind):
    madrs_frame[column] = "withheld"
    report = ka.validate(madrs_frame)
    issues = identifier_issues(report)
    assert len(issues) == 1, report.issues.to_string()
    issue = issues.iloc[0]
    assert (issue["severity"], issue["column"]) == ("error", column)
    assert pd.isna(issue["row"])
    assert f"its name says it holds {kind}" in issue["message"]
    assert f"allow_identifiers=[{column!r}]" in issue["message"]

    allowed = ka.validate(madrs_frame, allow_identifiers=[column])
    assert allowed.ok and allowed.issues.empty
    assert allowed.allowed_identifiers == (column,)
    assert f"identifier columns allowed: {column}" in allowed.summary()
    assert column in allowed.frame.columns


@pytest.mark.parametrize(
    "column",
    [
        "age",
        "sex",
        "site",
        "arm",
        "route",
        "dose_mg_per_kg",
        "dose_mg",
        "phase",
        "redcap_event_name",
        "record_id",
        "study_day",
        "days_since_first_infusion",
        "drug_name",
        "site_name",
        "update_count",
        "candidate_drug",
        "state",
        "birth_year",
    ],
)
def test_innocent_column_names(column):
    f = pd.DataFrame({column: ["a", "b", "c"]})
    assert _phi.scan(f) == []


# ---------------------------------------------------------------------------------------
# by values
# ---------------------------------------------------------------------------------------
# three patients x four sessions; values for the rows of K0001, K0002 and K0003
VALUES = {
    "names": ["Maria Lopez", "Daniel Okafor", "Grace Whitfield"],
    "accented names": ["María López", "Zoë Brontë-Ng", "José A. Núñez"],
    "e-mail addresses": ["m.lopez@example.org", "dokafor@mail.example.com", "gw@example.co.uk"],
    "phone numbers": ["(617) 555-0142", "+44 20 7946 0958", "06 12 34 56 78"],
    "social security numbers": ["078-05-1120", "078-05-1121", "078-05-1122"],
    "medical record numbers": ["MRN 00482913", "MRN:00519047", "MR#0077123"],
    "geographic subdivisions": ["14 Elm Street", "221 North Harbor Rd.", "9B Sycamore Lane"],
    "calendar dates": ["2024-03-04", "03/05/2024", "11 Apr 2024"],
    "more calendar dates": ["March 4, 2024", "2024/03/05", "2024-03-06T09:30:00"],
}


@pytest.mark.parametrize("label", list(VALUES))
def test_identifier_by_values(madrs_frame, label):
    kind = label.replace("accented ", "").replace("more ", "")
    values = VALUES[label]
    madrs_frame["contact"] = np.repeat(values, 4)
    report = ka.validate(madrs_frame)
    issues = identifier_issues(report)
    assert len(issues) == 1, report.issues.to_string()
    issue = issues.iloc[0]
    assert (issue["severity"], issue["column"], issue["row"]) == ("error", "contact", 0)
    assert f"its values look like {kind}" in issue["message"]
    assert "rows 0, 1, 2, 3, 4, 5, 6, 7, 8, 9 and 2 more" in issue["message"]
    # the message never repeats an identifier
    for v in values:
        assert v not in issue["message"]
    assert ka.validate(madrs_frame, allow_identifiers="contact").ok


def test_a_single_identifier_value_is_enough(madrs_frame):
    madrs_frame["note"] = None
    madrs_frame.loc[5, "note"] = "call 617-555-0199"  # inside free text: found too
    madrs_frame.loc[6, "note"] = "617-555-0199"
    issue = identifier_issues(ka.validate(madrs_frame)).iloc[0]
    assert (issue["row"], issue["column"]) == (5, "note")
    assert "(rows 5, 6;" in issue["message"]


@pytest.mark.parametrize(
    "values",
    [
        pd.to_datetime(["2024-03-04"] * 12),
        pd.Series([dt.date(2024, 3, 4)] * 12, dtype=object),
        pd.Series(pd.period_range("2024-03-01", periods=12, freq="D")),
    ],
    ids=["datetime64", "date objects", "periods"],
)
def test_identifier_by_type(madrs_frame, values):
    madrs_frame["infusion"] = np.asarray(values) if not isinstance(values, pd.Series) else values
    issue = identifier_issues(ka.validate(madrs_frame)).iloc[0]
    assert (issue["column"], issue["row"]) == ("infusion", 0)
    assert "calendar dates" in issue["message"] and "to_relative_days" in issue["message"]


def test_names_need_many_distinct_values_per_patient():
    # names outside the bundled lists count by shape only: fewer than 3 name-like values
    # is never enough; 3 of 3 patients is
    two = pd.DataFrame({"x": ["Zorba Quillon", "Ottilie Brackwater"] * 2})
    assert _phi.scan(two, n_patients=2) == []
    three = pd.DataFrame({"x": ["Zorba Quillon", "Ottilie Brackwater", "Ysolde Marchbank"]})
    assert [f.kind for f in _phi.scan(three, n_patients=3)] == ["names"]
    assert _phi.scan(three, n_patients=150) == []  # 3 values for 150 patients: not names


def test_shared_two_word_values_are_categories_not_names():
    # 4 patients, 3 two-word drug names each given to several patients: a category
    pid = ["a", "a", "b", "b", "c", "c", "d", "d"]
    drugs = [
        "Ketamine Infusion",
        "Ketamine Infusion",
        "Esketamine Spray",
        "Esketamine Spray",
        "Midazolam Injection",
        "Ketamine Infusion",
        "Esketamine Spray",
        "Midazolam Injection",
    ]
    frame = pd.DataFrame({"patient_id": pid, "drug": drugs})
    assert _phi.scan(frame, n_patients=4) == []
    # the same shape of values, one per patient: names
    names = ["Maria Lopez"] * 2 + ["Daniel Okafor"] * 2 + ["Grace Whitfield"] * 2 + ["Ian Roe"] * 2
    frame = pd.DataFrame({"patient_id": pid, "who": names})
    assert [f.kind for f in _phi.scan(frame, n_patients=4)] == ["names"]


def test_trial_ids_shaped_like_phone_numbers_are_allowed_as_patient_ids(madrs_frame):
    # site-year-subject ids such as 2024-001-0042 are no phone number (a phone starts
    # with +, 0 or a 3-3-4 group): accepted as patient key and as a covariate; a NANP
    # number is refused in a covariate
    ids = {"K0001": "2024-001-0042", "K0002": "2024-001-0043", "K0003": "2024-002-0007"}
    frame = madrs_frame.assign(patient_id=madrs_frame["patient_id"].map(ids))
    assert ka.validate(frame).ok
    assert ka.validate(frame.assign(trial_id=frame["patient_id"])).ok
    report = ka.validate(frame.assign(contact="617-555-0142"))
    assert identifier_issues(report)["column"].tolist() == ["contact"]


def test_mask():
    assert _phi.mask("ab") == "xx"
    assert _phi.mask("John Smith") == "Xxxx Xxxxx"
    assert _phi.mask("078-05-1120") == "999-99-9999"
    assert _phi.mask("m.lopez@example.org") == "x.xxxxx@xxxxxxx.xxx"


# ---------------------------------------------------------------------------------------
# no other message repeats a refused identifier
# ---------------------------------------------------------------------------------------
def test_names_as_patient_ids_are_masked_in_every_message():
    names = ["Maria Lopez", "Daniel Okafor", "Grace Whitfield", "Tomas Novak"]
    df = pd.DataFrame(
        {
            "patient_id": np.repeat(names, 3),
            "session": [0, 1, 1, 0, 2, 1, 1, 2, 3, 0, 0, 1],
            "day": [0, 1, 1, 0, 9, 10, 1, 2, 3, 0, 0, 1],
            "scale": "MADRS",
            "score": [0, 20, 22, 30, 20, 15, 25, 20, 15, 30, 30, 20],
        }
    )
    report = ka.validate(df)
    checks = set(report.issues["check"])
    assert {"identifier", "duplicate", "day_order", "no_baseline", "zero_baseline"} <= checks
    text = all_messages(report) + report.summary()
    for name in names:
        assert name not in text
        assert name.split()[1] not in text
    assert "patient Xxxxx Xxxxx" in text


def test_dates_in_role_columns_are_masked():
    df = pd.DataFrame(
        {
            "patient_id": ["a", "a", "b", "b"],
            "session": ["2024-03-04", "2024-03-05", "2024-04-11", "2024-04-12"],
            "day": ["2024-03-04", "2024-03-05", "2024-04-11", "2024-04-12"],
            "scale": "MADRS",
            "score": [30, 20, 25, "2024-04-12"],
        }
    )
    report = ka.validate(df)
    assert {"identifier", "session_type", "non_numeric"} <= set(report.issues["check"])
    assert set(identifier_issues(report)["column"]) == {"session", "day", "score"}
    text = all_messages(report)
    assert "2024-" not in text
    assert "9999-99-99" in text


def test_identifier_in_scale_column_gets_no_suggestion():
    df = pd.DataFrame(
        {
            "patient_id": ["a", "a"],
            "session": [0, 1],
            "scale": ["MADRS", "m.lopez@example.org"],
            "score": [30, 20],
        }
    )
    text = all_messages(ka.validate(df))
    assert "lopez" not in text and "did you mean" not in text


def test_read_scores_message_does_not_repeat_identifiers(tmp_path):
    path = tmp_path / "clinic.csv"
    path.write_text(
        "patient_id,session,scale,score,contact\n"
        "K0001,0,MADRS,30,r.okafor@example.org\n"
        "K0001,1,MADRS,20,\n"
    )
    with pytest.raises(ka.DataError) as info:
        ka.read_scores(path)
    assert "okafor" not in str(info.value)
    assert "row 2, column contact" in str(info.value)


# ---------------------------------------------------------------------------------------
# false positives: what clinics keep next to the scores is not refused
# ---------------------------------------------------------------------------------------
def clinic_frame(n_patients: int, ids) -> pd.DataFrame:
    rng = np.random.default_rng(20260101)
    pick = lambda options: rng.choice(options, n_patients)  # noqa: E731
    per_patient = pd.DataFrame(
        {
            "patient_id": ids,
            "route": pick(["IV", "IM", "intranasal", "oral"]),
            "arm": pick(["Ketamine", "Midazolam", "Esketamine", "Placebo"]),
            "drug": pick(["Esketamine Spray", "Ketamine Infusion", "Midazolam Injection"]),
            "site": pick(["BOS01", "NYC02", "SEA03", "Site 4"]),
            "hospital": pick(["Mercy Clinic", "Valley Health", "Harbor General"]),
            "sex": pick(["F", "M"]),
            "age": rng.integers(18, 80, n_patients),
            "dose_mg_per_kg": pick([0.5, 0.75, 1.0]),
            "dose_mg": pick(["56 mg", "84 mg", ""]),
            "diagnosis": pick(["MDD", "TRD", "Bipolar II"]),
        }
    )
    sessions = pd.DataFrame(
        {
            "session": [0, 1, 2, 3],
            "day": [0.0, 1.0, 3.5, 7.0],
            "redcap_event_name": [
                "baseline_arm_1",
                "infusion_1_24h_arm_1",
                "infusion_2_arm_1",
                "week_1_arm_1",
            ],
            "phase": ["induction"] * 3 + ["maintenance"],
        }
    )
    df = per_patient.merge(sessions, how="cross")
    df["scale"] = "MADRS"
    df["score"] = rng.integers(10, 45, len(df)).astype(float)
    df["notes"] = rng.choice(["", "nausea", "tolerated well", "BP 140/90 after 40 min"], len(df))
    return df


@pytest.mark.parametrize(
    "ids",
    [
        [f"K{i:04d}" for i in range(1, 151)],
        [f"{i:03d}" for i in range(1, 151)],
        [f"101-{i:04d}" for i in range(1, 151)],
        list(range(1001, 1151)),
    ],
    ids=["K0001", "001", "site-number", "numeric"],
)
def test_clinic_covariates_are_not_identifiers(ids):
    df = clinic_frame(150, ids)
    assert _phi.scan(df, n_patients=150) == []
    report = ka.validate(df)
    assert report.ok, report.error_message()
    assert report.n_rows_out == 600


def test_small_clinic_with_single_word_covariates():
    df = clinic_frame(3, ["K0001", "K0002", "K0003"]).drop(columns=["drug", "hospital"])
    assert ka.validate(df).ok


def test_numeric_columns_are_never_scanned_by_value():
    f = pd.DataFrame({"lab_value": [78051120, 617555014, 20240304]})
    assert _phi.scan(f) == []
