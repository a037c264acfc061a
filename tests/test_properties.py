"""Property-based tests of ka.validate (hypothesis).

Random canonical frames: random patients, scales from the registry, sessions starting at
the baseline session 0, days that follow the sessions, in-range whole-number scores (or
items from which validate computes the total) and covariates. Hypothesis draws the shape of
each frame; a drawn seed fills in the values with numpy, which keeps examples fast.
"""

from __future__ import annotations

from collections import Counter

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import ketanalysis as ka
from ketanalysis import scales

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
WARNING_KINDS = {"duplicate", "missing_score", "missing_items", "no_baseline", "prorated"}


@st.composite
def valid_frames(draw):
    """A valid canonical frame with a RangeIndex-free, shuffled set of index labels."""
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    n_patients = draw(st.integers(1, 6))
    keys = draw(st.lists(st.sampled_from(list(scales.SCALES)), min_size=1, max_size=3, unique=True))
    with_day = draw(st.booleans())
    with_items = draw(st.booleans())
    ids = draw(st.sampled_from(["K{:04d}", "{:03d}", "P-{}"]))
    rows = []
    for p in range(n_patients):
        age, route = int(rng.integers(18, 80)), rng.choice(["IV", "IM", "intranasal", "oral"])
        for key in keys:
            sc = scales.SCALES[key]
            later = rng.choice(np.arange(1, 15), size=rng.integers(0, 6), replace=False)
            sessions = [0, *sorted(int(s) for s in later)]
            days = np.cumsum(rng.integers(0, 15, len(sessions))).astype(float)
            days -= days[0]
            for session, day in zip(sessions, days, strict=True):
                row = {"patient_id": ids.format(p + 1), "session": session, "scale": key}
                if with_day:
                    row["day"] = day
                if with_items and rng.random() < 0.7:
                    items = rng.integers(0, np.array(sc.item_max) + 1).astype(float)
                    total = scales.score_items(sc, items[None, :]).total[0]
                    row |= {f"item_{i}": v for i, v in enumerate(items, start=1)}
                    row["score"] = total if rng.random() < 0.5 else np.nan
                else:
                    row["score"] = float(rng.integers(sc.total_min, sc.total_max + 1))
                row |= {"age": age, "route": route}
                rows.append(row)
    df = pd.DataFrame(rows)
    df.index = rng.permutation(len(df)) * 3 + 100  # labels that are not positions
    return df, rng


@st.composite
def frames_with_warnings(draw):
    """A valid frame with injected problems of the warning kind, and what was injected.

    The first patient is never touched, so some patient always keeps a baseline.
    """
    df, rng = draw(valid_frames())
    injected = {"no_baseline": set(), "missing": set(), "items": set(), "copies": set()}
    others = df["patient_id"] != df["patient_id"].iloc[0]
    # patients lacking a baseline (for one scale)
    base = df.index[others & df["session"].eq(0)]
    drop = rng.choice(base, size=min(len(base), draw(st.integers(0, 2))), replace=False)
    for label in drop:
        injected["no_baseline"].add((df.at[label, "patient_id"], df.at[label, "scale"]))
    df = df.drop(index=drop)
    others = others.reindex(df.index)
    # missing scores (and no items)
    cand = df.index[others]
    missing = rng.choice(cand, size=min(len(cand), draw(st.integers(0, 3))), replace=False)
    item_cols = [c for c in df.columns if c.startswith("item_")]
    df.loc[missing, ["score", *item_cols]] = np.nan
    injected["missing"] = set(missing)
    # missing items: too many for a total (excluded), or 1-2 PHQ-9 items (prorated, kept)
    if item_cols and draw(st.booleans()):
        with_items = df.index[others & df["score"].isna() & df["item_1"].notna()]
        if len(with_items):
            label = rng.choice(with_items)
            k = draw(st.integers(1, 3))
            df.loc[label, [f"item_{i}" for i in range(1, k + 1)]] = np.nan
            key = df.at[label, "scale"]
            # QIDS-SR16 scores domains: items 1-3 leave item 4 for the sleep domain
            if key != "QIDS_SR16" and not (key == "PHQ9" and k <= 2):
                injected["items"].add(label)
    # identical duplicates: copies appended after their originals
    n_copies = draw(st.integers(0, 3))
    if n_copies:
        originals = df.loc[rng.choice(df.index, size=n_copies)]
        originals.index = df.index.max() + 1 + np.arange(n_copies)
        injected["copies"] = set(originals.index)
        df = pd.concat([df, originals])
    return df, injected


def assert_accounts_for_every_row(df, report):
    """Every input row is either in the validated frame or in the audit, never both."""
    out_rows = list(report.frame["source_row"])
    audit_rows = list(report.audit["row"])
    assert len(out_rows) + len(audit_rows) == len(df) == report.n_rows_in
    assert set(out_rows) | set(audit_rows) == set(df.index)
    assert not set(out_rows) & set(audit_rows)
    assert report.audit["reason"].map(lambda r: isinstance(r, str) and r != "").all()


@SETTINGS
@given(valid_frames())
def test_valid_frames_pass(drawn):
    df, _ = drawn
    report = ka.validate(df)
    assert report.ok, report.error_message()
    assert set(report.warnings["check"]) <= {"zero_baseline"}
    assert report.audit.empty
    assert_accounts_for_every_row(df, report)
    # the validated frame keeps every row in input order, with the index labels as rows
    assert report.frame["source_row"].tolist() == df.index.tolist()
    assert report.frame["score"].notna().all()
    given_scores = df["score"].notna().to_numpy()
    np.testing.assert_array_equal(
        report.frame["score"].to_numpy()[given_scores], df["score"].to_numpy()[given_scores]
    )


@SETTINGS
@given(frames_with_warnings())
def test_no_row_is_lost_without_an_audit_entry(drawn):
    df, injected = drawn
    report = ka.validate(df)
    assert report.ok, report.error_message()
    assert set(report.warnings["check"]) <= WARNING_KINDS | {"zero_baseline"}
    assert_accounts_for_every_row(df, report)
    audit = report.audit.set_index("row")["reason"]
    assert injected["missing"] <= set(audit.index)
    assert injected["items"] <= set(audit.index)
    for label in injected["copies"]:
        assert audit[label] == "identical duplicate row (kept once)"
    for patient, key in injected["no_baseline"]:
        rows = df.index[(df["patient_id"] == patient) & (df["scale"] == key)]
        if scales.SCALES[key].remission_threshold is not None:  # CADSS needs no baseline
            assert set(rows) <= set(audit.index)
    # every kept outcome-scale patient has a baseline row
    kept = report.frame
    outcome = kept["scale"].map(lambda k: scales.SCALES[k].remission_threshold is not None)
    has_base = kept[outcome].groupby(["patient_id", "scale"])["session"].min()
    assert (has_base == 0).all()


@SETTINGS
@given(frames_with_warnings(), st.integers(0, 2**32 - 1))
def test_row_order_does_not_change_the_issues(drawn, seed):
    df, _ = drawn
    shuffled = df.sample(frac=1, random_state=np.random.default_rng(seed))
    a, b = ka.validate(df), ka.validate(shuffled)

    def kinds(r):
        return Counter(map(tuple, r.issues[["severity", "check", "column"]].to_numpy()))

    def located(r):
        # every issue names the same rows: of two identical rows the copy is always the
        # later input row, and a patient without baseline is named by their first row
        i = r.issues
        return Counter(map(tuple, i[["check", "row", "column", "message"]].to_numpy()))

    assert kinds(a) == kinds(b)
    assert located(a) == located(b)
    assert Counter(a.audit["reason"]) == Counter(b.audit["reason"])

    def content(r):
        f = r.frame.drop(columns="source_row")
        return f.sort_values(list(f.columns), na_position="first").reset_index(drop=True)

    pd.testing.assert_frame_equal(content(a), content(b))
