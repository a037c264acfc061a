"""Validation of score frames in the canonical long format.

:func:`validate` checks a frame (docs/architecture.md §3.1) and returns a :class:`ValidationReport`
with every problem found at once, each naming the row as in the input file, the column and
what is wrong; and an audit of every row it excludes, with the reason. :class:`DataError`
carries the report and its message lists the problems.

The checks of study days are in :mod:`.days`, those of the baseline in :mod:`.baseline`;
:func:`check_scores` also returns the canonical frame of every input row (for the readers).
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from .. import scales as _scales
from .baseline import check_baseline, check_baseline_arg
from .columns import PROVENANCE, order_columns
from .context import Context, as_numeric, by_unique, canonical_patient_ids, canonical_sessions
from .days import check_day_order, check_days
from .identifiers import Shower, guard_identifiers
from .issues import add_per_row, format_number, pick_column, row_label, row_rank
from .report import ValidationReport, build_audit

__all__ = ["check_scores", "validate"]


def validate(
    frame: pd.DataFrame,
    *,
    scale: str | None = None,
    baseline: int | float | str = 0,
    allow_identifiers: Iterable[str] = (),
    allow_negative_days: bool = False,
    source: str | None = None,
) -> ValidationReport:
    """Check a score frame and report every problem at once.

    Parameters
    ----------
    frame : DataFrame
        Scores in the canonical long format (docs/architecture.md §3.1): ``patient_id``, ``session``,
        ``scale``, ``score`` and optionally ``day``, ``item_1`` ... ``item_k`` and covariates.
        A ``source_row`` column (added by the readers) gives the row numbers used in
        messages; without it the index labels are used.
    scale : str, optional
        The scale of every row, when the frame has no ``scale`` column.
    baseline : int, float, str, "first" or "last_pre", default 0
        Which assessment is the baseline: a session value (a label such as ``"pre"`` when
        ``session`` is an ordered category), the first assessment of each patient, or the
        last assessment with ``day <= 0``. Used by the baseline checks.
    allow_identifiers : iterable of str
        Columns that may look like direct identifiers (the 18 HIPAA Safe Harbor kinds:
        names, addresses and postcodes, calendar dates, phone, e-mail, SSN, record and
        other numbers, URLs, IP addresses, ..., also inside text) or hold free text (a
        text covariate with more than 20 levels and more than one level per 20
        patients); all others are refused (see :mod:`ketanalysis.validation.identifiers`).
    allow_negative_days : bool, default False
        Accept negative ``day`` values (assessments before the first treatment). Implied by
        ``baseline="last_pre"``.
    source : str, optional
        Name of the input for messages (the readers pass the file path).

    Returns
    -------
    ValidationReport
        ``frame`` (validated, excluded rows removed), ``issues``, ``audit`` and a
        ``summary()``. Call ``raise_for_errors()`` to turn errors into a :class:`DataError`.

    Notes
    -----
    Errors (the frame cannot be used):

    ``identifier``
        a column whose name or values look like a direct identifier, or a free-text
        covariate (PHI guard; values are never repeated in the message).
    ``missing_column``
        ``patient_id``, ``session``, ``scale`` (without ``scale=``) or both ``score`` and
        items missing.
    ``missing_id``, ``missing_session``, ``session_type``
        empty patient or session; session values that are text and not an ordered category.
    ``unknown_scale``, ``several_scales``
        a scale name not in the registry (the closest valid name suggested); several scales
        given without a scale column.
    ``non_numeric``, ``out_of_range``, ``not_whole``
        scores, items or days that are not numbers, outside the scale's range, or items
        that are not whole numbers.
    ``total_mismatch``
        a given total that disagrees with its items.
    ``duplicate``
        the same patient, scale and session twice with different values.
    ``day_order``
        within a patient and scale, a later session on an earlier day.
    ``day_value``
        negative (unless allowed), infinite or calendar-serial-like day values.
    ``no_baseline``
        no patient has a baseline assessment of a scale (outcome scales only: CADSS needs
        no baseline); or ``baseline="last_pre"`` without a ``day`` column.

    Warnings (the frame is usable; affected rows may be excluded, each in ``audit``):
    identical duplicate rows (kept once), missing scores, too many missing items for a
    total, prorated PHQ-9 totals, patients without a baseline assessment (excluded for that
    scale), and baseline scores of 0 (percentage change undefined).

    Examples
    --------
    >>> import ketanalysis as ka
    >>> report = ka.validate(ka.simulate_cohort(20, seed=1))
    >>> report.ok
    True
    """
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"validate() needs a pandas DataFrame, got {type(frame).__name__}")
    return check_scores(
        frame,
        scale=scale,
        baseline=baseline,
        allow_identifiers=allow_identifiers,
        allow_negative_days=allow_negative_days,
        source=source,
    )[0]


def check_scores(frame, *, scale, baseline, allow_identifiers, allow_negative_days, source):
    """Validate; return (report, canonical frame with every input row, none excluded)."""
    check_baseline_arg(frame, baseline)
    if isinstance(allow_identifiers, str):
        allow = (allow_identifiers,)
    else:
        allow = tuple(allow_identifiers or ())
    canonical, issues, excluded = _check(
        frame,
        scale=scale,
        baseline=baseline,
        allow_identifiers=allow,
        allow_negative_days=allow_negative_days,
    )
    rows = (
        canonical["source_row"].to_numpy(dtype=object)
        if "source_row" in canonical
        else np.full(len(canonical), None, dtype=object)
    )
    audit, keep = build_audit(canonical, rows, excluded, ("patient_id", "scale", "session"))
    report = ValidationReport(
        frame=canonical.loc[keep].reset_index(drop=True),
        issues=issues,
        audit=audit,
        n_rows_in=len(frame),
        source=source,
        allowed_identifiers=tuple(c for c in allow if c in frame.columns),
        baseline=baseline,
        dialect=frame.attrs.get("dialect"),
    )
    return report, canonical


def _check(frame, *, scale, baseline, allow_identifiers, allow_negative_days):
    """Canonicalise and check; return (canonical frame, issues, [(mask, reason), ...]).

    Each step below reads and updates the working frame ``ctx.df`` (canonical columns and
    types), adds issues and registers the rows it excludes; none drops a row.
    """
    ctx = Context.start(frame)
    findings = guard_identifiers(ctx, allow_identifiers)
    ctx.show = Shower({f.column for f in findings if f.by != "name"})
    if not _check_required(ctx, frame, scale):
        return order_columns(ctx.df), ctx.issues.frame(), ctx.excluded
    canonical_patient_ids(ctx)
    sessions_ok = canonical_sessions(ctx)
    unknown = _canonical_scales(ctx)
    _group_codes(ctx)
    score_nonnum, too_few_items = _check_scores_and_items(ctx, unknown)
    score = ctx.df["score"].to_numpy(dtype=float)
    no_score = np.isnan(score) & ~too_few_items & ~unknown & ~score_nonnum
    ctx.issues.add(
        "warning", "missing_score", ctx.rows[no_score], "score", "no score recorded; row excluded"
    )
    ctx.excluded.append((no_score, "score missing"))
    if "day" in ctx.df.columns:
        check_days(
            ctx.df,
            ctx.rows,
            ctx.issues,
            allow_negative_days or baseline == "last_pre",
            ctx.show,
        )
    identical = _check_duplicates(ctx, no_score)
    if sessions_ok:
        if "day" in ctx.df.columns:
            check_day_order(ctx.df, ctx.rows, ctx.issues, ctx.show)
        # rows that stay: a score, a known scale, not the copy of an identical duplicate
        has_score = ~np.isnan(score) & ~unknown & ~identical
        check_baseline(ctx.df, ctx.rows, ctx.issues, ctx.excluded, baseline, has_score, ctx.show)
    return order_columns(ctx.df.drop(columns="_group")), ctx.issues.frame(), ctx.excluded


def _group_codes(ctx: Context) -> None:
    """An integer key per patient x scale (-1 where either is missing), computed once.

    Grouping by it is much faster than by the text columns on registry-sized frames.
    """
    pcode = ctx.patient_codes
    scode = pd.Categorical(ctx.df["scale"], categories=list(_scales.SCALES)).codes
    ctx.scale_codes = scode.astype(np.int64)
    ctx.df["_group"] = np.where(
        (pcode >= 0) & (scode >= 0), pcode * len(_scales.SCALES) + scode, -1
    )


def _check_required(ctx: Context, frame: pd.DataFrame, scale) -> bool:
    """Required columns; fills ``scale`` from ``scale=``. False when checks cannot go on."""
    df, issues = ctx.df, ctx.issues
    scale_list = [scale] if isinstance(scale, str) else list(scale or [])
    if "scale" not in df.columns:
        if len(scale_list) == 1:
            df["scale"] = scale_list[0]
        elif len(scale_list) > 1:
            issues.add_one(
                "error",
                "several_scales",
                "scale",
                f"several scales given ({', '.join(map(str, scale_list))}) but the data have "
                "no scale column to say which row is which; add a 'scale' column, or read "
                "each scale separately (columns=, or from_wide with scale={column: scale})",
            )
    elif scale_list:
        _check_scale_argument(ctx, scale_list)
    missing = [c for c in ("patient_id", "session") if c not in df.columns]
    if "scale" not in df.columns and len(scale_list) <= 1:
        missing.append("scale")
    if "score" not in df.columns and not ctx.item_cols:
        missing.append("score")
    for c in missing:
        hint = {
            "scale": "add a scale column or pass scale='MADRS' (one of "
            + ", ".join(_scales.SCALES)
            + ")",
            "score": "give a total score column or item columns item_1 ... item_k",
        }.get(c, f"map your column to it with columns={{'your_name': {c!r}}}")
        issues.add_one(
            "error",
            "missing_column",
            c,
            f"required column {c!r} is missing ({hint}); columns present: "
            + ", ".join(map(str, [x for x in frame.columns if x not in PROVENANCE][:30])),
        )
    if issues.has_errors and (missing or "scale" not in df.columns):
        return False
    if "score" not in df.columns:
        df["score"] = np.nan
    return True


def _check_scale_argument(ctx: Context, scale_list) -> None:
    """``scale=`` with a scale column: every row must be of a scale given."""
    wanted = {_scales.normalize_name(str(s)) or str(s) for s in scale_list}
    raw = ctx.df["scale"].astype("string").str.strip()
    norm = raw.map({u: _scales.normalize_name(u) for u in pd.unique(raw.dropna())})
    other = (norm.notna() & ~norm.isin(wanted)).to_numpy()
    if other.any():
        found = ", ".join(sorted(set(norm[other])))
        ctx.issues.add(
            "error",
            "several_scales",
            ctx.rows[other],
            "scale",
            [
                f"scale= says {', '.join(sorted(wanted))} but this row's scale column says "
                f"{v}; scale= is for data without a scale column (this one also holds "
                f"{found}): leave it out, and select a scale later"
                for v in norm[other]
            ],
        )


def _canonical_scales(ctx: Context) -> np.ndarray:
    """Scale names to registry keys; returns the mask of rows with an unknown scale."""
    norm = by_unique(
        ctx.df["scale"],
        lambda u: u.astype("string").str.strip().map(_scales.normalize_name).astype(object),
    )
    norm = pd.Series(norm, dtype=object)
    unknown = norm.isna().to_numpy()
    raw_scale = ctx.df["scale"][unknown].astype("string").str.strip()
    if unknown.any():
        msgs = []
        for v in raw_scale:
            if pd.isna(v) or v == "":
                msgs.append("scale is empty")
                continue
            hint = None if ctx.show.masks("scale") else _scales.suggest(v)
            dym = f"did you mean {hint!r}? " if hint else ""
            msgs.append(
                f"unknown scale {ctx.show.value('scale', v)}: {dym}valid scales are "
                f"{', '.join(_scales.SCALES)}"
            )
        ctx.issues.add("error", "unknown_scale", ctx.rows[unknown], "scale", msgs)
    ctx.df["scale"] = norm.astype(object)
    return unknown


def _check_scores_and_items(ctx: Context, unknown: np.ndarray):
    """Numbers and ranges of totals and items; totals from items where none is given.

    Returns the masks of non-numeric scores and of rows with too many missing items.
    """
    df, rows, issues, show = ctx.df, ctx.rows, ctx.issues, ctx.show
    score_col, item_cols = ctx.score_col, ctx.item_cols
    score, score_nonnum = as_numeric(df["score"])
    add_per_row(
        issues,
        "non_numeric",
        rows,
        score_nonnum,
        score_col,
        df["score"],
        "score {} is not a number",
        show.render("score"),
    )
    score = score.to_numpy(dtype=float, copy=True)
    items = {}
    for c in item_cols:
        vals, nonnum = as_numeric(df[c])
        add_per_row(
            issues,
            "non_numeric",
            rows,
            nonnum,
            c,
            df[c],
            "item score {} is not a number",
            show.render(c),
        )
        items[c] = vals.to_numpy(dtype=float, copy=True)
    score_source = np.where(np.isnan(score), "", "given").astype(object)
    if "score_source" in df.columns:
        # a frame validated before (the readers' output) keeps how its totals arose
        before = df["score_source"].to_numpy(dtype=object)
        known = np.isin(before, ["items", "prorated"]) & ~np.isnan(score)
        score_source[known] = before[known]
    too_few_items = np.zeros(ctx.n, dtype=bool)
    inf = np.isinf(score)
    issues.add("error", "out_of_range", rows[inf], pick_column(score_col, inf), "score is infinite")
    codes = ctx.scale_codes
    for j in np.unique(codes[codes >= 0]):
        sc = _scales.SCALES[list(_scales.SCALES)[j]]
        _check_one_scale(ctx, sc, codes == j, score, items, score_source, too_few_items)
    df["score"] = score
    for c in item_cols:
        df[c] = items[c]
    if item_cols:
        df["score_source"] = score_source
    return score_nonnum, too_few_items


def _check_one_scale(ctx, sc, m, score, items, score_source, too_few_items) -> None:
    """Checks of the rows ``m`` of one scale; fills ``score`` from items in place."""
    rows, issues, score_col = ctx.rows, ctx.issues, ctx.score_col
    idx_m = np.flatnonzero(m)
    s = score[m]
    out = np.isfinite(s) & ((s < sc.total_min) | (s > sc.total_max))
    issues.add(
        "error",
        "out_of_range",
        rows[idx_m[out]],
        pick_column(score_col, idx_m[out]),
        [
            f"{sc.key} total {format_number(v)} is outside {format_number(sc.total_min)}-{format_number(sc.total_max)}"
            for v in s[out]
        ],
    )
    for c in items:
        if not 1 <= int(c[5:]) <= sc.n_items:
            has = m & ~np.isnan(items[c])
            issues.add(
                "error",
                "out_of_range",
                rows[has],
                c,
                f"{sc.key} has {sc.n_items} items; {c} must be empty on {sc.key} rows",
            )
    own = sc.items
    if not any(c in items for c in own):
        return
    block = np.column_stack([items[c][m] if c in items else np.full(m.sum(), np.nan) for c in own])
    for j, c in enumerate(own):
        if c not in items:
            continue
        v = block[:, j]
        hi = sc.item_max[j]
        out = (v < 0) | (v > hi)
        issues.add(
            "error",
            "out_of_range",
            rows[idx_m[out]],
            c,
            [f"{sc.key} item {j + 1} is {format_number(x)}; it must be 0-{hi}" for x in v[out]],
        )
        frac = ~np.isnan(v) & ~out & (v != np.round(v))
        issues.add(
            "error",
            "not_whole",
            rows[idx_m[frac]],
            c,
            [
                f"{sc.key} item {j + 1} is {format_number(x)}; item scores are whole numbers"
                for x in v[frac]
            ],
        )
    res = _scales.score_items(sc, block)
    given = score[m]
    has_total = ~np.isnan(res.total)
    # a prorated total may have been rounded to a whole number by whoever gave it
    tol = np.where(res.status == "prorated", 0.5 + 1e-9, 1e-6)
    mismatch = has_total & ~np.isnan(given) & (np.abs(given - res.total) > tol)
    rule = "the QIDS-SR16 domain total" if sc.scoring == "qids" else "the items sum to"
    issues.add(
        "error",
        "total_mismatch",
        rows[idx_m[mismatch]],
        pick_column(score_col, idx_m[mismatch]),
        [
            f"{sc.key} total {format_number(g)} disagrees with its items: {rule} {format_number(t)}"
            for g, t in zip(given[mismatch], res.total[mismatch], strict=True)
        ],
    )
    fill = np.isnan(given) & has_total
    score[idx_m[fill]] = res.total[fill]
    score_source[idx_m[fill]] = np.where(res.status[fill] == "prorated", "prorated", "items")
    pro = (fill | (score_source[idx_m] == "prorated")) & (res.status == "prorated")
    issues.add(
        "warning",
        "prorated",
        rows[idx_m[pro]],
        "score",
        [
            f"{sc.key} total prorated from {sc.n_items - k} answered items ({k} missing): {format_number(t)}"
            for k, t in zip(res.n_missing[pro], res.total[pro], strict=True)
        ],
    )
    short = np.isnan(given) & (res.status == "too_many_missing")
    allowed = sc.max_prorated
    rule_txt = f"at most {allowed} may be missing" if allowed else "every item is needed"
    reasons = [
        f"too many missing items for a {sc.key} total ({k} of {sc.n_items}; {rule_txt})"
        for k in res.n_missing[short]
    ]
    issues.add("warning", "missing_items", rows[idx_m[short]], "score", reasons)
    too_few_items[idx_m[short]] = True
    ctx.excluded.append((too_few_items & m, _spread(reasons, idx_m[short], ctx.n)))


def _spread(values, idx, n):
    out = np.empty(n, dtype=object)
    out[idx] = values
    return out


def _check_duplicates(ctx: Context, no_score: np.ndarray) -> np.ndarray:
    """Identical duplicates (warning, kept once) and conflicting ones (error).

    Returns the mask of identical copies, which are excluded.
    """
    df, rows, issues, show = ctx.df, ctx.rows, ctx.issues, ctx.show
    key = ["_group", "session"]
    usable = (df["_group"] >= 0) & df["session"].notna()
    identical = np.zeros(ctx.n, dtype=bool)
    if not usable.any():
        return identical
    value_cols = ["score", *(["day"] if "day" in df.columns else []), *ctx.item_cols]
    sub = df.loc[usable, key + value_cols]
    # the copy kept is the one of the lowest input row, whatever the order of the rows
    sub = sub.iloc[np.argsort(row_rank(rows)[sub.index], kind="stable")]
    dup = sub.duplicated(keep="first").to_numpy()
    identical[sub.index[dup]] = True
    if dup.any():
        gid = sub.groupby(key + value_cols, sort=False, dropna=False, observed=True).ngroup()
        first = pd.Series(sub.index).groupby(gid.to_numpy()).transform("first").to_numpy()
        copies = np.sort(sub.index[dup])  # issues in input order
        kept = dict(zip(sub.index[dup], first[dup], strict=True))
        issues.add(
            "warning",
            "duplicate",
            rows[copies],
            "",
            [f"identical duplicate of {row_label(rows[kept[i]])}; kept once" for i in copies],
        )
    ctx.excluded.insert(0, (identical, "identical duplicate row (kept once)"))
    # rows without a score are excluded anyway (see missing_score): no conflict
    rest = sub[~identical[sub.index] & ~no_score[sub.index]]
    clash = rest.duplicated(subset=key, keep=False)
    if clash.any():
        c = rest.loc[clash].join(df[["patient_id", "scale"]])
        c_rows = pd.Series(rows[c.index], index=c.index)
        grp = c_rows.groupby([c[k] for k in key], sort=False, dropna=False).transform(
            lambda r: ", ".join(map(str, r))
        )
        msgs = [
            f"patient {show.patient(p)}, {s} session {ss} recorded more than once with "
            "different values "
            f"(rows {g}; score {format_number(v) if not np.isnan(v) else 'missing'} here)"
            for p, s, ss, g, v in zip(
                c["patient_id"], c["scale"], c["session"], grp, c["score"], strict=True
            )
        ]
        issues.add("error", "duplicate", rows[c.index], "session", msgs)
    return identical
