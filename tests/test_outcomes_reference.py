"""derive reproduces the R package clinicalsignificance on Claus et al. (2020).

Data and expected counts: tests/data/reference/claus2020_bdi_hamd.csv and its
PROVENANCE file (from shared/reference/README.md). Counts must match exactly; the SD and
S_diff of the Jacobson-Truax method to the 4 decimals the package prints.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import ketanalysis as ka
from ketanalysis.outcomes.criteria import PercentChange, ReliableChange

DATA = Path(__file__).parent / "data" / "reference" / "claus2020_bdi_hamd.csv"


@pytest.fixture(scope="module")
def claus() -> pd.DataFrame:
    raw = pd.read_csv(DATA)
    long = raw.melt(
        id_vars=["id", "age", "sex", "treatment", "time"],
        value_vars=["bdi", "hamd"],
        var_name="scale",
        value_name="score",
    )
    long["scale"] = long["scale"].map({"bdi": "BDI2", "hamd": "HAMD17"})
    long = long.rename(columns={"id": "patient_id", "time": "session"})
    with pytest.warns(ka.DataWarning):  # missing scores and patients without a pre score
        return ka.read_scores(long, baseline=1)


def _counts(series: pd.Series) -> dict[str, int]:
    return {k: int(v) for k, v in series.value_counts().items() if v}


def test_percentage_change_bdi(claus):
    out = ka.derive(
        claus, scale="BDI2", baseline=1, endpoint=4, percent_change=PercentChange(improvement=0.3)
    )
    p = out.patients.dropna(subset=["endpoint_score"])
    assert len(p) == 40
    assert _counts(p["pct_change_category"]) == {"improved": 19, "unchanged": 21}


def test_percentage_change_hamd_asymmetric(claus):
    out = ka.derive(
        claus,
        scale="HAMD17",
        baseline=1,
        endpoint=4,
        percent_change=PercentChange(improvement=0.3, deterioration=0.2),
    )
    p = out.patients.dropna(subset=["endpoint_score"])
    assert _counts(p["pct_change_category"]) == {"improved": 25, "unchanged": 14, "deteriorated": 1}


def test_percentage_change_hamd_by_group(claus):
    out = ka.derive(
        claus, scale="HAMD17", baseline=1, endpoint=4, percent_change=PercentChange(improvement=0.3)
    )
    p = out.patients.dropna(subset=["endpoint_score"])
    table = pd.crosstab(p["treatment"], p["pct_change_category"])
    assert table.loc["TAU", "improved"] == 6 and table.loc["TAU", "unchanged"] == 13
    assert table.loc["PA", "improved"] == 19 and table.loc["PA", "unchanged"] == 2


def test_jacobson_truax_hamd(claus):
    out = ka.derive(
        claus,
        scale="HAMD17",
        baseline=1,
        endpoint=4,
        reliable_change=ReliableChange(reliability=0.80),
    )
    par = out.parameters.set_index("scale").loc["HAMD17"]
    assert round(par["rc_sd"], 4) == 3.3401
    assert round(par["rc_s_diff"], 4) == 2.1125
    p = out.patients.dropna(subset=["endpoint_score"])
    assert _counts(p["reliable_change"]) == {"improved": 29, "unchanged": 10, "deteriorated": 1}
    table = pd.crosstab(p["treatment"], p["reliable_change"])
    assert table.loc["TAU"].to_dict() == {"improved": 9, "unchanged": 9, "deteriorated": 1}
    assert table.loc["PA"].to_dict() == {"improved": 20, "unchanged": 1, "deteriorated": 0}


def test_exclusions_are_counted(claus):
    out = ka.derive(claus, scale="HAMD17", baseline=1, endpoint=4)
    reasons = dict(zip(out.exclusions["reason"], out.exclusions["rows"], strict=True))
    assert reasons["score missing"] == 9 + 8  # 9 BDI and 8 HAM-D values are missing
    assert out.exclusions["rows"].sum() == len(out.audit)
