"""The disclosure scanner (ketanalysis.report.disclosure) finds planted leaks.

Every report folder here is written by hand in the test (synthetic, a few lines each);
each leak is planted so that a scanner that stopped looking would fail, and each expected
value is the hand subtraction or the hand inversion of the interval written beside it.
"""

from __future__ import annotations

import json

import pytest

from ketanalysis.report.disclosure import Finding, is_count_column, scan_report

TABLE1 = (
    "characteristic,A (N = 40),B (N = 30)\n"
    '"Patients, n",40,30\n'
    '"Sex, n (%)",,\n'
    "    F,28 (70.0),15 (50.0)\n"
    "    M,<11,15 (50.0)\n"
    "    missing,0,0\n"
)


def _folder(tmp_path, tables: dict[str, str], **files) -> object:
    (tmp_path / "tables").mkdir(parents=True)
    (tmp_path / "figures").mkdir()
    for name, text in tables.items():
        (tmp_path / "tables" / f"{name}.csv").write_text(text)
    for name, text in files.items():
        path = tmp_path / name.replace("__", "/")
        path.write_text(text)
    return tmp_path


def _values(found, kind=None, file=None):
    return sorted(
        f.value
        for f in found
        if (kind is None or f.kind == kind) and (file is None or f.file == file)
    )


def test_count_columns():
    for name in ("n", "k", "n_events", "n_at_risk", "cum_events", "patients_k", "sessions_n"):
        assert is_count_column(name)
    for name in ("rate", "ci_low", "estimate", "n_obs", "route", "session"):
        assert not is_count_column(name)


def test_clean_folder_has_no_finding(tmp_path):
    t1 = TABLE1.replace("    M,<11,", "    M,12 (30.0),")
    assert scan_report(_folder(tmp_path, {"table1": t1})) == []


def test_table1_missing_count_recovered_from_N(tmp_path):
    t1 = TABLE1.replace("28 (70.0)", "33 (82.5)")  # 40 - 33 - 0 = 7
    found = scan_report(_folder(tmp_path, {"table1": t1}))
    assert [(f.kind, f.value) for f in found] == [("recoverable", 7)]
    assert "M" in found[0].where and "A (N = 40)" in found[0].where


def test_visible_small_counts_in_csv_and_headers(tmp_path):
    t1 = TABLE1.replace("    M,<11,", "    M,<11,").replace("B (N = 30)", "B (N = 9)")
    rates = "scale,route,outcome,k,n,rate,ci_low,ci_high,n_excluded\nMADRS,A,response,3,40,0.075,0.02,0.2,0\n"
    found = scan_report(_folder(tmp_path, {"table1": t1, "rates": rates}))
    assert 9 in _values(found, "visible", "tables/table1.csv")
    assert _values(found, "visible", "tables/rates.csv") == [3]


def test_hidden_k_with_rate_and_n_shown(tmp_path):
    rates = "scale,route,outcome,k,n,rate,ci_low,ci_high,n_excluded\nMADRS,A,response,<11,40,0.15,*,*,0\n"
    found = scan_report(_folder(tmp_path, {"rates": rates}))
    assert _values(found, "recoverable") == [6]  # 0.15 x 40


def test_rows_read_minus_kept_and_exclusions(tmp_path):
    rows = "item,n\nrows read,500\nrows kept,<11\nrows excluded,496\npatients,40\n"
    found = scan_report(_folder(tmp_path, {"data_rows": rows}))
    assert _values(found, "recoverable") == [4]  # 500 - 496
    rows = "item,n\nrows read,500\nrows kept,480\nrows excluded,20\npatients,40\n"
    excl = "reason,rows,patients\nno baseline,<11,<11\nduplicate,12,<11\n"
    found = scan_report(_folder(tmp_path / "x", {"data_rows": rows, "exclusions": excl}))
    assert _values(found, "recoverable") == [8]  # 20 - 12


def test_at_risk_rows_by_subtraction_and_across_tables(tmp_path):
    t1 = TABLE1.replace("    M,<11,", "    M,12 (30.0),")
    at_risk = (
        "route,time,n_at_risk,cum_events,cum_censored,survival,ci_low,ci_high\n"
        "A,0,40,0,0,1,1,1\nA,50,<11,20,13,*,*,*\n"  # 40 - 20 - 13 = 7
        "B,0,<11,0,0,*,*,*\n"
    )
    median = "route,estimate,ci_low,ci_high,n,n_events\nA,30,20,,40,25\nB,*,*,*,<11,<11\n"
    logrank = "scale,event,chi2,df,p_value,n,n_events,n_excluded\nMADRS,relapse,1,1,0.3,45,27,25\n"
    found = scan_report(
        _folder(
            tmp_path,
            {
                "table1": t1,
                "relapse_at_risk": at_risk,
                "relapse_median": median,
                "relapse_logrank": logrank,
            },
        )
    )
    rec = {(f.file, f.value) for f in found if f.kind == "recoverable"}
    assert ("tables/relapse_at_risk.csv", 7) in rec
    assert ("tables/relapse_median.csv", 5) in rec  # log-rank n 45 - 40
    assert ("tables/relapse_median.csv", 2) in rec  # log-rank events 27 - 25
    assert ("tables/relapse_at_risk.csv", 5) in rec  # n_at_risk(0) is the median table's n


def test_rate_n_plus_excluded_is_the_group_N(tmp_path):
    rates = (
        "scale,route,outcome,k,n,rate,ci_low,ci_high,n_excluded\n"
        "MADRS,A,relapse,<11,<11,*,*,*,32\n"  # 40 - 32 = 8
    )
    found = scan_report(_folder(tmp_path, {"table1": TABLE1, "rates": rates}))
    assert ("tables/rates.csv", 8) in {(f.file, f.value) for f in found}


def test_a_relation_contradicted_by_shown_cells_is_dropped(tmp_path):
    t1 = TABLE1.replace("    M,<11,15 (50.0)", "    M,12 (30.0),14 (46.7)")  # B: 15 + 14 != 30
    assert scan_report(_folder(tmp_path, {"table1": t1})) == []


def test_interval_inverts_to_a_small_count(tmp_path):
    # Wilson 95 % of 6/9: 66.7 % (35.4-87.9), printed rounded as in the forest plot
    svg = (
        '<svg><text x="1" y="10">IM</text><text x="2" y="10">&lt;11</text>'
        '<text x="3" y="10">67 (35–88)</text>'
        '<text x="1" y="20">IV</text><text x="2" y="20">96</text>'
        '<text x="3" y="20">62 (53–72)</text></svg>'
    )
    found = scan_report(_folder(tmp_path, {}, **{"figures__forest.svg": svg}))
    assert [(f.kind, f.value) for f in found] == [("interval", 6)]  # k = 6 of n = 9
    assert "67 (35–88)" in found[0].where


def test_interval_of_a_large_count_is_not_a_finding(tmp_path):
    svg = '<svg><text y="5">IV</text><text y="5">96</text><text y="5">62 (53–72)</text></svg>'
    (tmp_path / "figures").mkdir()
    (tmp_path / "figures" / "forest.svg").write_text(svg)
    assert scan_report(tmp_path) == []


def test_fractions_and_n_equals_in_text(tmp_path):
    page = (
        "<html><p>IM (n = 7; median not reached)</p><td>22/23</td><p>5 patients</p>"
        "<td>&lt;11/23</td><td>*/23</td></html>"  # a hidden k over n shows nothing
    )
    found = scan_report(_folder(tmp_path, {}, **{"report.html": page}))
    assert _values(found, "visible", "report.html") == [1, 5, 7]  # 23 - 22 = 1


def test_provenance_counts_outside_config(tmp_path):
    prov = {"config": {"criteria": {"k": 3, "n": 4}}, "steps": {"n_rows_excluded": 4}}
    found = scan_report(_folder(tmp_path, {}, **{"provenance.json": json.dumps(prov)}))
    assert found == [Finding("visible", "provenance.json", "steps.n_rows_excluded", 4)]


@pytest.mark.parametrize("size", [5, 11])
def test_min_cell_size(tmp_path, size):
    rates = "scale,route,outcome,k,n,rate,ci_low,ci_high,n_excluded\nMADRS,A,response,7,40,0.175,0.08,0.3,0\n"
    found = scan_report(_folder(tmp_path, {"rates": rates}), min_cell_size=size)
    assert _values(found) == ([] if size == 5 else [7])


# ---- complementary suppression of a report's tables -------------------------------------
def _table(key, csv_text):
    import io

    import pandas as pd

    from ketanalysis.report.tabular import Table

    frame = pd.read_csv(io.StringIO(csv_text), dtype=str, keep_default_na=False)
    hidden = frame.map(lambda v: v if v.startswith("<") or v == "*" else "")
    frame = frame.map(lambda v: None if v.startswith("<") or v == "*" else v)
    return Table(key, key, frame, hidden=hidden)


def test_complete_suppression_hides_a_second_cell_until_nothing_is_recoverable(tmp_path):
    from ketanalysis.report.disclosure import complete_suppression

    rows = _table("data_rows", "item,n\nrows read,500\nrows kept,<11\nrows excluded,496\n")
    rates = _table(
        "rates",
        "scale,route,outcome,k,n,rate,ci_low,ci_high,n_excluded\n"
        "MADRS,A,response,<11,40,0.15,0.07,0.29,0\n",
    )
    added = complete_suppression([rows, rates], 11)
    assert added == {"data_rows": 1, "rates": 3}  # 496 hidden; rate and its interval
    assert rows.hidden["n"].tolist() == ["", "<11", "*"]  # the smaller of 500 and 496
    for t in (rows, rates):
        (tmp_path / "tables").mkdir(exist_ok=True)
        (tmp_path / "tables" / f"{t.key}.csv").write_text(t.to_csv())
    assert scan_report(tmp_path) == []


# ---- the [privacy] keys -----------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "key"),
    [
        ('level = "strict"\nmin_cell_size = 1', "privacy.min_cell_size"),
        ('level = "strict"\nmin_cell_size = 5', "privacy.acknowledge_small_cells"),
        ('level = "strict"\nmin_cell_size = 10', "privacy.acknowledge_small_cells"),
        (
            'level = "strict"\nmin_cell_size = 1\nacknowledge_small_cells = true',
            "privacy.min_cell_size",
        ),
    ],
)
def test_small_thresholds_need_an_acknowledgement(text, key):
    from ketanalysis.config import ConfigError, parse_config

    with pytest.raises(ConfigError) as e:
        parse_config(f"[privacy]\n{text}\n")
    assert e.value.key == key and key.split(".")[1] in str(e.value)


def test_acknowledged_and_standard_thresholds_are_accepted():
    from ketanalysis.config import parse_config

    cfg = parse_config(
        '[privacy]\nlevel = "strict"\nmin_cell_size = 5\nacknowledge_small_cells = true\n'
    )
    assert cfg.privacy.min_cell_size == 5 and cfg.privacy.acknowledge_small_cells
    assert parse_config("[privacy]\nmin_cell_size = 1\n").privacy.min_cell_size == 1  # standard
    assert parse_config('[privacy]\nlevel = "strict"\n').privacy.min_cell_size == 11


def test_table1_percentage_reveals_a_hidden_missing_count(tmp_path):
    # 28 of 34 known is 82.4 %: N 40 - 34 known = 6 missing, hidden but recoverable
    t1 = (
        "characteristic,A (N = 40),B (N = 30)\n"
        '"Sex, n (%)",,\n'
        "    F,28 (82.4),15 (50.0)\n"
        "    M,* ,15 (50.0)\n"
        "    missing,<11,0\n"
    )
    found = scan_report(_folder(tmp_path, {"table1": t1}))
    assert ("recoverable", 6) in {(f.kind, f.value) for f in found}


def test_a_figure_legend_reveals_a_cell_hidden_in_the_tables(tmp_path):
    # the table hides B's n (complementary), the Kaplan-Meier legend prints it: 52 - 40 - 7
    t1 = TABLE1.replace("    M,<11,", "    M,12 (30.0),")
    median = (
        "route,estimate,ci_low,ci_high,n,n_events\nA,30,20,,40,25\nB,*,*,*,*,<11\nC,*,*,*,<11,<11\n"
    )
    t1 = t1.replace("B (N = 30)", "B (N = 30),C (N = 12)").replace(",30\n", ",30,12\n")
    logrank = "scale,event,chi2,df,p_value,n,n_events,n_excluded\nMADRS,relapse,1,1,0.3,52,27,30\n"
    tables = {"table1": t1, "relapse_median": median, "relapse_logrank": logrank}
    folder = _folder(tmp_path, tables)
    assert [f for f in scan_report(folder) if f.kind == "recoverable"] == []
    svg = '<svg><text x="1" y="9">B (n = 7; median not reached)</text></svg>'
    (folder / "figures" / "time_to_relapse.svg").write_text(svg)
    found = scan_report(folder)
    assert ("recoverable", 5) in {(f.kind, f.value) for f in found}  # C = 52 - 40 - 7
    assert ("visible", 7) in {(f.kind, f.value) for f in found}  # and "n = 7" itself


def test_hide_small_leaves_out_points_of_small_groups_and_counts():
    import pandas as pd

    from ketanalysis.plots.annotate import hide_small

    tab = pd.DataFrame({"n": [40, 8, 40, 40], "k": [20, 4, 3, 38], "rate": [0.5, 0.5, 0.075, 0.95]})
    got = hide_small(tab, 11, ("rate",), k="k")["rate"].tolist()
    assert got[0] == 0.5 and all(pd.isna(v) for v in got[1:])  # n 8; k 3; n - k 2
    assert hide_small(tab, None, ("rate",), k="k") is tab  # standard privacy: unchanged
