"""Scale registry: published numbers, scoring rules and lookups.

Expected values are the published ones cited in ketanalysis/scales.py (item counts,
ranges, bands, thresholds) and hand calculations written out in each test.
"""

from __future__ import annotations

import numpy as np
import pytest

from ketanalysis import scales

NAN = np.nan

PUBLISHED = {
    # key: (items, item max, total max, remission <=, suicidality item)
    "MADRS": (10, 6, 60, 10, 10),  # Montgomery & Asberg 1979
    "PHQ9": (9, 3, 27, 4, 9),  # Kroenke et al. 2001 (remission < 5)
    "HAMD17": (17, None, 52, 7, 3),  # Hamilton 1960; Zimmerman et al. 2013
    "QIDS_SR16": (16, 3, 27, 5, 12),  # Rush et al. 2003
    "BDI2": (21, 3, 63, 13, 9),  # Beck, Steer & Brown 1996
    "GAD7": (7, 3, 21, 4, None),  # Spitzer et al. 2006
    "CADSS": (23, 4, 92, None, None),  # Bremner et al. 1998, 23 subjective items
}


@pytest.mark.parametrize("key", list(PUBLISHED))
def test_registry_numbers(key):
    n, item_max, total_max, remission, suicidality = PUBLISHED[key]
    sc = scales.get(key)
    assert sc.n_items == n
    if item_max is not None:
        assert set(sc.item_max) == {item_max}
    assert sc.total_min == 0 and sc.total_max == total_max
    assert sc.remission_threshold == remission
    assert sc.suicidality_item == suicidality
    assert sc.items == [f"item_{i}" for i in range(1, n + 1)]
    if sc.scoring == "sum":
        assert sum(sc.item_max) == sc.total_max
    # severity bands are contiguous and cover the whole range
    if sc.severity:
        assert sc.severity[0].low == sc.total_min and sc.severity[-1].high == sc.total_max
        for a, b in zip(sc.severity, sc.severity[1:], strict=False):
            assert b.low == a.high + 1


def test_hamd17_item_ranges():
    # Hamilton 1960: items 4-6, 12-14, 16, 17 are scored 0-2, the others 0-4
    sc = scales.get("HAMD17")
    two = {4, 5, 6, 12, 13, 14, 16, 17}
    assert [m for m in sc.item_max] == [2 if i in two else 4 for i in range(1, 18)]


@pytest.mark.parametrize(
    "key, scores, labels",
    [
        (
            "MADRS",
            [0, 6, 7, 19, 20, 34, 35, 60],
            ["normal"] * 2 + ["mild"] * 2 + ["moderate"] * 2 + ["severe"] * 2,
        ),
        (
            "PHQ9",
            [4, 5, 9, 10, 14, 15, 19, 20, 27],
            [
                "minimal",
                "mild",
                "mild",
                "moderate",
                "moderate",
                "moderately severe",
                "moderately severe",
                "severe",
                "severe",
            ],
        ),
        (
            "HAMD17",
            [7, 8, 16, 17, 23, 24],
            ["no depression", "mild", "mild", "moderate", "moderate", "severe"],
        ),
        (
            "QIDS_SR16",
            [5, 6, 10, 11, 15, 16, 20, 21],
            ["none", "mild", "mild", "moderate", "moderate", "severe", "severe", "very severe"],
        ),
        (
            "BDI2",
            [13, 14, 19, 20, 28, 29],
            ["minimal", "mild", "mild", "moderate", "moderate", "severe"],
        ),
        (
            "GAD7",
            [4, 5, 9, 10, 14, 15],
            ["minimal", "mild", "mild", "moderate", "moderate", "severe"],
        ),
    ],
)
def test_severity_band_edges(key, scores, labels):
    assert list(scales.get(key).severity_of(scores)) == labels


def test_severity_between_bands_and_missing():
    # a prorated PHQ-9 total of 9.75 is below the moderate band's lower bound of 10
    got = scales.get("PHQ9").severity_of([9.75, NAN])
    assert got[0] == "mild" and got.isna()[1]
    assert scales.get("CADSS").severity_of([3]).isna().all()


def test_sum_scoring():
    res = scales.score_items("GAD7", [[1, 2, 3, 0, 1, 2, 3], [1, 2, 3, 0, 1, 2, NAN]])
    assert res.total[0] == 12
    assert np.isnan(res.total[1])  # GAD-7: no prorating, one missing item -> no total
    assert res.status.tolist() == ["complete", "too_many_missing"]
    assert res.n_missing.tolist() == [0, 1]


def test_phq9_prorating_by_hand():
    items = [
        [1, 2, 3, 0, 1, 2, 1, 0, 2],  # complete: 12
        [1, 2, 3, 0, 1, 2, 1, 0, NAN],  # 1 missing: answered sum 10 over 8 -> 1.25 * 9
        [1, 2, 3, 0, 1, 2, 1, NAN, NAN],  # 2 missing: sum 10 over 7 -> 10/7 * 9
        [1, 2, 3, 0, 1, 2, NAN, NAN, NAN],  # 3 missing: no total
        [NAN] * 9,
    ]
    res = scales.score_items("PHQ9", items)
    np.testing.assert_allclose(res.total[:3], [12, 11.25, 90 / 7], rtol=0, atol=1e-12)
    assert np.isnan(res.total[3:]).all()
    assert res.status.tolist() == [
        "complete",
        "prorated",
        "prorated",
        "too_many_missing",
        "no_items",
    ]


def test_qids_domain_scoring_by_hand():
    # sleep max(0,3,1,0)=3, mood 2, appetite/weight max(1,0,0,2)=2, concentration 1,
    # self 1, suicide 0, interest 1, energy 2, psychomotor max(1,0)=1  -> 13
    row = [0, 3, 1, 0, 2, 1, 0, 0, 2, 1, 1, 0, 1, 2, 1, 0]
    assert scales.score_items("QIDS_SR16", [row]).total.tolist() == [13]
    # the plain sum would be 15: the domain rule must not sum
    assert sum(row) == 15
    # a missing item inside a domain with another answered item still scores the domain
    partial = list(row)
    partial[0] = NAN
    res = scales.score_items("QIDS_SR16", [partial])
    assert res.total.tolist() == [13] and res.status.tolist() == ["complete_domains"]
    # a whole domain missing (items 15 and 16) -> no total
    gone = list(row)
    gone[14] = gone[15] = NAN
    res = scales.score_items("QIDS_SR16", [gone])
    assert np.isnan(res.total[0]) and res.status[0] == "too_many_missing"
    # the maximum: every domain at 3
    assert scales.score_items("QIDS_SR16", [[3] * 16]).total.tolist() == [27]


def test_score_items_shape_error():
    with pytest.raises(ValueError, match="MADRS has 10 items"):
        scales.score_items("MADRS", [[1, 2, 3]])


@pytest.mark.parametrize(
    "spelling, key",
    [
        ("madrs", "MADRS"),
        ("PHQ-9", "PHQ9"),
        ("phq9", "PHQ9"),
        ("HAM-D", "HAMD17"),
        ("HDRS17", "HAMD17"),
        ("QIDS-SR16", "QIDS_SR16"),
        ("BDI-II", "BDI2"),
        ("gad-7", "GAD7"),
        ("cadss", "CADSS"),
    ],
)
def test_spellings(spelling, key):
    assert scales.get(spelling).key == key


def test_unknown_scale_suggests():
    with pytest.raises(KeyError, match="Did you mean 'MADRS'"):
        scales.get("MADRSS")
    with pytest.raises(KeyError, match="Valid scales: MADRS, PHQ9"):
        scales.get("XYZ-123")
    assert scales.suggest("PHQ8") == "PHQ9"


def test_sources_documented():
    doc = scales.__doc__
    for cite in (
        "Montgomery SA",
        "Kroenke K",
        "Hamilton M",
        "Rush AJ",
        "Beck AT",
        "Spitzer RL",
        "Bremner JD",
        "Zimmerman M",
        "Snaith RP",
    ):
        assert cite in doc
    for sc in scales.SCALES.values():
        assert sc.source
