"""Tests of ketanalysis.outcomes.phases.assign_phases (hand-worked expectations)."""

import pandas as pd

from ketanalysis.outcomes.phases import assign_phases


def test_phase_column_wins_and_is_case_insensitive():
    frame = pd.DataFrame(
        {"session": [1, 2, 8, 9], "phase": ["Induction", "induct", "MAINTENANCE", "follow-up"]}
    )
    # rows 0-1 contain "induct", row 2 "maint"; row 3 names neither -> NA (no induction_end)
    got = assign_phases(frame)
    assert got.iloc[:3].tolist() == ["induction", "induction", "maintenance"]
    assert pd.isna(got.iloc[3])


def test_induction_end_rule():
    frame = pd.DataFrame({"session": [1, 7, 8, None]})
    # 1 <= 7 and 7 <= 7 -> induction; 8 > 7 -> maintenance; missing session -> NA
    got = assign_phases(frame, induction_end=7)
    assert got.iloc[:3].tolist() == ["induction", "induction", "maintenance"]
    assert pd.isna(got.iloc[3])


def test_unknown_without_either():
    got = assign_phases(pd.DataFrame({"session": [1, 2]}))
    assert got.isna().all()
