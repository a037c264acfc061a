"""Report configuration: strict TOML reading, one-line errors naming the key, presets."""

from __future__ import annotations

import json

import pytest

from ketanalysis import criteria
from ketanalysis.config import (
    FIGURE_NAMES,
    INDIVIDUAL_FIGURES,
    Config,
    ConfigError,
    default_config_text,
    load_config,
    parse_config,
)

# keys of [input] whose value is a table written inline in the default text
INLINE_TABLES = ("columns", "wide_columns", "wide_session_labels")


def _error(text: str) -> ConfigError:
    with pytest.raises(ConfigError) as e:
        parse_config(text, source="cfg.toml")
    message = str(e.value)
    assert "\n" not in message, message  # one line
    assert message.startswith("cfg.toml: ")
    return e.value


def test_default_text_reads_back_to_the_defaults():
    text = default_config_text()
    assert parse_config(text) == Config()
    # every key of every section is shown in the default text
    for section, values in Config().to_dict().items():
        assert f"[{section}]" in text
        if section == "criteria":
            continue
        for key, value in values.items():
            if isinstance(value, dict) and key not in INLINE_TABLES:  # e.g. [input.safety]
                assert f"[{section}.{key}]" in text, (section, key)
                for sub in value:
                    assert f"{sub} = " in text, (section, key, sub)
                continue
            assert f"{key} = " in text or f"# {key} = " in text, (section, key)
    assert parse_config("") == Config()


def test_empty_file_and_defaults():
    cfg = parse_config("")
    assert cfg.privacy.level == "standard" and cfg.privacy.min_cell_size == 11
    assert cfg.figures.include == FIGURE_NAMES
    assert cfg.outcome_criteria() == criteria.scale_defaults()
    assert cfg.outcome_scales() == ()


def test_unknown_key_suggests_the_closest():
    e = _error('[figures]\njurnal = "cell"')
    assert e.key == "figures.jurnal"
    assert "did you mean 'journal'?" in str(e)
    e = _error("[privacy]\nmin_cell = 5")
    assert e.key == "privacy.min_cell" and "'min_cell_size'" in str(e)
    e = _error("[privcy]\nlevel = 'strict'")
    assert e.key == "privcy" and "did you mean 'privacy'?" in str(e)
    e = _error("[criteria.remision]\nthreshold = 12")
    assert e.key == "criteria.remision" and "'remission'" in str(e)
    e = _error("[criteria.relapse]\nthreshhold = 22")
    assert e.key == "criteria.relapse.threshhold" and "'threshold'" in str(e)
    # [criteria.rapid_response] session (the glossary's session value) is now at
    e = _error("[criteria.rapid_response]\nsession = 1")
    assert e.key == "criteria.rapid_response.session" and "did you mean 'at'?" in str(e)
    cfg = parse_config("[criteria.rapid_response]\nat = 1")
    assert cfg.outcome_criteria().rapid_response.at == 1


def test_wrong_type_names_key_and_type():
    e = _error('[privacy]\nmin_cell_size = "11"')
    assert e.key == "privacy.min_cell_size"
    assert "expected a whole number, got '11' (text)" in str(e)
    e = _error("[analysis]\nscales = 'MADRS'")
    assert e.key == "analysis.scales" and "a list of text" in str(e)
    e = _error("[input]\nallow_negative_days = 1")
    assert e.key == "input.allow_negative_days" and "true or false" in str(e)
    e = _error("[analysis]\nbaseline = true")
    assert e.key == "analysis.baseline"
    e = _error("[criteria.response]\nmin_reduction = '50%'")
    assert e.key == "criteria.response.min_reduction" and "a number" in str(e)
    e = _error("[report]\nseed = 1.5")
    assert e.key == "report.seed"
    e = _error("figures = 3")
    assert e.key == "figures" and "must be a table" in str(e)


def test_unknown_preset_lists_the_valid_ones():
    e = _error('[criteria]\npreset = "SUSTAIN2"')
    assert e.key == "criteria.preset"
    assert "did you mean 'SUSTAIN1'?" in str(e)
    assert "valid presets: scale_defaults, SUSTAIN1" in str(e)


def test_presets_by_name_and_overrides():
    cfg = parse_config('[criteria]\npreset = "sustain-1"')
    assert cfg.criteria.preset == "SUSTAIN1"
    assert cfg.outcome_criteria() is criteria.SUSTAIN1
    assert cfg.outcome_scales() == ("MADRS",)  # SUSTAIN-1 is defined on the MADRS
    cfg = parse_config(
        "[criteria]\npreset = 'SUSTAIN1'\n[criteria.relapse]\nanchor = 16\n"
        "[criteria.remission]\nthreshold = 10"
    )
    crit = cfg.outcome_criteria()
    assert crit.relapse.anchor == 16 and crit.relapse.threshold == 22
    assert crit.remission.threshold == 10
    resolved = cfg.to_dict()["criteria"]
    assert resolved["preset"] == "SUSTAIN1" and resolved["relapse"]["anchor"] == 16
    assert resolved["name"] == "SUSTAIN-1"


def test_invalid_values_name_their_key():
    assert _error("[figures]\njournal = 'lancet'").key == "figures.journal"
    assert _error("[figures]\ninclude = ['swimer']").key == "figures.include"
    assert "did you mean 'swimmer'" in str(_error("[figures]\ninclude = ['swimer']"))
    assert _error("[output]\ntable_formats = ['xlsx']").key == "output.table_formats"
    assert _error("[privacy]\nlevel = 'paranoid'").key == "privacy.level"
    assert _error("[privacy]\nmin_cell_size = 0").key == "privacy.min_cell_size"
    assert _error("[analysis]\nscales = ['PHQ']").key == "analysis.scales"
    assert _error("[analysis]\nlevel = 95").key == "analysis.level"
    assert _error("[mmrm]\ncovariance = 'un'").key == "mmrm.covariance"
    assert _error("[input]\nformat = 'wide'").key == "input.wide_sessions"
    e = _error("[criteria.relapse]\ncondition = 'score'")
    assert e.key == "criteria.relapse.condition" and "needs threshold" in str(e)
    e = _error("[criteria.stable_remission]\nk = 5")
    assert e.key == "criteria.stable_remission.k"


def test_not_toml_is_an_error():
    e = _error("[analysis\nscales = []")
    assert e.key == "" and "not valid TOML" in str(e)


def test_scales_are_normalised():
    cfg = parse_config("[analysis]\nscales = ['madrs', 'PHQ-9']\nprimary_scale = 'phq9'")
    assert cfg.analysis.scales == ("MADRS", "PHQ9")
    assert cfg.analysis.primary_scale == "PHQ9"
    assert _error("[analysis]\nscales = ['MADRS']\nprimary_scale = 'PHQ9'").key == (
        "analysis.primary_scale"
    )


def test_nothing_is_evaluated_as_code(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    payload = "__import__('os').system('touch pwned')"
    cfg = parse_config(f'[analysis]\ngroup = "{payload}"\ntable1 = ["{payload}"]')
    assert cfg.analysis.group == payload  # kept as text: a column name, never run
    assert not (tmp_path / "pwned").exists()
    # the arm column goes into the MMRM formula: only plain names are accepted
    e = _error(f'[analysis]\narm = "{payload}"')
    assert e.key == "analysis.arm"
    assert not (tmp_path / "pwned").exists()


def test_load_config_from_file(tmp_path):
    path = tmp_path / "report.toml"
    path.write_text('[input.safety]\nadverse_events = "ae.csv"\n[figures]\nwidth = "double"\n')
    cfg = load_config(path)
    assert cfg.figures.width == "double"
    assert cfg.input.safety.given() == {"adverse_events": "ae.csv"}
    assert cfg.path("ae.csv") == tmp_path / "ae.csv"  # relative to the config file
    with pytest.raises(ConfigError) as e:
        load_config(tmp_path / "missing.toml")
    assert "cannot read config file" in str(e.value)
    bad = tmp_path / "bad.toml"
    bad.write_text("[figures]\nformat = 'pdf'\n")
    with pytest.raises(ConfigError) as e:
        load_config(bad)
    assert str(e.value).startswith(f"{bad}: figures.format: unknown key")


def test_safety_files_are_a_table_of_vitals_and_adverse_events():
    cfg = parse_config('[input.safety]\nvitals = "v.csv"\nadverse_events = "ae.csv"\n')
    assert (cfg.input.safety.vitals, cfg.input.safety.adverse_events) == ("v.csv", "ae.csv")
    assert bool(cfg.input.safety) and not Config().input.safety
    inline = parse_config('[input]\nsafety = { vitals = "v.csv" }\n')
    assert inline.input.safety.given() == {"vitals": "v.csv"}
    assert cfg.to_dict()["input"]["safety"] == {
        "vitals": "v.csv",
        "adverse_events": "ae.csv",
        "adverse_events_instrument": "",
        "adverse_events_columns": {},
    }
    e = _error('[input.safety]\nvitls = "v.csv"\n')
    assert e.key == "input.safety.vitls"
    assert "did you mean 'vitals'?" in e.reason and "vitals, adverse_events" in e.reason
    e = _error('[input.safety]\nadverse_event = "ae.csv"\n')
    assert "did you mean 'adverse_events'?" in e.reason
    e = _error('[input.safety]\nvitals = ["v.csv"]\n')
    assert e.key == "input.safety.vitals" and "expected text" in e.reason
    # the list of an earlier draft: told what to write instead
    e = _error('[input]\nsafety = ["ae.csv"]\n')
    assert e.key == "input.safety"
    assert 'vitals = "...", adverse_events = "..."' in e.reason
    text = default_config_text()
    assert "[input.safety]" in text and 'vitals = ""' in text and 'adverse_events = ""' in text


def test_safety_thresholds_from_the_config():
    from ketanalysis import SafetyThresholds

    assert Config().safety.thresholds() == SafetyThresholds()
    cfg = parse_config(
        "[safety]\npre_sbp = 150\npre_dbp = 95.5\npost_sbp = 160\npost_dbp = 100\n"
        "return_within = 0.2\ninclusive = false\n"
    )
    assert cfg.safety.thresholds() == SafetyThresholds(
        pre_sbp=150, pre_dbp=95.5, post_sbp=160, post_dbp=100, return_within=0.2, inclusive=False
    )
    resolved = cfg.to_dict()["safety"]
    assert resolved == {
        "pre_sbp": 150.0,
        "pre_dbp": 95.5,
        "post_sbp": 160.0,
        "post_dbp": 100.0,
        "return_within": 0.2,
        "inclusive": False,
    }
    assert all(type(resolved[k]) is float for k in ("pre_sbp", "post_sbp"))  # normalised
    assert json.loads(json.dumps(resolved)) == resolved
    # unknown keys: did you mean, with the key path
    e = _error("[safety]\npost_sbq = 160")
    assert e.key == "safety.post_sbq" and "did you mean 'post_sbp'?" in e.reason
    assert "valid keys of [safety]: pre_sbp, pre_dbp, post_sbp, post_dbp" in e.reason
    assert "did you mean 'safety'?" in str(_error("[safty]\npost_sbp = 160"))
    # strict types
    e = _error('[safety]\npost_sbp = "160"')
    assert e.key == "safety.post_sbp" and "expected a number, got '160' (text)" in e.reason
    e = _error("[safety]\npre_dbp = true")
    assert e.key == "safety.pre_dbp" and "expected a number" in e.reason
    e = _error("[safety]\ninclusive = 1")
    assert e.key == "safety.inclusive" and "expected true or false" in e.reason
    e = _error("[safety]\nreturn_within = [0.1]")
    assert e.key == "safety.return_within"
    assert _error("safety = 160").key == "safety"
    # ranges, one line naming the key
    e = _error("[safety]\npost_sbp = 400")
    assert str(e) == "cfg.toml: safety.post_sbp: must be between 60 and 300 mmHg, got 400"
    assert _error("[safety]\npre_sbp = 0").key == "safety.pre_sbp"
    assert _error("[safety]\npre_sbp = nan").key == "safety.pre_sbp"
    assert _error("[safety]\npost_dbp = -110").key == "safety.post_dbp"
    assert "between 40 and 200 mmHg" in _error("[safety]\npre_dbp = 250").reason
    e = _error("[safety]\nreturn_within = 10")
    assert e.key == "safety.return_within" and "between 0 and 1" in e.reason
    # the default text shows every key with its default
    text = default_config_text()
    for line in ("[safety]", "pre_sbp = 140", "pre_dbp = 90", "post_sbp = 180",
                 "post_dbp = 110", "return_within = 0.10", "inclusive = true"):  # fmt: skip
        assert line in text, line


def test_to_dict_is_plain_json():
    cfg = parse_config("[input]\ncolumns = { subject = 'patient_id' }\n[analysis]\nendpoint = 7")
    data = cfg.to_dict()
    assert json.loads(json.dumps(data)) == data
    assert data["input"]["columns"] == {"subject": "patient_id"}
    assert data["analysis"]["endpoint"] == 7
    assert set(data) == {
        "report",
        "input",
        "analysis",
        "criteria",
        "mmrm",
        "safety",
        "figures",
        "output",
        "privacy",
    }


def test_individual_figures_are_known():
    assert set(INDIVIDUAL_FIGURES) <= set(FIGURE_NAMES)


def test_input_wide_pattern_with_session_labels():
    cfg = parse_config(
        '[input]\nformat = "wide"\nwide_id = "pid"\n'
        "wide_sessions = '(?P<scale>MADRS|PHQ9)_(?P<session>baseline|wk[0-9])'\n"
        "[input.wide_session_labels]\nbaseline = 0\nwk1 = 7\nwk4 = 28.5\n"
    )
    assert cfg.input.wide_session_labels == {"baseline": 0, "wk1": 7, "wk4": 28.5}
    assert cfg.to_dict()["input"]["wide_session_labels"] == {"baseline": 0, "wk1": 7, "wk4": 28.5}


def test_input_wide_columns_table():
    cfg = parse_config(
        '[input]\nformat = "wide"\n'
        '[input.wide_columns]\nMADRS_baseline = ["MADRS", "baseline"]\nMADRS_w1 = ["madrs", 1]\n'
    )
    assert cfg.input.wide_columns == {
        "MADRS_baseline": ("MADRS", "baseline"),
        "MADRS_w1": ("madrs", 1),
    }


@pytest.mark.parametrize(
    ("text", "key", "says"),
    [
        ('format = "wide"', "input.wide_sessions", "wide_columns"),
        (
            "format = 'wide'\nwide_sessions = '(?P<scale>x)_(?P<s>\\d)'",
            "input.wide_sessions",
            "(?P<session>",
        ),
        (
            "format = 'wide'\nwide_sessions = '(unclosed'",
            "input.wide_sessions",
            "not a regular expression",
        ),
        (
            "wide_session_labels = { baseline = 'zero' }",
            "input.wide_session_labels",
            "a table of numbers",
        ),
        ("wide_columns = { m0 = ['MADRS'] }", "input.wide_columns", "[scale, session] pairs"),
        ("wide_columns = { m0 = ['MADRZ', 0] }", "input.wide_columns.m0", "MADRS"),
        (
            "wide_sessions = '(?P<session>x)'\nwide_columns = { m0 = ['MADRS', 0] }",
            "input.wide_columns",
            "not both",
        ),
    ],
)
def test_input_wide_errors_name_the_key(text, key, says):
    message = str(_error("[input]\n" + text))
    assert message.startswith(f"cfg.toml: {key}:"), message
    assert says in message


def test_an_absolute_threshold_on_several_scales_names_the_criteria_key(tmp_path):
    """[criteria.remission] threshold = 12 is a MADRS cut-off: on MADRS + PHQ-9 data it is a
    ConfigError naming the criteria (issue 13), and with one scale it is applied."""
    from ketanalysis.config import ConfigError
    from ketanalysis.report import load_outcomes

    cfg = tmp_path / "c.toml"
    cfg.write_text("[criteria.remission]\nthreshold = 12\n")
    with pytest.raises(ConfigError, match=r"criteria.*do not fit MADRS, PHQ9.*\[analysis\] scales"):
        load_outcomes("data/sample/cohort_long.csv", cfg)
    cfg.write_text('[analysis]\nscales = ["MADRS"]\n[criteria.remission]\nthreshold = 12\n')
    _, out = load_outcomes("data/sample/cohort_long.csv", cfg)
    a = out.assessments
    post = a[(a["session"] > 0) & a["score"].notna()]
    assert list(out.scales) == ["MADRS"]
    assert (post["remission"] == (post["score"] <= 12)).all()
