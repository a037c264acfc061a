"""Reports: the files, a self-contained page, provenance, byte-identical reruns, privacy.

The full sample report is built once per module (``sample``); a second build checks that
every file is byte-identical except ``timings.json``, the one file documented as differing
between runs (it holds the seconds of each step).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from html.parser import HTMLParser
from pathlib import Path

import matplotlib
import pandas as pd
import pytest

import ketanalysis as ka
from ketanalysis.config import FIGURE_NAMES, INDIVIDUAL_FIGURES, Config, ConfigError, parse_config
from ketanalysis.report import OutputDirError, build
from ketanalysis.report.figures import FIGURES, inline_svg
from ketanalysis.report.privacy import Privacy, Rule
from ketanalysis.report.tabular import Table, format_value

matplotlib.use("Agg")

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "sample" / "cohort_long.csv"
VITALS = ROOT / "data" / "sample" / "vitals.csv"
AES = ROOT / "data" / "sample" / "adverse_events.csv"
# The demo config (group by route, endpoint session 7, the sample's safety files) at a
# lower PNG resolution, so the two full builds stay fast; dpi changes nothing else.
SAMPLE_CONFIG = f"""
[input.safety]
vitals = "{VITALS.as_posix()}"
adverse_events = "{AES.as_posix()}"
[analysis]
group = "route"
endpoint = 7
[output]
dpi = 120
"""
COUNT_COLUMNS = {
    "n", "k", "k1", "k2", "n1", "n2", "n_missing", "n_excluded", "n_imputed", "n_events",
    "n_at_risk", "cum_events", "cum_censored", "rows", "patients", "assessments",
    "totals_from_items", "prorated", "n_with_endpoint", "sessions_k",
    "sessions_n", "patients_k", "patients_n", "n_obs", "n_responders",
}  # fmt: skip
# in the safety tables "sessions" counts treatment sessions (elsewhere: distinct sessions)
SAFETY_COUNTS = COUNT_COLUMNS | {"sessions"}
SAFETY_TABLES = ("safety_thresholds", "safety_flags", "safety_rises", "ae_incidence",
                 "safety_exclusions")  # fmt: skip


@pytest.fixture(scope="module")
def sample(tmp_path_factory) -> Path:
    base = tmp_path_factory.mktemp("sample")
    cfg = base / "report.toml"
    cfg.write_text(SAMPLE_CONFIG)
    html = build(SAMPLE, base / "report", cfg, quiet=True)
    assert html == base / "report" / "report.html"
    return base / "report"


@pytest.fixture(scope="module")
def strict_trial(tmp_path_factory) -> Path:
    """A two-arm trial under strict privacy (arms give the MMRM and comparisons)."""
    base = tmp_path_factory.mktemp("strict")
    data = base / "trial.csv"
    cohort = ka.simulate_cohort(90, seed=5, arms=("ketamine", "midazolam"))
    cohort.to_csv(data, index=False)
    vitals, aes = ka.simulate_safety(cohort, seed=5)
    vitals.to_csv(base / "vitals.csv", index=False)
    aes.to_csv(base / "ae.csv", index=False)
    (base / "report.toml").write_text(
        '[input.safety]\nvitals = "vitals.csv"\nadverse_events = "ae.csv"\n'
        '[analysis]\nendpoint = 7\n[mmrm]\nuntil = 7\n[privacy]\nlevel = "strict"\n'
        '[output]\nfigure_formats = ["svg"]\n'
        '[figures]\ninclude = ["trajectory", "response_rates", "time_to_relapse", "swimmer", '
        '"spaghetti", "lsmeans", "forest", "vitals", "ae_incidence"]'
    )  # safety paths relative to the config file
    build(data, base / "report", base / "report.toml", quiet=True)
    return base / "report"


def _files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


# ---------------------------------------------------------------------------------------
# The files
# ---------------------------------------------------------------------------------------
def test_report_tree(sample):
    files = _files(sample)
    assert {"report.html", "provenance.json", "timings.json"} <= set(files)
    prov = json.loads(files["provenance.json"])
    drawn = [n for n in FIGURE_NAMES if n not in prov["figures_skipped"]]
    # the sample has no arms: only the MMRM figure does not apply
    assert set(prov["figures_skipped"]) == {"lsmeans"}
    for name in drawn:
        for ext in ("pdf", "svg", "png"):
            assert f"figures/{name}.{ext}" in files, (name, ext)
    for key in ("table1", "rates", "by_session_score", "endpoint_rates", "response_median",
                "relapse_at_risk", "reliable_change", "cadss_by_session", "exclusions",
                "cadss_trend", "dissociation_response", *SAFETY_TABLES):  # fmt: skip
        for ext in ("csv", "tex", "md"):
            assert f"tables/{key}.{ext}" in files, (key, ext)
    assert {"vitals", "ae_incidence"} <= set(drawn)
    assert files["figures/swimmer.png"].startswith(b"\x89PNG")
    assert files["figures/swimmer.pdf"].startswith(b"%PDF")


def test_two_runs_give_byte_identical_trees(sample, tmp_path):
    """The rerun is another process with another string-hash seed, as a real rerun is."""
    import os
    import subprocess
    import sys

    cfg = tmp_path / "report.toml"
    cfg.write_text(SAMPLE_CONFIG)
    again = tmp_path / "again"
    code = "import sys; from ketanalysis.cli import main; sys.exit(main(sys.argv[1:]))"
    subprocess.run(
        [sys.executable, "-c", code, "report", str(SAMPLE), "--out", str(again)]
        + ["--config", str(cfg), "--quiet"],
        check=True,
        env={**os.environ, "PYTHONHASHSEED": "4242"},
    )
    first, second = _files(sample), _files(again)
    assert sorted(first) == sorted(second)
    # timings.json holds the seconds of each step: documented as the only file that
    # differs between runs; everything else must be identical, byte for byte
    differ = [name for name in first if first[name] != second[name]]
    assert set(differ) <= {"timings.json"}, differ


def test_table_csv_matches_stats(sample):
    rates = pd.read_csv(sample / "tables" / "rates.csv")
    row = rates.query("scale == 'MADRS' and route == 'IV' and outcome == 'Response'").iloc[0]
    assert row["timing"] == "ever"
    out = ka.derive(ka.read_scores(SAMPLE))
    ref = ka.stats.rates(out, outcome="response", by="route", scale="MADRS")
    ref = ref.loc[ref["route"] == "IV"].iloc[0]
    assert (row["k"], row["n"]) == (ref["k"], ref["n"])
    assert row["rate"] == pytest.approx(ref["rate"], abs=1e-9)
    table1 = (sample / "tables" / "table1.csv").read_text()
    assert table1.splitlines()[0] == (
        "characteristic,IM (N = 23),IV (N = 96),intranasal (N = 31),All (N = 150)"
    )
    assert "Age, mean (SD)" in table1 and "Baseline MADRS, median [IQR]" in table1
    md = (sample / "tables" / "rates.md").read_text()
    assert md.startswith("**Response, remission and relapse rates**")
    tex = (sample / "tables" / "rates.tex").read_text()
    assert "\\begin{tabular}" in tex and "Rapid response" in tex and "rapid\\_response" not in tex


# ---------------------------------------------------------------------------------------
# The page
# ---------------------------------------------------------------------------------------
class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.refs, self.ids, self.tags, self.counts = [], set(), set(), []
        self._count = False

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        for name, value in attrs:
            if name in ("src", "href", "xlink:href", "action", "srcset", "poster", "data"):
                self.refs.append(value or "")
            if name == "id":
                self.ids.add(value)
        self._count = tag == "td" and "count" in (dict(attrs).get("class") or "").split()

    def handle_data(self, data):
        if self._count:
            self.counts.append(data)
            self._count = False


def test_html_is_self_contained(sample):
    text = (sample / "report.html").read_text(encoding="utf-8")
    page = _Links()
    page.feed(text)
    assert page.refs, "expected anchor links"
    for ref in page.refs:
        assert ref.startswith("#") or ref.startswith("data:"), ref
        if ref.startswith("#"):
            assert ref[1:] in page.ids, ref  # every anchor resolves within the file
    assert not {"script", "link", "iframe", "img", "object", "embed"} & page.tags
    assert re.findall(r"url\((?!#)", text) == []
    assert "@import" not in text
    assert "<?xml" not in text and "<!DOCTYPE svg" not in text
    prov = json.loads((sample / "provenance.json").read_text())
    drawn = [n for n in FIGURE_NAMES if n not in prov["figures_skipped"]]
    assert text.count("<svg") == len(drawn) == len(FIGURE_NAMES) - 1  # all inline
    assert "<text" in text  # figure text stays text


def test_html_sections_and_methods(sample):
    text = (sample / "report.html").read_text(encoding="utf-8")
    for title in ("The data", "Baseline characteristics", "Outcomes by session",
                  "Response and remission", "Mixed model for repeated measures",
                  "Time to response and to relapse", "Reliable change", "Dissociation (CADSS)",
                  "Safety and tolerability", "Methods", "Privacy"):  # fmt: skip
        assert f">{title}</h2>" in text, title
    assert "Table 1. Baseline characteristics by route" in text
    assert "Not fitted: the data have no column &#x27;arm&#x27;" in text
    # the methods name each definition with its settings and its source
    for phrase in ("a reduction from baseline of at least 50 %", "MADRS ≤ 10",
                   "reliability r = 0.8", "Jacobson NS, Truax P", "Wilson EB",
                   "Kaplan EL, Meier P", "Zarate CA", "Montgomery", "Bremner JD",
                   "log-rank", "SPRAVATO", "Williams B", "Liang KY",
                   "at or above 140 mmHg systolic or 90 mmHg diastolic"):  # fmt: skip
        assert phrase in text, phrase
    assert "swimmer" in text and "Figure 1." in text


def test_provenance(sample):
    prov = json.loads((sample / "provenance.json").read_text())
    assert prov["inputs"][0] == {
        "role": "scores",
        "name": "cohort_long.csv",
        "sha256": hashlib.sha256(SAMPLE.read_bytes()).hexdigest(),
        "bytes": SAMPLE.stat().st_size,
        "dialect": {
            "encoding": "utf-8",
            "bom": False,
            "delimiter": ",",
            "decimal": ".",
            "quotechar": '"',
            "line_ending": "LF",
            "given": [],
        },
    }
    # the safety files, each with its digest
    assert prov["inputs"][1:] == [
        {"role": "vitals", "name": "vitals.csv", "sha256": _sha(VITALS)},
        {"role": "adverse_events", "name": "adverse_events.csv", "sha256": _sha(AES)},
    ]
    cfg = parse_config(SAMPLE_CONFIG)
    assert prov["config"]["resolved"] == json.loads(json.dumps(cfg.to_dict()))
    assert prov["config"]["sha256"] == hashlib.sha256(SAMPLE_CONFIG.encode()).hexdigest()
    assert prov["seed"] == cfg.report.seed
    assert prov["versions"]["ketanalysis"] == ka.__version__
    for dep in ("numpy", "pandas", "scipy", "statsmodels", "matplotlib"):
        assert prov["versions"][dep]
    assert prov["analysis"]["group"] == "route" and prov["analysis"]["endpoint"] == 7
    # the digest of every file written, and no dates anywhere
    for rel, digest in prov["files"].items():
        assert hashlib.sha256((sample / rel).read_bytes()).hexdigest() == digest, rel
    raw = (sample / "provenance.json").read_text()
    assert not re.search(r"20\d\d-\d\d-\d\d", raw)
    assert list(json.loads(raw)) == sorted(json.loads(raw))  # sorted keys
    # each step's time is in timings.json (outside the reproducible files)
    timings = json.loads((sample / "timings.json").read_text())
    steps = [s["step"] for s in timings["steps"]]
    assert steps[: len(prov["steps"])] == prov["steps"]
    assert {"read", "validate", "derive", "figure swimmer", "html"} <= set(steps)
    assert all(s["seconds"] >= 0 for s in timings["steps"])


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# ---------------------------------------------------------------------------------------
# Safety
# ---------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def sample_safety():
    """The sample's safety data derived as the report does (scores give the CADSS)."""
    scores = ka.validate(ka.read_scores(SAMPLE))
    return ka.derive_safety(ka.read_vitals(VITALS), ka.read_adverse_events(AES), scores)


def _section(text: str, key: str) -> str:
    start = text.index(f'<section id="{key}">')
    return text[start : text.index("</section>", start)]


def test_safety_section_in_the_sample_report(sample):
    text = (sample / "report.html").read_text(encoding="utf-8")
    part = _section(text, "safety")
    assert '<a href="#safety">Safety and tolerability</a>' in text
    for key in SAFETY_TABLES:
        assert f'id="tab-{key}"' in part, key
    for name in ("vitals", "ae_incidence"):
        assert f'<figure id="fig-{name}">' in part and "<svg" in part, name
    assert "vital signs from vitals.csv and adverse events from adverse_events.csv" in part
    # thresholds with their source; CADSS is referred to its section, not repeated
    assert "pre-dose systolic ≥ 140 mmHg" in part and "ESC/ESH" in part
    assert "in the section Dissociation (CADSS)" in part and "tab-cadss" not in part
    dis = _section(text, "dissociation")
    assert 'id="tab-cadss_trend"' in dis and 'id="tab-dissociation_response"' in dis
    # no patient id anywhere in the safety tables
    for key in SAFETY_TABLES:
        assert not re.search(r"K\d{4}", (sample / "tables" / f"{key}.csv").read_text()), key


def test_safety_tables_equal_the_derivation_and_stats(sample, sample_safety):
    """Expected values: ka.derive_safety and ka.stats on the same files (exact counts;
    relative 1e-9 for rates and means: the CSVs keep ten significant digits)."""
    s = sample_safety.sessions
    flags = pd.read_csv(sample / "tables" / "safety_flags.csv")
    assert set(flags["route"]) == {"IM", "IV", "intranasal", "All"}
    for row in flags.itertuples():
        sub = s if row.route == "All" else s.loc[s["route"] == row.route]
        f = sub[row.flag]
        assert row.sessions_k == int(f.sum()) and row.sessions_n == int(f.notna().sum())
        per_patient = f.fillna(False).astype(bool).groupby(sub["patient_id"]).any()
        assert row.patients_k == int(per_patient.sum()), row
    total = flags.query("route == 'All' and flag == 'flag_post'").iloc[0]
    assert (
        total.sessions_k
        == sample_safety.tidy().set_index("quantity").loc["sessions with a post-dose flag", "k"]
    )
    rises = pd.read_csv(sample / "tables" / "safety_rises.csv")
    iv = rises.query("route == 'IV' and measure == 'systolic (mmHg)'").iloc[0]
    ref = s.loc[s["route"] == "IV", "sbp_rise"].dropna()
    assert iv.sessions == len(ref)
    assert iv["mean"] == pytest.approx(ref.mean(), rel=1e-9)
    assert iv["sd"] == pytest.approx(ref.std(ddof=1), rel=1e-9)
    ae = pd.read_csv(sample / "tables" / "ae_incidence.csv")
    ref = ka.stats.ae_incidence(sample_safety, by="route")
    merged = ae.merge(ref, on=["route", "ae_term"], suffixes=("", "_ref"))
    assert len(merged) == len(ae) - 2 * 3  # all but "any severe / serious" of 3 routes
    assert (merged["k"] == merged["k_ref"]).all() and (merged["n"] == merged["n_ref"]).all()
    assert merged["ci_low"].to_numpy() == pytest.approx(merged["ci_low_ref"].to_numpy(), rel=1e-9)
    severe = ka.stats.ae_incidence(sample_safety, by="route", terms=False, min_severity="severe")
    got = ae.loc[ae["ae_term"] == "any severe adverse event", "k"].tolist()
    assert got == severe["k"].tolist()
    # dissociation: trend and relation to response from ka.stats on the scores
    scores = ka.read_scores(SAMPLE)
    dr = pd.read_csv(sample / "tables" / "dissociation_response.csv")
    res = ka.stats.dissociation_response(scores, ka.derive(scores), scale="MADRS")
    assert dr["estimate"].iloc[0] == pytest.approx(res.tidy()["or"].iloc[0], rel=1e-9)
    assert dr["n"].iloc[0] == res.n == 150
    trend = pd.read_csv(sample / "tables" / "cadss_trend.csv")
    ref = ka.stats.cadss_trend(scores, by="route")
    assert trend["estimate"].to_numpy() == pytest.approx(ref["estimate"].to_numpy(), rel=1e-9)


def test_strict_privacy_in_the_safety_tables(strict_trial):
    checked = 0
    for key in SAFETY_TABLES:
        rows = list(
            csv.DictReader(io.StringIO((strict_trial / "tables" / f"{key}.csv").read_text()))
        )
        for row in rows:
            for col, value in row.items():
                if col in SAFETY_COUNTS:
                    checked += 1
                    assert not _small(value), (key, col, row)
    assert checked > 50
    ae = pd.read_csv(strict_trial / "tables" / "ae_incidence.csv", dtype=str)
    assert (ae["k"] == "<11").any()  # rare events among 45 patients per arm: suppressed
    assert (ae.loc[ae["k"] == "<11", ["rate", "ci_low", "ci_high"]] == "*").all().all()
    assert "All" not in set(ae["arm"])  # no total beside the groups under strict privacy
    part = _section((strict_trial / "report.html").read_text(encoding="utf-8"), "safety")
    assert re.search(r"Strict privacy: [\d,]+ cells? of these tables suppressed", part)
    # the figure's k/n annotations follow the same rule
    svg = (strict_trial / "figures" / "ae_incidence.svg").read_text()
    counts = re.findall(r">(\d+)/(\d+)<", svg)
    assert not [c for pair in counts for c in pair if _small(c)]
    prov = json.loads((strict_trial / "provenance.json").read_text())
    assert any(e["table"].startswith("Adverse events") for e in prov["privacy"]["suppressed"])


def test_safety_limits_from_the_config(tmp_path, sample_safety):
    """``[safety]`` limits reach the flags, the thresholds table, the methods and the
    provenance; a lower post-dose limit flags more sessions."""
    cfg = tmp_path / "c.toml"
    cfg.write_text(
        f'[input.safety]\nvitals = "{VITALS.as_posix()}"\n'
        f'adverse_events = "{AES.as_posix()}"\n'
        "[safety]\npost_sbp = 160\n"
        '[figures]\ninclude = ["vitals"]\n[output]\nfigure_formats = ["svg"]\n'
        'table_formats = ["csv"]\n'
    )
    out = build(SAMPLE, tmp_path / "r", cfg, quiet=True).parent
    scores = ka.validate(ka.read_scores(SAMPLE))
    expected = ka.derive_safety(
        ka.read_vitals(VITALS),
        ka.read_adverse_events(AES),
        scores,
        thresholds=ka.SafetyThresholds(post_sbp=160),
    ).sessions
    flags = pd.read_csv(out / "tables" / "safety_flags.csv").set_index("flag")
    for flag in ("flag_post_sbp", "flag_post", "flag_any", "flag_pre"):
        assert flags.loc[flag, "sessions_k"] == int(expected[flag].sum()), flag
    default = sample_safety.sessions
    assert flags.loc["flag_post_sbp", "sessions_k"] > int(default["flag_post_sbp"].sum())
    assert flags.loc["flag_pre", "sessions_k"] == int(default["flag_pre"].sum())
    assert flags.loc["flag_post_sbp", "criterion"] == "after dosing, systolic ≥ 160 mmHg"
    limits = pd.read_csv(out / "tables" / "safety_thresholds.csv").set_index("threshold")
    assert limits.loc["post_sbp", "value"] == 160 and limits.loc["pre_sbp", "value"] == 140
    text = (out / "report.html").read_text(encoding="utf-8")
    methods = _section(text, "methods")
    assert "at or above 160 mmHg systolic or 110 mmHg diastolic" in methods
    assert "at or above 140 mmHg systolic or 90 mmHg diastolic" in methods
    # 160 is the configuration's limit, not grade 3 hypertension; pre-dose still the label's
    assert "limits set in the report configuration; by default 180/110 mmHg" in methods
    assert "the pre-dose limits of the esketamine label" in methods
    assert "post_sbp = 160 (defaults: post_sbp = 180)" in _section(text, "safety")
    prov = json.loads((out / "provenance.json").read_text())
    assert prov["config"]["resolved"]["safety"]["post_sbp"] == 160


def test_a_report_without_safety_files_has_no_safety_section(tmp_path):
    html = build(SAMPLE, tmp_path / "r", _tiny_config(), quiet=True).read_text()
    assert 'id="safety"' not in html and "Safety and tolerability" not in html
    prov = json.loads((tmp_path / "r" / "provenance.json").read_text())
    assert [i["role"] for i in prov["inputs"]] == ["scores"]


def test_a_missing_safety_file_names_its_key(tmp_path):
    cfg = tmp_path / "c.toml"
    cfg.write_text('[input.safety]\nvitals = "nowhere.csv"\n')
    with pytest.raises(ConfigError) as e:
        build(SAMPLE, tmp_path / "r", cfg, quiet=True)
    assert str(e.value).startswith(f"{cfg}: input.safety.vitals: no such file")
    assert not (tmp_path / "r").exists()


# ---------------------------------------------------------------------------------------
# Privacy
# ---------------------------------------------------------------------------------------
def _small(value: str) -> bool:
    value = value.strip()
    return bool(re.fullmatch(r"\d+", value)) and 0 < int(value) < 11


def test_strict_privacy_leaves_no_small_count(strict_trial):
    checked = 0
    for path in sorted((strict_trial / "tables").glob("*.csv")):
        rows = list(csv.DictReader(io.StringIO(path.read_text())))
        for row in rows:
            for col, value in row.items():
                if col in COUNT_COLUMNS:
                    checked += 1
                    assert not _small(value), (path.name, col, row)
                if path.name.startswith(("table1", "cadss_peak")):
                    # "n (%)" and "N = n" cells
                    for m in re.findall(r"(?:^|N = )(\d+)(?= \(|$|\))", value):
                        assert not _small(m), (path.name, col, value)
            if path.name.startswith("table1"):
                for col in row:
                    for m in re.findall(r"N = (\d+)", col):
                        assert not _small(m), (path.name, col)
    assert checked > 100
    page = _Links()
    page.feed((strict_trial / "report.html").read_text(encoding="utf-8"))
    assert page.counts and not [c for c in page.counts if _small(c)]
    text = (strict_trial / "report.html").read_text(encoding="utf-8")
    assert "&lt;11" in text  # something was suppressed, and says so
    assert "Privacy level &quot;strict&quot;" in text
    prov = json.loads((strict_trial / "provenance.json").read_text())
    assert prov["privacy"]["suppressed"], "expected suppressed cells in a 90-patient trial"


def test_strict_privacy_leaves_out_individual_figures(strict_trial):
    names = {p.stem for p in (strict_trial / "figures").iterdir()}
    assert names and not names & set(INDIVIDUAL_FIGURES)
    prov = json.loads((strict_trial / "provenance.json").read_text())
    for name in ("swimmer", "spaghetti"):
        assert "strict privacy" in prov["figures_skipped"][name]
    text = (strict_trial / "report.html").read_text(encoding="utf-8")
    assert "Figures of individual patients left out: spaghetti, swimmer." in text


def test_arms_give_mmrm_and_comparisons(strict_trial):
    tables = {p.stem for p in (strict_trial / "tables").glob("*.csv")}
    assert {"mmrm_type3", "mmrm_lsmeans", "mmrm_contrasts", "rate_differences",
            "effect_size_between", "relapse_cox"} <= tables  # fmt: skip
    lsm = pd.read_csv(strict_trial / "tables" / "mmrm_lsmeans.csv")
    assert set(lsm["arm"]) == {"ketamine", "midazolam"}
    assert sorted(lsm["session"].unique()) == [1, 2, 3, 4, 5, 6, 7]
    assert (strict_trial / "figures" / "lsmeans.svg").exists()


def test_figures_only_fits_the_mmrm_for_the_lsmeans_figure(strict_trial, tmp_path):
    """`ketanalysis figures` on a two-arm trial draws the LS-means by arm, as the report does."""
    from ketanalysis.report import build_figures

    cfg = parse_config(
        '[analysis]\nendpoint = 7\n[figures]\ninclude = ["lsmeans"]\n'
        '[output]\nfigure_formats = ["svg"]'
    )
    out = build_figures(strict_trial.parent / "trial.csv", tmp_path / "f", cfg, quiet=True)
    svg = (out / "lsmeans.svg").read_text()
    assert "ketamine" in svg and "midazolam" in svg
    assert "LS-mean change in MADRS total score" in svg


def test_privacy_rules():
    p = Privacy(strict=True, min_cell_size=11)
    frame = pd.DataFrame({"k": [3, 40, 45, 0], "n": [50, 50, 50, 50], "rate": [0.06, 0.8, 0.9, 0]})
    hidden = p.apply("t", frame, [Rule("k", also=("rate",), total="n")])
    # 3 is small; 40 and 45 of 50 reveal 10 and 5 without; 0 discloses no one
    assert hidden["k"].tolist() == ["<11", "*", "*", ""]
    assert hidden["rate"].tolist() == ["*", "*", "*", ""]
    assert hidden["n"].tolist() == ["", "", "", ""]
    assert p.log == [{"table": "t", "cells": 6, "columns": ["k", "rate"]}]
    assert not Privacy().apply("t", frame, [Rule("k")]).to_numpy().any()


# ---------------------------------------------------------------------------------------
# Output directory, small settings
# ---------------------------------------------------------------------------------------
def _tiny_config() -> Config:
    return parse_config(
        '[figures]\ninclude = ["trajectory"]\n[output]\nfigure_formats = ["svg"]\n'
        'table_formats = ["csv"]'
    )


def test_output_directory_is_refused_unless_overwrite(tmp_path):
    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "notes.txt").write_text("mine")
    with pytest.raises(OutputDirError, match="not empty"):
        build(SAMPLE, busy, _tiny_config(), quiet=True)
    with pytest.raises(OutputDirError, match="does not hold a previous ketanalysis report"):
        build(SAMPLE, busy, _tiny_config(), overwrite=True, quiet=True)
    assert (busy / "notes.txt").read_text() == "mine"
    out = tmp_path / "out"
    build(SAMPLE, out, _tiny_config(), quiet=True)
    with pytest.raises(OutputDirError):
        build(SAMPLE, out, _tiny_config(), quiet=True)
    build(SAMPLE, out, _tiny_config(), overwrite=True, quiet=True)
    (out / "stale.txt").write_text("mine too")
    with pytest.raises(OutputDirError, match=r"stale\.txt \(not listed in provenance\.json\)"):
        build(SAMPLE, out, _tiny_config(), overwrite=True, quiet=True)
    assert (out / "stale.txt").read_text() == "mine too"  # a user file is never deleted
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no leftovers


def test_failed_build_leaves_nothing(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("patient_id,session,scale,score\na,0,MADRS,30\na,1,MADRS,75\n")
    with pytest.raises(ka.DataError, match="row 3, column score"):
        build(bad, tmp_path / "out", _tiny_config(), quiet=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.csv"]


def test_large_cohorts_sample_individual_figures(tmp_path):
    cfg = parse_config(
        '[figures]\ninclude = ["spaghetti"]\nmax_patients = 20\n'
        '[output]\nfigure_formats = ["svg"]\ntable_formats = []'
    )
    html = build(SAMPLE, tmp_path / "r", cfg, quiet=True).read_text()
    assert "A random sample of 20 of 150 patients is shown (seed 20261121)." in html


def test_figure_table_matches_the_config_names():
    assert tuple(f.name for f in FIGURES) == FIGURE_NAMES
    assert tuple(f.name for f in FIGURES if f.individual_level) == INDIVIDUAL_FIGURES
    names = set(ka.plots.__all__)
    missing = sorted({f.function for f in FIGURES} - names)
    assert not missing, f"ka.plots lacks {missing}"


def test_inline_svg_prefixes_ids_and_strips_the_prolog():
    svg = (
        '<?xml version="1.0" encoding="utf-8" standalone="no"?>\n'
        '<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" "x.dtd">\n'
        '<svg xmlns:xlink="http://www.w3.org/1999/xlink" width="252pt" height="189pt" '
        'viewBox="0 0 252 189" xmlns="http://www.w3.org/2000/svg" version="1.1">'
        "<metadata><rdf:RDF/></metadata>"
        '<defs><clipPath id="p1"><rect/></clipPath></defs>'
        '<g clip-path="url(#p1)"><use xlink:href="#p1"/></g><text>n = 5</text></svg>'
    )
    out = inline_svg(svg, prefix="fig")
    assert out.startswith("<svg") and "metadata" not in out and 'width="252pt"' not in out
    assert 'id="fig-p1"' in out and "url(#fig-p1)" in out and 'xlink:href="#fig-p1"' in out
    assert 'viewBox="0 0 252 189"' in out and "<text>n = 5</text>" in out


def test_table_text_forms():
    t = Table(
        "t",
        "A & B",
        pd.DataFrame({"name": ["x,y", 'q"r'], "n": [3, 12], "p_value": [0.0001, 0.5]}),
        formats={"n": "count", "p_value": "p"},
    )
    assert t.to_csv() == 'name,n,p_value\n"x,y",3,0.0001\n"q""r",12,0.5\n'
    assert "A \\& B" in t.to_latex()
    assert "| x,y | 3 | <0.001 |" in t.to_markdown()
    assert format_value(-0.0001, "num2") == "0.00"
    assert format_value(0.5531, "pct") == "55.3"
    assert format_value(float("nan"), "num2") == ""


# ---------------------------------------------------------------------------------------
# Issue 15 (first part): rates say when they are measured, empty rows are left out with a
# note, figures that are not drawn say why in words, captions name what is drawn.


def _visible_text(html: str) -> str:
    import html as _html
    import re

    html = re.sub(r"<(style|script|svg)\b.*?</\1>", " ", html, flags=re.S)
    return _html.unescape(re.sub(r"<[^>]+>", " ", html))


def test_rates_say_when_and_leave_out_rows_without_patients(sample):
    raw = pd.read_csv(SAMPLE)
    rates = pd.read_csv(sample / "tables" / "rates.csv")
    assert rates["timing"].notna().all()
    when = dict(zip(rates["outcome"], rates["timing"], strict=False))
    assert when["Response"] == when["Remission"] == "ever"
    assert when["Rapid response"] == "first assessment on days 0.5–2"
    # hand count: no PHQ-9 assessment after baseline falls on days 0.5-2 in the sample, so
    # PHQ-9 rapid response has no patient and its rows are left out with a note
    phq = raw[(raw["scale"] == "PHQ9") & (raw["session"] > 0)]
    assert not phq["day"].between(0.5, 2).any()
    assert not ((rates["scale"] == "PHQ-9") & (rates["outcome"] == "Rapid response")).any()
    assert (rates["n"] > 0).all()
    md = (sample / "tables" / "rates.md").read_text()
    assert "Left out, no patient with a known value (n = 0): PHQ-9: rapid response." in md
    assert set(rates["scale"]) == {"MADRS", "PHQ-9"}
    tex = (sample / "tables" / "rates.tex").read_text()
    assert "first assessment on days 0.5--2" in tex  # en dash as LaTeX writes it
    flags = (sample / "tables" / "safety_flags.tex").read_text()
    assert "systolic $\\geq$ 140 mmHg" in flags and ">=" not in flags


def test_headline_cards_give_the_endpoint_rate_and_say_so(sample):
    raw = pd.read_csv(SAMPLE)
    madrs = raw[raw["scale"] == "MADRS"]
    base = madrs[madrs["session"] == 0].set_index("patient_id")["score"]
    at7 = madrs[madrs["session"] == 7].set_index("patient_id")["score"]
    # hand count: response at session 7 = at least 50 % below the baseline score
    k = int((at7 <= 0.5 * base.reindex(at7.index)).sum())
    text = " ".join(_visible_text((sample / "report.html").read_text()).split())
    assert f"MADRS, at the endpoint (session 7), of the patients assessed ({k}/{len(at7)})" in text
    assert "MADRS, ever, of the patients at risk" in text


def test_figures_not_drawn_say_why_in_words(sample):
    text = " ".join(_visible_text((sample / "report.html").read_text()).split())
    assert "Figure lsmeans" not in text
    assert (
        "LS-means by arm (MMRM): not drawn; the data have no arm column ('arm') with two or "
        "more arms." in text
    )


def test_captions_name_what_the_figures_draw(sample):
    import re

    html = (sample / "report.html").read_text()
    captions = dict(re.findall(r'id="fig-([a-z_]+)".*?<figcaption>(.*?)</figcaption>', html, re.S))
    if not captions:  # the figure markup may carry the stem elsewhere
        captions = {
            stem: cap
            for cap, stem in re.findall(r"<figcaption>(.*?)figures/([a-z_]+)\.pdf", html, re.S)
        }
    assert "the mean of each route group" in captions["spaghetti"]
    assert "Mean change from baseline in each MADRS item score" in captions["item_heatmap"]
    assert "by treatment session" in captions["cadss_course"]
    assert "break mark" in captions["swimmer"]
    # the CADSS figure is drawn by session, as the table beside it is
    svg = (sample / "figures" / "cadss_course.svg").read_text()
    assert "Session" in svg and "Infusion" not in svg
