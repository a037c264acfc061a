"""The commented default config file (``ketanalysis init-config``): every key with its
default and meaning; it reads back to ``Config()``.
"""

from __future__ import annotations

from .schema import FIGURE_NAMES

_DEFAULT_TEXT = """\
# ketanalysis report configuration (TOML). Every key below shows its default; delete what
# you do not change. Unknown keys are errors. Nothing here is run as code.
# Use: ketanalysis report scores.csv --out report/ --config this-file.toml

[report]
title = "Outcomes of ketamine and esketamine treatment"
seed = 20261121               # seed of every random draw (patients sampled for figures)

[input]
format = "long"               # "long" (one row per patient x scale x session), "wide", "redcap"
columns = {}                  # rename columns: { subject = "patient_id", visit = "session" }
scale = ""                    # the scale of every row when the file has no scale column
wide_id = "patient_id"        # wide: the patient column
wide_sessions = ""            # wide: regex with groups session (and scale), e.g.
                              #   '(?P<scale>madrs|phq9)\\.s(?P<session>\\d+)'
wide_columns = {}             # wide, instead of wide_sessions: { column = [scale, session] },
                              #   e.g. { MADRS_baseline = ["MADRS", "baseline"] }
wide_session_labels = {}      # wide: text session labels to numbers, e.g.
                              #   { baseline = 0, wk1 = 1, wk4 = 4 }; every label of a
                              #   session column must be listed
wide_days = ""                # wide: regex naming day columns, e.g. 'day\\.s(?P<session>\\d+)'
redcap_events = ""            # redcap: JSON file {event: session or [session, day]}
redcap_day = ""               # redcap: field holding the study day
allow_identifiers = []        # columns allowed although they look like direct identifiers
allow_negative_days = false

[input.safety]                # safety data (optional; a safety section when given), paths
                              #   relative to this file
vitals = ""                   # vital signs: patient_id, session, timepoint (pre, 40min or
                              #   peak, post, discharge) or minutes, sbp, dbp, hr
adverse_events = ""           # adverse events: patient_id, session, ae_term, severity,
                              #   serious (a row with no term: a session without events)
adverse_events_instrument = "" # adverse_events is a REDCap export: its repeating
                              #   instrument of adverse events (events: redcap_events)
adverse_events_columns = {}   # rename adverse-event columns: { ae_severity = "severity" }

[analysis]
scales = []                   # outcome scales (default: every outcome scale in the data;
                              #   MADRS alone with the SUSTAIN1 preset)
primary_scale = ""            # scale of the headline figures (default: the first scale)
baseline = 0                  # baseline session, or "first", or "last_pre" (last day <= 0)
# endpoint = 7                # primary endpoint session (default: each patient's last
                              #   assessment); rates, effect sizes and the MMRM use it
group = ""                    # compare groups by this column (default: the arm column
                              #   when the data have it, else no groups)
arm = "arm"                   # column of randomised arms: the MMRM is fitted when the data
                              #   have it with two or more arms
table1 = []                   # rows of Table 1 (default: every covariate that varies)
subgroups = ["route", "sex"]  # subgroups of the forest plot (those present in the data)
level = 0.95                  # confidence level of every interval

[criteria]
preset = "scale_defaults"     # "scale_defaults" (registry thresholds) or "SUSTAIN1"
# Change single definitions of the preset in sub-tables, e.g.
# [criteria.remission]
# threshold = 12
# [criteria.relapse]
# entry = "remission"
# condition = "score"
# threshold = 22
# Sub-tables: response, remission, rapid_response, sustained_response, stable_remission,
# stable_response, relapse, reliable_change, percent_change (keys as in ka.criteria).

[mmrm]
covariance = "us"             # us, cs, csh, ar1, ar1h, toeplitz, toeph
df = "kenward-roger"          # kenward-roger, satterthwaite, residual, between-within
# until = 7                   # last session in the model (default: analysis.endpoint,
                              #   else every session: slow with "us" over many sessions
                              #   of a large cohort)

[safety]                      # blood-pressure limits (mmHg) that flag a treatment session;
                              #   set your clinic's monitoring protocol here
pre_sbp = 140                 # the last pre-dose reading at or above either limit flags
pre_dbp = 90                  #   the session (the esketamine label's pre-dose limits)
post_sbp = 180                # any reading after dosing at or above either limit flags it
post_dbp = 110                #   (grade 3 hypertension, 2018 ESC/ESH; the label has none)
return_within = 0.10          # a vital sign has returned when at most 10 % above pre-dose
inclusive = true              # true: a value at the limit flags (>=); false: only values
                              #   above it (>), the label's wording

[figures]
journal = "nature"            # nature, cell, jama, apa
width = "single"              # single or double column
include = [{include}]
max_patients = 300            # individual-level figures of larger cohorts show a random
                              #   sample of this many patients (said in the caption)

[output]
figure_formats = ["pdf", "svg", "png"]   # also "tiff", "eps"
table_formats = ["csv", "latex", "markdown"]
dpi = 600                     # resolution of PNG and TIFF figures

[privacy]
level = "standard"            # "strict": counts below min_cell_size suppressed in every
                              #   table and annotation, no individual-level figures
min_cell_size = 11
acknowledge_small_cells = false   # strict with min_cell_size below 11 needs true
"""


def default_config_text() -> str:
    """The default configuration as commented TOML (``ketanalysis init-config``).

    >>> from ketanalysis.config import Config, default_config_text, parse_config
    >>> parse_config(default_config_text()) == Config()
    True
    """
    names = [f'"{n}"' for n in FIGURE_NAMES]
    lines, line = [], ""
    for n in names:
        if len(line) + len(n) > 62:
            lines.append(line.rstrip())
            line = ""
        line += n + ", "
    lines.append(line.rstrip(", "))
    include = "\n           ".join(lines)
    return _DEFAULT_TEXT.replace("{include}", include)
