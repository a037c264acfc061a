"""A plain per-patient pandas implementation of the outcome definitions.

The reference against which ``ka.derive`` (a vectorised numpy engine) is timed and checked
(``benchmarks/derive.py``, ``tests/test_derive_reference.py``). It is written the way an
analyst would write it: sort the validated frame, loop over the ``(patient_id, scale)``
groups of ``DataFrame.groupby`` and work out each definition for one patient at a time
from its own rows, with a plain Python loop where a definition walks through the
assessments (relapse runs). Nothing here is vectorised across patients and nothing calls
the internals of :mod:`ketanalysis.outcomes`: the definitions are implemented afresh from
the docstrings of :mod:`ketanalysis.outcomes.criteria` and of ``ka.derive`` (docs/architecture.md §4), so the
reference doubles as an independent check of the engine.

Use::

    from derive_reference import derive_reference, compare_frames
    assessments, patients = derive_reference(report.frame, criteria=..., scale="MADRS")
    problems = compare_frames(out.patients, patients)   # [] when they agree

Supported: every ``patients`` and ``assessments`` column of ``ka.derive`` (numeric or
ordered-categorical sessions, several scales, ``baseline`` as a session value, ``"first"``
or ``"last_pre"``, a named ``endpoint``, relapse anchors, gaps and event columns).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from ketanalysis import criteria as _criteria
from ketanalysis import scales as _scales

__all__ = ["compare_frames", "derive_reference"]

# Ties at a threshold count as meeting it ("exactly 50 % is a response"); scores and
# percentages are compared with this much slack so that rounding cannot break a tie.
TIE = 1e-9
STRUCTURAL = {
    "patient_id",
    "session",
    "day",
    "scale",
    "score",
    "score_source",
    "source_row",
    "source_column",
}
RC_LEVELS = ["improved", "unchanged", "deteriorated"]
CS_LEVELS = ["recovered", "improved", "unchanged", "deteriorated"]


def is_item(column) -> bool:
    return isinstance(column, str) and column.startswith("item_") and column[5:].isdigit()


# ----------------------------------------------------------------------------------------
# the definitions, for one patient on one scale
# ----------------------------------------------------------------------------------------
def meets_reduction(base: float, score: float, min_reduction: float) -> bool:
    """A reduction of at least ``min_reduction`` (ties count); False for a baseline of 0."""
    if base == 0:
        return False
    return base - score >= min_reduction * base - TIE * max(1.0, abs(base))


def count_in_last(flags: list[bool], end: int, first_post: int, n: int) -> int:
    """How many of the last ``n`` post-baseline assessments up to ``end`` are flagged."""
    lo = max(end - n + 1, first_post)
    return sum(flags[lo : end + 1])


class Patient:
    """The rows of one patient on one scale, sorted by session."""

    def __init__(self, g: pd.DataFrame, ctx: dict):
        self.ctx = ctx
        self.score = g["score"].to_numpy(dtype=float)
        self.key = g["_key"].to_numpy(dtype=float)  # session as a number (category code)
        self.session = g["session"].to_numpy()
        self.day = g["day"].to_numpy(dtype=float) if "day" in g else None
        self.time = self.day if ctx["time_unit"] == "days" else self.key
        self.n = len(g)
        self.rows = range(self.n)
        b = self.find_baseline(ctx["baseline"])
        self.b = b
        self.base = self.score[b]
        self.post = [i > b for i in self.rows]

    def find_baseline(self, baseline) -> int:
        if baseline == "first":
            return 0
        if baseline == "last_pre":
            pre = [i for i in self.rows if self.day[i] <= 0]
            return pre[-1]
        return [i for i in self.rows if self.key[i] == self.ctx["baseline_key"]][0]

    def last_post_until(self, until_key: float | None) -> int | None:
        """The last post-baseline assessment at or before ``until`` (None: the last)."""
        found = None
        for i in self.rows:
            if self.post[i] and (until_key is None or self.key[i] <= until_key):
                found = i
        return found

    def first(self, flags) -> int | None:
        for i in self.rows:
            if flags[i]:
                return i
        return None


def derive_one(g: pd.DataFrame, scale: str, ctx: dict):
    """Outcomes of one patient on one scale: (patient row as a dict, per-row columns)."""
    crit: _criteria.Criteria = ctx["criteria"]
    p = Patient(g, ctx)
    score, base, post, rows = p.score, p.base, p.post, p.rows
    thr = crit.remission.threshold_for(scale)

    # --- per assessment ---------------------------------------------------------------
    change = score - base
    pct = np.array([math.nan if base == 0 else (s - base) / base for s in score])
    response = [
        post[i] and meets_reduction(base, score[i], crit.response.min_reduction) for i in rows
    ]
    response_missing = [post[i] and base == 0 for i in rows]
    remission = [post[i] and score[i] <= thr + TIE for i in rows]

    row: dict = {"baseline": base, "baseline_session": p.session[p.b]}
    if p.day is not None:
        row["baseline_day"] = p.day[p.b]
    row["n_assessments"] = p.n
    row["n_post_baseline"] = sum(post)
    last = p.n - 1
    row["last_session"] = p.session[last]
    if p.day is not None:
        row["last_day"] = p.day[last]
    row["last_score"] = score[last]
    row["last_change"] = change[last]
    row["last_pct_change"] = pct[last]

    # --- endpoint: the named session, else the last assessment after baseline -----------
    if ctx["endpoint_key"] is not None:
        at = [i for i in rows if p.key[i] == ctx["endpoint_key"]]
        end = at[0] if at else None
        row["endpoint_score"] = score[end] if end is not None else math.nan
        row["endpoint_change"] = change[end] if end is not None else math.nan
        row["endpoint_pct_change"] = pct[end] if end is not None else math.nan
    else:
        end = p.last_post_until(None)
    pc = crit.percent_change
    if end is None or math.isnan(pct[end]):
        category = None
    elif pct[end] <= -pc.improvement + TIE:
        category = "improved"
    elif pct[end] >= pc.deterioration_threshold - TIE:
        category = "deteriorated"
    else:
        category = "unchanged"
    row["pct_change_category"] = category
    # rci and the Jacobson-Truax categories need the SD of all patients: filled in later
    row["_endpoint"] = end
    row["_endpoint_change"] = change[end] if end is not None else math.nan
    row["_endpoint_score"] = score[end] if end is not None else math.nan

    # --- response ---------------------------------------------------------------------
    fr = p.first(response)
    row["ever_response"] = fr is not None
    row["first_response_session"] = p.session[fr] if fr is not None else None
    if p.day is not None:
        row["first_response_day"] = p.day[fr] if fr is not None else math.nan

    rr = crit.rapid_response
    if rr.at is not None:
        window = [post[i] and p.key[i] == ctx["rapid_key"] for i in rows]
    elif p.day is not None:
        window = [post[i] and rr.min_day <= p.day[i] <= rr.max_day for i in rows]
    else:
        window = [False] * p.n
    w = p.first(window)
    row["rapid_response"] = None if w is None or base == 0 else response[w]

    sr = crit.sustained_response
    stop = p.last_post_until(ctx["sustained_until_key"])
    if fr is None or stop is None or stop < fr:
        sustained = False
    else:
        window_rows = range(fr, stop + 1)
        lapses = sum(1 for i in window_rows if not response[i])
        sustained = len(window_rows) >= sr.min_assessments and lapses <= sr.allowed_lapses
    row["sustained_response"] = sustained

    # --- remission and the stable states ----------------------------------------------
    fm = p.first(remission)
    row["ever_remission"] = fm is not None
    row["first_remission_session"] = p.session[fm] if fm is not None else None
    if p.day is not None:
        row["first_remission_day"] = p.day[fm] if fm is not None else math.nan

    srem, sresp = crit.stable_remission, crit.stable_response
    srem_thr = thr if srem.threshold is None else float(srem.threshold)
    rem_hits = [post[i] and score[i] <= srem_thr + TIE for i in rows]
    resp_hits = [post[i] and meets_reduction(base, score[i], sresp.min_reduction) for i in rows]
    first_post = p.b + 1
    # at each assessment: does the k-of-the-last-n rule hold there?
    stable_rem_at = [
        post[i] and count_in_last(rem_hits, i, first_post, srem.n) >= srem.k for i in rows
    ]
    stable_resp_at = [
        post[i] and count_in_last(resp_hits, i, first_post, sresp.n) >= sresp.k for i in rows
    ]
    e = p.last_post_until(ctx["stable_remission_until_key"])
    stable_rem = e is not None and stable_rem_at[e]
    e = p.last_post_until(ctx["stable_response_until_key"])
    stable_resp = e is not None and stable_resp_at[e]
    if sresp.exclude_stable_remission:
        stable_resp = stable_resp and not stable_rem
        stable_resp_at = [stable_resp_at[i] and not stable_rem_at[i] for i in rows]
    row["stable_remission"] = stable_rem
    row["stable_response"] = stable_resp

    # --- time to response and remission, from baseline ----------------------------------
    t = p.time
    t0, t_last = t[p.b], t[last]
    row["time_to_response"] = (t[fr] if fr is not None else t_last) - t0
    row["response_event"] = int(fr is not None)
    row["time_to_remission"] = (t[fm] if fm is not None else t_last) - t0
    row["remission_event"] = int(fm is not None)

    # --- relapse ----------------------------------------------------------------------
    rl = crit.relapse
    state = {
        "response": response,
        "remission": remission,
        "stable_remission": stable_rem_at,
        "stable_response": stable_resp_at,
    }[rl.entry]
    if rl.anchor is None:
        entry = p.first(state)
        at_risk = entry is not None
    else:
        # in the entry state at the anchor (the last assessment at or before it) and
        # still followed there (an assessment at or after the anchor session)
        before = [i for i in rows if p.key[i] <= ctx["anchor_key"]]
        entry = before[-1] if before else None
        followed = any(p.key[i] >= ctx["anchor_key"] for i in rows)
        at_risk = entry is not None and followed and state[entry]
    relapse_at = None
    if at_risk:
        if rl.condition == "score":
            meets = [score[i] >= rl.threshold - TIE for i in rows]
        elif rl.condition == "loss_of_response":
            meets = [base != 0 and not response[i] for i in rows]
        else:
            meets = [score[i] > thr + TIE for i in rows]
        flagged = ctx["events"].loc[g.index].to_numpy() if ctx["events"] is not None else None
        run = 0
        for i in range(entry + 1, p.n):
            if meets[i]:
                if run > 0 and linked(p, i - 1, i, rl):
                    run += 1
                else:
                    run = 1
            else:
                run = 0
            if run >= rl.consecutive or (flagged is not None and flagged[i]):
                relapse_at = i
                break
    row["relapse_at_risk"] = at_risk
    row["relapse"] = (relapse_at is not None) if at_risk else None
    row["relapse_session"] = p.session[relapse_at] if relapse_at is not None else None
    if p.day is not None:
        row["relapse_day"] = p.day[relapse_at] if relapse_at is not None else math.nan
    if at_risk:
        row["time_to_relapse"] = (t[relapse_at] if relapse_at is not None else t_last) - t[entry]
        row["relapse_event"] = int(relapse_at is not None)
    else:
        row["time_to_relapse"] = math.nan
        row["relapse_event"] = None

    # --- suicidality item ---------------------------------------------------------------
    item = _scales.SCALES[scale].suicidality_item
    column = f"item_{item}" if item else None
    suic = None
    if ctx["suicidality"]:
        if column in g:
            suic = g[column].to_numpy(dtype=float)
            at_base = suic[p.b]
            answered = [i for i in rows if post[i] and not math.isnan(suic[i])]
            last_item = suic[answered[-1]] if answered else math.nan
        else:
            at_base = last_item = math.nan
        row["suicidality_baseline"] = at_base
        row["suicidality_last"] = last_item
        known = not math.isnan(at_base) and not math.isnan(last_item) and at_base > 0
        row["suicidality_resolved"] = (last_item == 0) if known else None

    for c in ctx["covariates"]:
        row[c] = g[c].iloc[p.b]

    per_row = {
        "baseline": np.full(p.n, base),
        "post_baseline": np.array(post),
        "change": change,
        "pct_change": pct,
        "response": pd.array(
            [None if response_missing[i] else response[i] for i in rows], dtype="boolean"
        ),
        "remission": np.array(remission),
        "suicidality": suic if suic is not None else np.full(p.n, math.nan),
    }
    return row, per_row


def linked(p: Patient, i: int, j: int, rl: _criteria.Relapse) -> bool:
    """May assessments i and j (successive) belong to the same relapse run?"""
    # each gap must be shown to lie in the range: an unknown (missing) day breaks the run
    if rl.min_gap_days is not None or rl.max_gap_days is not None:
        if p.day is None:
            raise ValueError("Relapse gap limits in days need a day column")
        gap = p.day[j] - p.day[i]
        if rl.min_gap_days is not None and not gap >= rl.min_gap_days - TIE:
            return False
        if rl.max_gap_days is not None and not gap <= rl.max_gap_days + TIE:
            return False
    if rl.max_session_gap is not None and not p.key[j] - p.key[i] <= rl.max_session_gap + TIE:
        return False
    return True


# ----------------------------------------------------------------------------------------
# the whole frame
# ----------------------------------------------------------------------------------------
def derive_reference(
    frame: pd.DataFrame,
    *,
    criteria: _criteria.Criteria | None = None,
    scale: str | list[str] | None = None,
    baseline=0,
    endpoint=None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``(assessments, patients)`` as ``ka.derive`` documents them, one patient at a time.

    ``frame`` is a validated canonical frame (``ka.validate(...).frame``).
    """
    crit = criteria if criteria is not None else _criteria.scale_defaults()
    present = [k for k in _scales.SCALES if (frame["scale"] == k).any()]
    if scale is None:
        chosen = [k for k in present if _scales.SCALES[k].remission_threshold is not None]
    else:
        chosen = [_scales.get(s).key for s in ([scale] if isinstance(scale, str) else scale)]
    df = frame[frame["scale"].isin(chosen)].copy()
    categorical = isinstance(df["session"].dtype, pd.CategoricalDtype)
    labels = list(df["session"].cat.categories) if categorical else None

    def key_of(value):
        if value is None:
            return None
        return float(labels.index(value)) if categorical else float(value)

    df["_key"] = df["session"].cat.codes.astype(float) if categorical else df["session"]
    df["_scale_order"] = df["scale"].map({s: i for i, s in enumerate(chosen)})
    # (patient, scale, session) is unique in a validated frame: no further key needed
    df = df.sort_values(["patient_id", "_scale_order", "_key"], kind="stable")

    has_day = "day" in df
    rl = crit.relapse
    ctx = {
        "criteria": crit,
        "baseline": baseline if baseline in ("first", "last_pre") else None,
        "baseline_key": None if baseline in ("first", "last_pre") else key_of(baseline),
        "endpoint_key": key_of(endpoint),
        "rapid_key": key_of(crit.rapid_response.at),
        "sustained_until_key": key_of(crit.sustained_response.until),
        "stable_remission_until_key": key_of(crit.stable_remission.until),
        "stable_response_until_key": key_of(crit.stable_response.until),
        "anchor_key": key_of(rl.anchor),
        # days whenever the data have them (a missing day gives a missing time)
        "time_unit": "days" if has_day and df["day"].notna().any() else "sessions",
        "covariates": [c for c in frame.columns if c not in STRUCTURAL and not is_item(c)],
        "suicidality": any(
            f"item_{_scales.SCALES[s].suicidality_item}" in df.columns
            for s in chosen
            if _scales.SCALES[s].suicidality_item
        ),
        "events": None,
    }
    if rl.event_column is not None:
        ctx["events"] = df[rl.event_column].astype("boolean").fillna(False).astype(bool)

    records, pieces = [], []
    for (pid, s), g in df.groupby(["patient_id", "scale"], sort=False):
        row, per_row = derive_one(g, s, ctx)
        records.append({"patient_id": pid, "scale": s, **row})
        pieces.append(per_row)
    patients = pd.DataFrame(records)

    # Jacobson-Truax: the SD (sample, n - 1) of the baselines of the patients with an
    # endpoint, per scale, unless given; then RCI and categories at each endpoint.
    rc = crit.reliable_change
    s_diff, cutoff = {}, {}
    for s in chosen:
        mine = patients[patients["scale"] == s]
        sd = rc.sd
        if sd is None:
            with_end = mine.loc[mine["_endpoint"].notna(), "baseline"]
            sd = with_end.std(ddof=1) if len(with_end) > 1 else math.nan
        s_diff[s] = np.float64(np.sqrt(2.0) * sd * np.sqrt(1.0 - rc.reliability))
        cut = rc.cutoff if rc.cutoff is not None else crit.remission.threshold_for(s)
        cutoff[s] = math.nan if cut is None else cut

    def categories(rci, score, s):
        if math.isnan(rci):
            return None, None
        if rci < -rc.z:
            return "improved", ("recovered" if score <= cutoff[s] + TIE else "improved")
        if rci > rc.z:
            return "deteriorated", "deteriorated"
        return "unchanged", "unchanged"

    rci_col, rc_col, cs_col = [], [], []
    for s, change, score in zip(
        patients["scale"], patients["_endpoint_change"], patients["_endpoint_score"], strict=True
    ):
        with np.errstate(divide="ignore", invalid="ignore"):
            rci = change / s_diff[s]
        rci_col.append(rci)
        a, b = categories(rci, score, s)
        rc_col.append(a)
        cs_col.append(b)
    at = patients.columns.get_loc("pct_change_category") + 1
    patients.insert(at, "rci", np.array(rci_col, dtype=float))
    patients.insert(at + 1, "reliable_change", pd.Categorical(rc_col, categories=RC_LEVELS))
    patients.insert(at + 2, "clinically_significant", pd.Categorical(cs_col, CS_LEVELS))
    patients["pct_change_category"] = pd.Categorical(
        patients["pct_change_category"], categories=RC_LEVELS
    )
    patients = patients.drop(columns=["_endpoint", "_endpoint_change", "_endpoint_score"])

    # CADSS: the patient's highest total, on any session
    cadss = frame[frame["scale"] == "CADSS"]
    if len(cadss):
        peak = cadss.groupby("patient_id")["score"].max()
        where = patients.columns.get_loc("relapse_event") + 1
        if "suicidality_resolved" in patients:
            where = patients.columns.get_loc("suicidality_resolved") + 1
        patients.insert(where, "peak_cadss", patients["patient_id"].map(peak).astype(float))

    patients = _tidy_patients(patients, df["session"])
    assessments = _assessments(df, pieces, chosen, s_diff, cutoff, ctx, rc)
    for out in (patients, assessments):
        out["patient_id"] = out["patient_id"].astype(object)
        out["scale"] = pd.Categorical(out["scale"], categories=chosen)
    return assessments, patients


def _tidy_patients(patients: pd.DataFrame, session: pd.Series) -> pd.DataFrame:
    """The dtypes ka.derive documents: nullable where a value can be missing."""
    for c in (
        "baseline_session",
        "last_session",
        "first_response_session",
        "first_remission_session",
        "relapse_session",
    ):
        if isinstance(session.dtype, pd.CategoricalDtype):
            patients[c] = pd.Categorical(
                patients[c], categories=session.cat.categories, ordered=True
            )
        elif pd.api.types.is_integer_dtype(session.dtype):
            patients[c] = patients[c].astype("Int64")
        else:
            patients[c] = patients[c].astype(float)
    for c in ("rapid_response", "relapse", "suicidality_resolved"):
        if c in patients:
            patients[c] = patients[c].astype("boolean")
    patients["relapse_event"] = patients["relapse_event"].astype("Int64")
    for c in (
        "ever_response",
        "sustained_response",
        "ever_remission",
        "stable_remission",
        "stable_response",
        "relapse_at_risk",
    ):
        patients[c] = patients[c].astype(bool)
    return patients.reset_index(drop=True)


def _assessments(df, pieces, chosen, s_diff, cutoff, ctx, rc) -> pd.DataFrame:
    base = ["patient_id", "scale", "session"] + (["day"] if "day" in df else []) + ["score"]
    out = df[base].reset_index(drop=True)
    if not pieces:
        return out
    for c in ("baseline", "post_baseline", "change", "pct_change"):
        out[c] = np.concatenate([piece[c] for piece in pieces])
    severity = []
    for s, sc in zip(df["scale"], df["score"], strict=True):
        bands = _scales.SCALES[s].severity
        label = None
        for band in bands:
            if sc >= band.low:
                label = band.label
        severity.append(label)
    labels = []
    for s in chosen:
        labels += [b.label for b in _scales.SCALES[s].severity if b.label not in labels]
    out["severity"] = pd.Categorical(severity, categories=labels, ordered=len(chosen) == 1)
    out["response"] = pd.array(
        np.concatenate([np.asarray(piece["response"], dtype=object) for piece in pieces]),
        dtype="boolean",
    )
    out["remission"] = np.concatenate([piece["remission"] for piece in pieces])
    rci, rcat, cs = [], [], []
    for s, ch, sc in zip(out["scale"], out["change"], out["score"], strict=True):
        with np.errstate(divide="ignore", invalid="ignore"):
            r = ch / s_diff[s]
        rci.append(r)
        if math.isnan(r):
            rcat.append(None)
            cs.append(None)
        elif r < -rc.z:
            rcat.append("improved")
            cs.append("recovered" if sc <= cutoff[s] + TIE else "improved")
        elif r > rc.z:
            rcat.append("deteriorated")
            cs.append("deteriorated")
        else:
            rcat.append("unchanged")
            cs.append("unchanged")
    out["rci"] = np.array(rci, dtype=float)
    out["reliable_change"] = pd.Categorical(rcat, categories=RC_LEVELS)
    out["clinically_significant"] = pd.Categorical(cs, categories=CS_LEVELS)
    if ctx["suicidality"]:
        out["suicidality"] = np.concatenate([piece["suicidality"] for piece in pieces])
    for c in ctx["covariates"]:
        out[c] = df[c].to_numpy()
    return out


# ----------------------------------------------------------------------------------------
# comparison
# ----------------------------------------------------------------------------------------
def _kind(dtype) -> str:
    if isinstance(dtype, pd.CategoricalDtype):
        return "category"
    if pd.api.types.is_bool_dtype(dtype):
        return "bool"
    if pd.api.types.is_integer_dtype(dtype):
        return "int"
    if pd.api.types.is_float_dtype(dtype):
        return "float"
    return "other"


def _show(x) -> str:
    return repr(x.item() if isinstance(x, np.generic) else x)


def compare_frames(
    actual: pd.DataFrame,
    expected: pd.DataFrame,
    *,
    rtol: float = 1e-12,
    atol: float = 1e-12,
    key=("patient_id", "scale"),
    columns=None,
    max_examples: int = 5,
) -> list[str]:
    """Differences between two derived frames, as readable lines ([] when they agree).

    Booleans, integers, categories and text must be equal exactly (missing where the
    other is missing); floats to ``rtol``/``atol``. Integer (int64/Int64) and boolean
    (bool/boolean) columns may differ in nullability, nothing else in kind.
    """
    problems = []
    cols = list(expected.columns) if columns is None else list(columns)
    missing = [c for c in cols if c not in actual.columns]
    if missing:
        problems.append(f"columns missing from actual: {missing}")
    extra = [c for c in actual.columns if c not in expected.columns] if columns is None else []
    if extra:
        problems.append(f"columns not in expected: {extra}")
    if len(actual) != len(expected):
        return [*problems, f"{len(actual)} rows, expected {len(expected)}"]

    def where(i: int) -> str:
        return "/".join(str(actual[k].iloc[i]) for k in key)

    for c in cols:
        if c not in actual.columns:
            continue
        a, e = actual[c], expected[c]
        if c in key:  # identifiers: text or categorical alike, compared as text
            a, e = a.astype(str), e.astype(str)
        if _kind(a.dtype) != _kind(e.dtype):
            problems.append(f"{c}: dtype {a.dtype}, expected {e.dtype}")
            continue
        if isinstance(a.dtype, pd.CategoricalDtype) and list(a.cat.categories) != list(
            e.cat.categories
        ):
            problems.append(
                f"{c}: categories {list(a.cat.categories)}, expected {list(e.cat.categories)}"
            )
        a_na, e_na = a.isna().to_numpy(), e.isna().to_numpy()
        bad = a_na != e_na
        both = ~a_na & ~e_na
        if _kind(a.dtype) == "float":
            av = a.to_numpy(dtype=float)
            ev = e.to_numpy(dtype=float)
            close = np.zeros(len(a), dtype=bool)
            close[both] = np.isclose(av[both], ev[both], rtol=rtol, atol=atol)
            bad |= both & ~close
        else:
            av = a.astype(object).to_numpy().copy()
            ev = e.astype(object).to_numpy().copy()
            av[a_na] = None  # pd.NA does not compare
            ev[e_na] = None
            bad |= both & (av != ev)
        if bad.any():
            rows = np.flatnonzero(bad)[:max_examples]
            shown = ", ".join(f"{where(i)}: {_show(a.iloc[i])} vs {_show(e.iloc[i])}" for i in rows)
            problems.append(f"{c}: {int(bad.sum())} differ (actual vs expected) e.g. {shown}")
    return problems
