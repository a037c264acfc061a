"""Design of an MMRM: formula to matrices, sessions, subjects, checks, reference grid.

Everything here is computed once per fit; nothing depends on the covariance parameters.
"""

from __future__ import annotations

import ast
import itertools
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd
import patsy

_MAX_LISTED = 20


@dataclass
class Design:
    """Model matrices and bookkeeping (rows sorted by subject, then session)."""

    y: np.ndarray
    X: np.ndarray
    names: list
    response: str
    subject_codes: np.ndarray
    session_codes: np.ndarray
    sessions: list
    subjects: np.ndarray
    design_info: patsy.DesignInfo
    factor_vars: dict  # variable -> levels (tuple) of categorical factors
    factor_codes: dict  # factor code ("C(VISIT)") -> variable
    covariate_means: dict  # numeric variable -> mean over the rows used
    mixed_vars: set  # variables used both as factors and as numbers
    type3: list  # (term name, L matrix)
    n_dropped: int


def _list(values) -> str:
    values = list(values)
    text = ", ".join(str(v) for v in values[:_MAX_LISTED])
    if len(values) > _MAX_LISTED:
        text += f", ... ({len(values)} in all)"
    return text


def _code_variables(code: str, columns) -> list:
    """Data columns named in a factor's Python code (``C(VISIT)`` -> ``["VISIT"]``)."""
    try:
        tree = ast.parse(code, mode="eval")
    except SyntaxError:
        return [code] if code in columns else []
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id in columns and node.id not in names:
            names.append(node.id)
    if not names and code in columns:  # Q("odd name")
        names.append(code)
    return names


def _categorical_text(frame: pd.DataFrame, formula: str) -> pd.DataFrame:
    """Text columns named in the formula as pandas categoricals (much faster in patsy).

    The categories are the sorted values, the order patsy would give them.
    """
    tokens = set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", formula))
    out = None
    for col in frame.columns:
        if col not in tokens:
            continue
        values = frame[col]
        if values.dtype == object or pd.api.types.is_string_dtype(values.dtype):
            try:
                cat = pd.Categorical(values)
            except TypeError:  # unsortable mixture: leave it to patsy
                continue
            if out is None:
                out = frame.copy()
            out[col] = cat
    return frame if out is None else out


def _fast_C(data, contrast=None, levels=None):
    """patsy's ``C()``, returning a pandas Categorical when no option is given.

    patsy converts a ``C()`` box to integer codes value by value; a Categorical with the
    sorted values as categories means the same to patsy and is converted at once.
    """
    if contrast is None and levels is None:
        if isinstance(data, pd.Series):
            data = data.array
        if isinstance(data, pd.Categorical):
            return data
        try:
            return pd.Categorical(data)
        except TypeError:
            pass
    return patsy.builtins.C(data, contrast, levels)


def _session_levels(values: pd.Series) -> list:
    if isinstance(values.dtype, pd.CategoricalDtype):
        present = set(values.dropna().unique())
        return [c for c in values.cat.categories if c in present]
    uniq = pd.unique(values.dropna())
    try:
        return sorted(uniq)
    except TypeError as err:
        raise ValueError(
            f"session: values cannot be put in time order ({_list(uniq)}); use numbers or "
            "an ordered categorical"
        ) from err


def build_design(
    data: pd.DataFrame, formula: str, subject: str, session: str, eval_env, rank_tol: float
) -> Design:
    """Build the design; raise ValueError for anything that cannot be estimated."""
    if not isinstance(formula, str) or "~" not in formula:
        raise ValueError(f"formula: expected a string such as 'y ~ x', got {formula!r}")
    for role, col in (("patient", subject), ("session", session)):
        if col not in data.columns:
            raise ValueError(f"{role}: column {col!r} is not in data")
    eval_env = eval_env.with_outer_namespace({"C": _fast_C})
    original = data.reset_index(drop=True)
    frame = _categorical_text(original, formula)
    labels = np.asarray(data.index)
    try:
        y_df, X_df = patsy.dmatrices(
            formula, frame, eval_env=eval_env, NA_action="drop", return_type="dataframe"
        )
    except patsy.PatsyError as err:
        raise ValueError(f"formula: {err}") from err
    if y_df.shape[1] != 1:
        raise ValueError(f"formula: the response must be one numeric column, got {y_df.columns}")
    used = np.asarray(y_df.index)
    bad = original.loc[used, [subject, session]].isna().any(axis=1)
    if bad.any():
        raise ValueError(
            f"{subject}/{session}: missing values in rows {_list(labels[used[bad.to_numpy()]])}"
        )
    n_dropped = len(frame) - len(used)
    if n_dropped:
        # rebuild on the rows used, so that factor levels come from them only
        frame = frame.loc[used]
        for col in frame.columns:
            if isinstance(frame[col].dtype, pd.CategoricalDtype):
                frame[col] = frame[col].cat.remove_unused_categories()
        y_df, X_df = patsy.dmatrices(
            formula, frame, eval_env=eval_env, NA_action="raise", return_type="dataframe"
        )
    original = original.loc[used]
    info = X_df.design_info
    sessions = _session_levels(original[session])
    session_codes = pd.Categorical(original[session], categories=sessions).codes.astype(np.int64)
    subject_codes, subjects = pd.factorize(original[subject], sort=True)
    dup = pd.Series(list(zip(subject_codes, session_codes, strict=True))).duplicated(keep=False)
    if dup.any():
        rows = labels[used[dup.to_numpy()]]
        raise ValueError(
            f"{subject}/{session}: more than one row for the same subject and session "
            f"(rows {_list(rows)}); an MMRM needs one outcome per subject and session"
        )
    order = np.lexsort((session_codes, subject_codes))
    X = np.asarray(X_df, dtype=float)[order]
    y = np.asarray(y_df, dtype=float)[order, 0]
    names = list(X_df.columns)
    factor_values = _factor_values(info, frame)
    _check_rank(X, names, rank_tol, lambda: _empty_cells(info, factor_values))

    columns = list(frame.columns)
    factor_vars, factor_codes, numeric_vars = {}, {}, []
    for factor, finfo in info.factor_infos.items():
        variables = _code_variables(factor.code, columns)
        if finfo.type == "categorical":
            if len(variables) == 1:
                factor_vars.setdefault(variables[0], tuple(finfo.categories))
                factor_codes[factor.code] = variables[0]
        else:
            numeric_vars += variables
    covariate_means = {}
    for var in numeric_vars:
        if var not in factor_vars and var not in covariate_means:
            values = pd.to_numeric(frame[var], errors="coerce")
            covariate_means[var] = float(values.mean())
    type3 = _type3_hypotheses(info, factor_values, len(frame), X_df.to_numpy(dtype=float))
    return Design(
        y=y,
        X=X,
        names=names,
        response=y_df.columns[0],
        subject_codes=subject_codes[order],
        session_codes=session_codes[order],
        sessions=sessions,
        subjects=np.asarray(subjects),
        design_info=info,
        factor_vars=factor_vars,
        factor_codes=factor_codes,
        covariate_means=covariate_means,
        mixed_vars=set(numeric_vars) & set(factor_vars),
        type3=type3,
        n_dropped=n_dropped,
    )


def _check_rank(X: np.ndarray, names: list, tol: float, empty_cells) -> None:
    """Raise naming the columns that are zero or linear combinations of earlier columns.

    Sweeps the Gram matrix of the unit-scaled columns in order (as SAS does): column j is
    aliased when its squared distance from the span of the earlier non-aliased columns
    is below ``tol``.
    """
    norms = np.linalg.norm(X, axis=0)
    zero = [names[j] for j in np.flatnonzero(norms == 0)]
    Xs = X / np.where(norms > 0, norms, 1.0)
    G = Xs.T @ Xs
    keep: list = []
    aliased = []
    for j in range(X.shape[1]):
        if norms[j] == 0:
            continue
        if keep:
            g = G[keep, j]
            d = G[j, j] - g @ np.linalg.solve(G[np.ix_(keep, keep)], g)
        else:
            d = G[j, j]
        if d < tol:
            aliased.append(names[j])
        else:
            keep.append(j)
    if zero or aliased:
        parts = ["the fixed-effects design is rank deficient and cannot be estimated."]
        cells = empty_cells()
        if cells:
            parts.append(f"No rows at: {_list(cells)}.")
        if zero:
            parts.append(
                f"Columns with no data (a combination of factor levels, for example a "
                f"session in one arm, that no row has): {_list(zero)}."
            )
        if aliased:
            parts.append(
                f"Columns that are linear combinations of earlier columns (aliased): "
                f"{_list(aliased)}."
            )
        parts.append(
            "Remove the term or the empty level from the data or the formula. (SAS sets "
            "aliased parameters to zero; ketanalysis refuses instead, so that no LS-mean "
            "silently becomes non-estimable.)"
        )
        raise ValueError("formula: " + " ".join(parts))


def _factor_values(info, frame) -> dict:
    """Per-row values of every factor: level codes (categorical) or an (n, k) array."""
    values = {}
    n = len(frame)
    for factor, finfo in info.factor_infos.items():
        v = factor.eval(finfo.state, frame)
        if finfo.type == "categorical":
            if isinstance(v, patsy.categorical._CategoricalBox):
                v = v.data
            if isinstance(v, pd.Series):
                v = v.array
            if not isinstance(v, pd.Categorical) or tuple(v.categories) != tuple(finfo.categories):
                v = pd.Categorical(np.asarray(v), categories=list(finfo.categories))
            values[factor] = np.asarray(v.codes)
        else:
            values[factor] = np.asarray(v, dtype=float).reshape(n, -1)
    return values


def _empty_cells(info, values) -> list:
    """Level combinations of the categorical factors of each term that no row has."""
    out = []
    for term in info.terms:
        cats = [f for f in term.factors if info.factor_infos[f].type == "categorical"]
        if len(cats) < 2:
            continue
        levels = [info.factor_infos[f].categories for f in cats]
        shape = tuple(len(lv) for lv in levels)
        flat = np.ravel_multi_index(tuple(values[f] for f in cats), shape)
        counts = np.bincount(flat, minlength=int(np.prod(shape)))
        for cell in np.flatnonzero(counts == 0):
            idx = np.unravel_index(cell, shape)
            desc = ", ".join(
                f"{f.code}={lv[i]}" for f, lv, i in zip(cats, levels, idx, strict=True)
            )
            out.append(f"{desc} (term {term.name()})")
    return out


def _type3_hypotheses(info, values, n: int, X: np.ndarray) -> list:
    """Type 3 hypotheses as SAS PROC MIXED forms them, in this fit's parameterisation.

    Every reduced-rank factor coding (patsy's treatment contrasts) is replaced by
    sum-to-zero contrasts, term by term, as patsy would build the columns; the Type 3
    hypothesis of a term is that its columns in that coding are zero. With
    ``X_sum = X T`` (same column space), ``beta_sum = T^-1 beta``, so the hypothesis
    matrix in this fit is the term's rows of ``T^-1``.
    """
    blocks, names = [], []
    for term, subterms in info.term_codings.items():
        cols = []
        for sub in subterms:
            per_factor = []
            for factor in sub.factors:
                if info.factor_infos[factor].type == "categorical":
                    m = sub.contrast_matrices[factor].matrix
                    k = m.shape[0]
                    if m.shape[1] == k - 1:
                        m = patsy.Sum().code_without_intercept(list(range(k))).matrix
                    per_factor.append(m[values[factor]])
                else:
                    per_factor.append(values[factor])
            col = np.ones((n, 1))
            for block in per_factor:  # patsy's order: the last factor varies fastest
                col = (col[:, :, None] * block[:, None, :]).reshape(n, -1)
            cols.append(col)
        blocks.append(np.hstack(cols) if cols else np.ones((n, 0)))
        names.append((term, sum(c.shape[1] for c in cols)))
    Xsum = np.hstack(blocks)
    if Xsum.shape != X.shape:  # pragma: no cover - defensive
        return []
    T = np.linalg.solve(X.T @ X, X.T @ Xsum)
    if np.abs(X @ T - Xsum).max() > 1e-6 * max(1.0, np.abs(Xsum).max()):
        return []  # pragma: no cover - defensive
    Tinv = np.linalg.inv(T)
    out = []
    start = 0
    for (term, width), name in zip(names, info.term_names, strict=True):
        if term.factors:  # not the intercept
            out.append((name, Tinv[start : start + width]))
        start += width
    return out


def reference_grid(design, at: dict | None) -> tuple[pd.DataFrame, np.ndarray]:
    """All combinations of factor levels, covariates at their means (or ``at``).

    ``design`` is a :class:`Design` or anything with its ``factor_vars``,
    ``covariate_means`` and ``mixed_vars``. Returns the grid (always every level, so that
    patsy sees the levels it was fitted with) and a mask of the rows that ``at`` keeps.
    """
    at = dict(at or {})
    keep = {}
    for var, lev in design.factor_vars.items():
        if var in at:
            want = at.pop(var)
            want = list(want) if isinstance(want, (list, tuple, np.ndarray, pd.Index)) else [want]
            unknown = [w for w in want if w not in lev]
            if unknown:
                raise ValueError(f"at: {var} has no level(s) {_list(unknown)}; levels {lev}")
            keep[var] = want
    covs = dict(design.covariate_means)
    for var, value in at.items():
        if var not in covs:
            raise ValueError(
                f"at: {var!r} is not a covariate or factor of the model "
                f"(factors {list(design.factor_vars)}, covariates {list(covs)})"
            )
        covs[var] = float(value)
    levels = design.factor_vars
    combos = list(itertools.product(*levels.values())) if levels else [()]
    grid = pd.DataFrame(combos, columns=list(levels))
    mask = np.ones(len(grid), dtype=bool)
    for var, want in keep.items():
        mask &= grid[var].isin(want).to_numpy()
    for var, lev in levels.items():
        if var not in design.mixed_vars:
            grid[var] = pd.Categorical(grid[var], categories=list(lev))
    for var, value in covs.items():
        grid[var] = value
    return grid, mask


def grid_matrix(design, grid: pd.DataFrame) -> np.ndarray:
    """The design matrix rows of a reference grid."""
    (Xg,) = patsy.build_design_matrices([design.design_info], grid, NA_action="raise")
    return np.asarray(Xg, dtype=float)
