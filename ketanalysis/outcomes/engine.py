"""The vectorised derivation engine behind :func:`ketanalysis.derive`.

:class:`Engine` derives every per-assessment and per-patient column of
:class:`ketanalysis.Outcomes` on numpy arrays sorted by patient, scale and session, with
segment reductions (``ufunc.reduceat``) and cumulative sums: no Python loop runs per
patient, so a registry of a million patients derives in seconds (``benchmarks/derive.py``).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from .. import scales as _scales
from ..validation import DataWarning
from ..validation.columns import PROVENANCE, is_item

__all__ = ["CS_LEVELS", "RC_LEVELS", "Engine"]


_BIG = np.iinfo(np.int64).max


_EPS = 1e-9  # tolerance for ties at a threshold (50 % of 30 is 15 exactly)


# Absolute tolerance for ties of a reduction with a fraction of the baseline: totals are at
# most 92, so rounding errors are below 1e-12, and distinct totals (prorated PHQ-9
# included) differ by far more than 1e-7.
_TIE = 1e-7


_STRUCTURAL = {"patient_id", "session", "day", "scale", "score", "score_source", *PROVENANCE}


#: Categories of reliable change (and of ``pct_change_category``), in order.
RC_LEVELS = ["improved", "unchanged", "deteriorated"]


#: Categories of clinically significant change (Jacobson-Truax), in order.
CS_LEVELS = ["recovered", "improved", "unchanged", "deteriorated"]


class Engine:
    """Vectorised derivation over rows sorted by patient, scale and session."""

    def __init__(
        self, frame, scales_, crit, baseline, endpoint, scale_codes, scale_names, per_scale=None
    ):
        self.per_scale = per_scale
        self.crit = crit
        self.scales = list(scales_)
        self.baseline = baseline
        self.endpoint = endpoint
        self.frame = frame
        self.has_day = "day" in frame.columns
        # the frame's scale codes -> position in self.scales (-1: not derived)
        to_chosen = np.array(
            [self.scales.index(n) if n in self.scales else -1 for n in scale_names] + [-1],
            dtype=np.int64,
        )
        scode = to_chosen[scale_codes]
        self.cadss_rows = (
            scale_codes == scale_names.index("CADSS") if "CADSS" in scale_names else None
        )
        outcome = scode >= 0
        if outcome.all():
            self.df, self._scode = frame, scode
        else:
            self.df, self._scode = frame.loc[outcome], scode[outcome]
        # days whenever the data have a day column: the unit must not depend on other
        # patients (nor on whether any of them has a day), so a patient whose day is
        # missing where a time is needed gets a missing time
        self.time_unit = "days" if self.has_day else "sessions"
        if self.has_day and len(self.df) and self.df["day"].isna().all():
            warnings.warn(
                "the column 'day' has no value in the rows of the outcome scales, so every "
                "time_to_* is missing; drop the column (frame.drop(columns='day')) to count "
                "time in sessions",
                DataWarning,
                stacklevel=3,
            )

    # -- set-up ---------------------------------------------------------------------------
    def _arrays(self):
        df = self.df
        pcode, self.patient_ids = pd.factorize(df["patient_id"], sort=True)
        scode = self._scode
        session = df["session"]
        if isinstance(session.dtype, pd.CategoricalDtype):
            skey = session.cat.codes.to_numpy().astype(float)
            self.session_categories = session.cat.categories
        else:
            skey = session.to_numpy(dtype=float)
            self.session_categories = None
        day = df["day"].to_numpy(dtype=float) if self.has_day else None
        g = pcode.astype(np.int64) * len(self.scales) + scode
        # (patient, scale, session) is unique after validation, so (g, session) orders the
        # rows; an O(n) check skips the sort for data that are already in order
        in_order = (g[1:] > g[:-1]) | ((g[1:] == g[:-1]) & (skey[1:] > skey[:-1]))
        order = None if in_order.all() else np.lexsort((skey, g))
        del in_order, g
        take = (lambda a: a) if order is None else (lambda a: a[order])
        self.order = order
        self.pcode, self.scode, self.skey = take(pcode), take(scode), take(skey)
        self.day = take(day) if day is not None else None
        self.score = take(df["score"].to_numpy(dtype=float))
        self.n = n = len(self.score)
        g = self.pcode * len(self.scales) + self.scode
        start = np.empty(n, dtype=bool)
        start[:1] = True
        start[1:] = g[1:] != g[:-1]
        self.starts = np.flatnonzero(start)
        self.ends = np.r_[self.starts[1:], n] - 1
        self.gid = (np.cumsum(start) - 1).astype(np.int32 if n < 2**31 else np.int64)
        self.ng = len(self.starts)
        self.idx = np.arange(n)

    def _rows(self, column):
        values = self.df[column].to_numpy()
        return values if self.order is None else values[self.order]

    def _first(self, mask):
        """Per group: position of the first row where mask holds (-1 if none)."""
        pos = np.minimum.reduceat(np.where(mask, self.idx, _BIG), self.starts)
        return np.where(pos == _BIG, -1, pos)

    def _last(self, mask):
        """Per group: position of the last row where mask holds (-1 if none)."""
        return np.maximum.reduceat(np.where(mask, self.idx, -1), self.starts)

    def _count(self, mask):
        return np.add.reduceat(mask.astype(np.int64), self.starts)

    def _at(self, values, pos, fill=np.nan):
        """values[pos] per group, ``fill`` where pos is -1."""
        out = np.full(len(pos), fill, dtype=float)
        ok = pos >= 0
        out[ok] = values[pos[ok]]
        return out

    def _time(self, pos):
        """The time axis (day, or session key) at positions."""
        axis = self.day if self.time_unit == "days" else self.skey
        return self._at(axis, pos)

    # -- derivation -----------------------------------------------------------------------
    def run(self):
        self._arrays()
        crit = self.crit
        gid = self.gid
        thr_rem = self._per_scale([self.remission_threshold(s) for s in self.scales])
        base_pos = self._baseline_positions()
        self.base_pos = base_pos
        base = self.score[base_pos[gid]]
        self.base = base
        post = self.idx > base_pos[gid]
        change = self.score - base
        with np.errstate(divide="ignore", invalid="ignore"):
            pct = np.where(base != 0, change / base, np.nan)
        defined = post & (base != 0)
        resp = defined & (-change >= crit.response.min_reduction * base - _TIE)
        resp_na = post & (base == 0)
        remis = post & (self.score <= thr_rem + _EPS)
        self.resp, self.remis, self.post, self.change, self.pct = resp, remis, post, change, pct

        params, sdiff_row, cutoff_row = self._reliable_parameters(base)
        with np.errstate(divide="ignore", invalid="ignore"):
            rci = change / sdiff_row
        z = crit.reliable_change.z
        # int8 codes: improved 0, unchanged 1, deteriorated 2 (clinically significant:
        # recovered 0, improved 1, unchanged 2, deteriorated 3); -1 where rci is missing
        rc_code = np.ones(self.n, dtype=np.int8)
        rc_code[rci < -z] = 0
        rc_code[rci > z] = 2
        cs_code = rc_code + np.int8(1)
        cs_code[(rc_code == 0) & (self.score <= cutoff_row + _EPS)] = 0
        missing = np.isnan(rci)
        rc_code[missing] = -1
        cs_code[missing] = -1
        del missing

        assessments = self._assessment_frame(
            base, post, change, pct, resp, resp_na, remis, rci, rc_code, cs_code
        )
        patients = self._patient_frame(base, rci, rc_code, cs_code, thr_rem)
        return assessments, patients, params

    def _baseline_positions(self):
        b = self.baseline
        if b == "first":
            return self.starts.copy()
        if b == "last_pre":
            pos = self._last(self.day <= 0) if self.day is not None else np.full(self.ng, -1)
        else:
            if self.session_categories is not None:
                key = float(list(self.session_categories).index(b))
            else:
                key = float(b)
            pos = self._first(self.skey == key)
        if (pos < 0).any():  # validation excludes these; a defensive message
            raise ValueError(f"{int((pos < 0).sum())} patient x scale groups lack a baseline")
        return pos

    def _endpoint_positions(self):
        """Endpoint per group: the named session, or the last post-baseline row."""
        if self.endpoint is not None:
            if self.session_categories is not None:
                key = float(list(self.session_categories).index(self.endpoint))
            else:
                key = float(self.endpoint)
            return self._first(self.skey == key)
        return self._last(self.post)

    def remission_threshold(self, scale):
        """The remission threshold of ``scale``: its own criteria's (``per_scale``)."""
        crit = (self.per_scale or {}).get(scale, self.crit)
        return crit.remission.threshold_for(scale)

    def _per_scale(self, values):
        """A value per scale as a scalar (one scale) or spread to the rows (several)."""
        values = np.asarray(values, dtype=float)
        return float(values[0]) if len(values) == 1 else values[self.scode]

    def _reliable_parameters(self, base):
        rc = self.crit.reliable_change
        end_pos = self._endpoint_positions()
        rows = []
        sdiff = np.empty(len(self.scales))
        cutoff = np.empty(len(self.scales))
        group_scale = self.scode[self.starts]
        base_g = base[self.starts]
        for j, s in enumerate(self.scales):
            in_scale = group_scale == j
            with_end = in_scale & (end_pos >= 0)
            sd = rc.sd
            if sd is None:
                vals = base_g[with_end]
                sd = float(np.std(vals, ddof=1)) if len(vals) > 1 else np.nan
            sdiff[j] = np.sqrt(2.0) * sd * np.sqrt(1.0 - rc.reliability)
            cut = rc.cutoff if rc.cutoff is not None else self.remission_threshold(s)
            cutoff[j] = np.nan if cut is None else cut
            rows.append(
                {
                    "scale": s,
                    "remission_threshold": self.remission_threshold(s),
                    "rc_sd": sd,
                    "rc_sd_source": "given"
                    if rc.sd is not None
                    else "baseline SD of patients with an endpoint",
                    "rc_reliability": rc.reliability,
                    "rc_s_diff": sdiff[j],
                    "rc_cutoff": cutoff[j],
                    "n_patients": int(in_scale.sum()),
                    "n_with_endpoint": int(with_end.sum()),
                    "n_assessments": int((self.scode == j).sum()),
                }
            )
        self.end_pos = end_pos
        return pd.DataFrame(rows), self._per_scale(sdiff), self._per_scale(cutoff)

    # -- output frames --------------------------------------------------------------------
    def _assessment_frame(self, base, post, change, pct, resp, resp_na, remis, rci, rc, cs):
        out = {
            "patient_id": pd.Series(
                self.patient_ids.to_numpy(dtype=object)[self.pcode], dtype=object
            ),
            "scale": pd.Categorical.from_codes(self.scode, self.scales),
            "session": self._rows("session"),
        }
        if self.has_day:
            out["day"] = self.day
        out["score"] = self.score
        out["baseline"] = base
        out["post_baseline"] = post
        out["change"] = change
        out["pct_change"] = pct
        out["severity"] = self._severity()
        out["response"] = pd.arrays.BooleanArray(resp, resp_na)
        out["remission"] = remis
        out["rci"] = rci
        out["reliable_change"] = pd.Categorical.from_codes(rc, RC_LEVELS)
        out["clinically_significant"] = pd.Categorical.from_codes(cs, CS_LEVELS)
        suic = self._suicidality()
        if suic is not None:
            out["suicidality"] = suic
        frame = pd.DataFrame(out, copy=False)
        if isinstance(self.df["session"].dtype, pd.CategoricalDtype):
            frame["session"] = pd.Categorical(
                frame["session"], categories=self.session_categories, ordered=True
            )
        for c in self._covariates():
            frame[c] = self._rows(c)
        return frame

    def _severity(self):
        labels: list[str] = []
        for s in self.scales:
            for band in _scales.SCALES[s].severity:
                if band.label not in labels:
                    labels.append(band.label)
        codes = np.full(self.n, -1, dtype=np.int8)
        for j, s in enumerate(self.scales):
            bands = _scales.SCALES[s].severity
            if not bands:
                continue
            lows = np.array([b.low for b in bands])
            mapping = np.array([labels.index(b.label) for b in bands] + [-1], dtype=np.int8)
            if len(self.scales) == 1:
                score = self.score
                pos = np.searchsorted(lows, score, side="right") - 1
                pos[(pos < 0) | np.isnan(score)] = len(bands)  # -> the trailing -1
                codes = mapping[pos]
            else:
                m = self.scode == j
                score = self.score[m]
                pos = np.searchsorted(lows, score, side="right") - 1
                pos[(pos < 0) | np.isnan(score)] = len(bands)
                codes[m] = mapping[pos]
        ordered = len(self.scales) == 1
        return pd.Categorical.from_codes(codes, labels, ordered=ordered, validate=False)

    def _suicidality(self):
        cols = {}
        for j, s in enumerate(self.scales):
            item = _scales.SCALES[s].suicidality_item
            col = f"item_{item}" if item else None
            if col and col in self.df.columns:
                cols[j] = col
        if not cols:
            return None
        out = np.full(self.n, np.nan)
        for j, col in cols.items():
            m = self.scode == j
            out[m] = self._rows(col).astype(float)[m]
        return out

    def _covariates(self):
        return [c for c in self.df.columns if c not in _STRUCTURAL and not is_item(c)]

    def _patient_frame(self, base, rci, rc_code, cs_code, thr_rem):
        crit = self.crit
        starts, ends = self.starts, self.ends
        bp = self.base_pos
        p: dict[str, object] = {
            "patient_id": pd.Series(
                self.patient_ids.to_numpy(dtype=object)[self.pcode[starts]], dtype=object
            ),
            "scale": pd.Categorical.from_codes(self.scode[starts], self.scales),
            "baseline": base[starts],
            "baseline_session": self._session_at(bp),
        }
        if self.has_day:
            p["baseline_day"] = self.day[bp]
        p["n_assessments"] = ends - starts + 1
        p["n_post_baseline"] = self._count(self.post)
        p["last_session"] = self._session_at(ends)
        if self.has_day:
            p["last_day"] = self.day[ends]
        p["last_score"] = self.score[ends]
        p["last_change"] = self.change[ends]
        p["last_pct_change"] = self.pct[ends]
        if self.endpoint is not None:
            ep = self.end_pos
            p["endpoint_score"] = self._at(self.score, ep)
            p["endpoint_change"] = self._at(self.change, ep)
            p["endpoint_pct_change"] = self._at(self.pct, ep)
        ep = self.end_pos
        p.update(self._change_categories(ep, rci, rc_code, cs_code))

        first_resp = self._first(self.resp)
        p["ever_response"] = first_resp >= 0
        p["first_response_session"] = self._session_at(first_resp)
        if self.has_day:
            p["first_response_day"] = self._at(self.day, first_resp)
        p["rapid_response"] = self._rapid(first_resp)
        p["sustained_response"] = self._sustained(first_resp)
        first_rem = self._first(self.remis)
        p["ever_remission"] = first_rem >= 0
        p["first_remission_session"] = self._session_at(first_rem)
        if self.has_day:
            p["first_remission_day"] = self._at(self.day, first_rem)
        rem_hits = self._stable_remission_rows(thr_rem)
        resp_hits = self._stable_response_rows()
        sr_pos = self._until_pos(crit.stable_remission.until)
        st_pos = self._until_pos(crit.stable_response.until)
        stable_rem = self._rolling(rem_hits, crit.stable_remission, sr_pos)
        stable_resp = self._rolling(resp_hits, crit.stable_response, st_pos)
        if crit.stable_response.exclude_stable_remission:
            stable_resp &= ~stable_rem
        p["stable_remission"] = stable_rem
        p["stable_response"] = stable_resp

        t0 = self._time(bp)
        t_last = self._time(ends)
        for name, first in (("response", first_resp), ("remission", first_rem)):
            event = first >= 0
            p[f"time_to_{name}"] = np.where(event, self._time(first), t_last) - t0
            p[f"{name}_event"] = event.astype(np.int64)
        p.update(self._relapse(thr_rem, rem_hits, resp_hits, t_last))
        p.update(self._suicidality_patients())
        cadss = self._peak_cadss()
        if cadss is not None:
            p["peak_cadss"] = cadss
        frame = pd.DataFrame(p, copy=False)
        for c in self._covariates():
            frame[c] = self._rows(c)[bp]
        return frame

    def _session_at(self, pos):
        sessions = self._rows("session")
        if self.session_categories is not None:
            codes = np.where(pos >= 0, self.skey[np.maximum(pos, 0)], -1).astype(int)
            return pd.Categorical.from_codes(codes, self.session_categories, ordered=True)
        out = self._at(self.skey, pos)
        if pd.api.types.is_integer_dtype(sessions.dtype):
            # nullable whatever the cohort, so the dtype never depends on other patients
            missing = np.isnan(out)
            return pd.arrays.IntegerArray(np.where(missing, 0, out).astype(np.int64), missing)
        return out

    def _at_bool(self, values, pos):
        out = np.zeros(len(pos), dtype=bool)
        ok = pos >= 0
        out[ok] = values[pos[ok]]
        return out

    def _change_categories(self, ep, rci, rc_code, cs_code):
        pc = self.crit.percent_change
        pct = self._at(self.pct, ep)
        cat = np.where(
            np.isnan(pct),
            -1,
            np.where(
                pct <= -pc.improvement + _EPS,
                0,
                np.where(pct >= pc.deterioration_threshold - _EPS, 2, 1),
            ),
        )
        rc = np.where(ep >= 0, rc_code[np.maximum(ep, 0)], -1)
        cs = np.where(ep >= 0, cs_code[np.maximum(ep, 0)], -1)
        return {
            "pct_change_category": pd.Categorical.from_codes(cat, RC_LEVELS),
            "rci": self._at(rci, ep),
            "reliable_change": pd.Categorical.from_codes(rc, RC_LEVELS),
            "clinically_significant": pd.Categorical.from_codes(cs, CS_LEVELS),
        }

    def _rapid(self, first_resp):
        rr = self.crit.rapid_response
        if rr.at is not None:
            window = self.post & (self.skey == self._session_key(rr.at))
        elif self.has_day:
            window = self.post & (self.day >= rr.min_day) & (self.day <= rr.max_day)
        else:
            window = np.zeros(self.n, dtype=bool)
        pos = self._first(window)
        ok = pos >= 0
        at = np.maximum(pos, 0)
        values = ok & self.resp[at]
        undefined = ~ok | np.isnan(self.pct[at])
        return pd.arrays.BooleanArray(values & ~undefined, undefined)

    def _session_key(self, value) -> float:
        if self.session_categories is not None:
            return float(list(self.session_categories).index(value))
        return float(value)

    def _until_pos(self, until):
        """Per group: last post-baseline row at or before ``until`` (None: the last)."""
        if until is None:
            return self._last(self.post)
        return self._last(self.post & (self.skey <= self._session_key(until)))

    def _sustained(self, first_resp):
        sr = self.crit.sustained_response
        end = self._until_pos(sr.until)
        lapses_c = np.r_[0, np.cumsum(self.post & ~self.resp)]
        ok = (first_resp >= 0) & (end >= first_resp)
        start = np.maximum(first_resp, 0)
        stop = np.maximum(end, 0)
        n_in = np.where(ok, stop - start + 1, 0)
        lapses = np.where(ok, lapses_c[stop + 1] - lapses_c[start], 0)
        return ok & (n_in >= sr.min_assessments) & (lapses <= sr.allowed_lapses)

    def _stable_remission_rows(self, thr_rem):
        t = self.crit.stable_remission.threshold
        thr = thr_rem if t is None else float(t)
        return self.post & (self.score <= thr + _EPS)

    def _stable_response_rows(self):
        mr = self.crit.stable_response.min_reduction
        base = self.base
        return self.post & (base != 0) & (-self.change >= mr * base - _TIE)

    def _rolling(self, hits, rule, pos=None):
        """At least ``rule.k`` hits among the last ``rule.n`` post-baseline rows.

        Per group at the positions ``pos`` (-1: no such row, False), or per row when
        ``pos`` is None (each row then ends its own window).
        """
        c = np.r_[0, np.cumsum(hits)]
        if pos is None:
            i, fp, ok = self.idx, (self.base_pos + 1)[self.gid], self.post
        else:
            i, fp, ok = np.maximum(pos, 0), self.base_pos + 1, pos >= 0
        lo = np.maximum(i - rule.n + 1, fp)
        count = c[i + 1] - c[np.minimum(lo, i + 1)]
        return ok & (count >= rule.k)

    def _entry_state(self, entry, rem_hits, resp_hits):
        """Per row: the relapse entry state holds."""
        if entry == "response":
            return self.resp
        if entry == "remission":
            return self.remis
        stable_rem = self._rolling(rem_hits, self.crit.stable_remission)
        if entry == "stable_remission":
            return stable_rem
        stable_resp = self._rolling(resp_hits, self.crit.stable_response)
        if self.crit.stable_response.exclude_stable_remission:
            stable_resp = stable_resp & ~stable_rem
        return stable_resp

    def _relapse(self, thr_rem, rem_hits, resp_hits, t_last):
        rl = self.crit.relapse
        state = self._entry_state(rl.entry, rem_hits, resp_hits)
        if rl.anchor is None:
            entry = self._first(state)
            at_risk = entry >= 0
        else:
            key = self._session_key(rl.anchor)
            entry = self._last(self.skey <= key)
            # in the entry state at the anchor, and still followed there (an assessment at
            # or after the anchor): a patient who left before it was never at risk
            followed = self._last(self.skey >= key) >= 0
            at_risk = (entry >= 0) & followed & self._at_bool(state, entry)
        entry_row = np.where(at_risk, entry, _BIG)[self.gid]
        after = self.idx > entry_row
        if rl.condition == "score":
            cond = self.score >= rl.threshold - _EPS
        elif rl.condition == "loss_of_response":
            cond = ~self.resp & ~np.isnan(self.pct)
        else:
            cond = self.score > thr_rem + _EPS
        cond = cond & after
        link = np.zeros(self.n, dtype=bool)
        link[1:] = cond[1:] & cond[:-1] & (self.gid[1:] == self.gid[:-1])
        if rl.min_gap_days is not None or rl.max_gap_days is not None:
            if self.day is None:
                raise ValueError("Relapse gap limits in days need a day column")
            gap = np.r_[np.nan, np.diff(self.day)]
            if rl.min_gap_days is not None:
                link &= gap >= rl.min_gap_days - _EPS
            if rl.max_gap_days is not None:
                link &= gap <= rl.max_gap_days + _EPS
        if rl.max_session_gap is not None:
            sgap = np.r_[np.nan, np.diff(self.skey)]
            link &= sgap <= rl.max_session_gap + _EPS
        # run length of consecutive linked condition rows ending at each row
        small = np.int32 if self.n < 2**31 else np.int64  # halves these 20 M-row arrays
        idx = self.idx.astype(small, copy=False)
        run_start = np.where(cond & ~link, idx, small(-1))
        del link
        last_start = np.maximum.accumulate(run_start)
        del run_start
        length = np.where(cond, idx - last_start + 1, small(0))
        del last_start
        hit = length >= rl.consecutive
        if rl.event_column is not None:
            flag = pd.Series(self._rows(rl.event_column)).fillna(False).astype(bool).to_numpy()
            hit |= flag & after
        first = self._first(hit)
        relapse = at_risk & (first >= 0)
        origin = self._time(np.where(at_risk, entry, -1))
        t = np.where(relapse, self._time(first), t_last) - origin
        out = {
            "relapse_at_risk": at_risk,
            "relapse": pd.arrays.BooleanArray(relapse, ~at_risk),
            "relapse_session": self._session_at(np.where(relapse, first, -1)),
        }
        if self.has_day:
            out["relapse_day"] = self._at(self.day, np.where(relapse, first, -1))
        out["time_to_relapse"] = np.where(at_risk, t, np.nan)
        out["relapse_event"] = pd.arrays.IntegerArray(relapse.astype(np.int64), ~at_risk)
        return out

    def _suicidality_patients(self):
        suic = self._suicidality()
        if suic is None:
            return {}
        present = ~np.isnan(suic)
        at_base = suic[self.base_pos]
        last_pos = self._last(present & self.post)
        last = self._at(suic, last_pos)
        known = ~np.isnan(at_base) & ~np.isnan(last) & (at_base > 0)
        return {
            "suicidality_baseline": at_base,
            "suicidality_last": last,
            "suicidality_resolved": pd.arrays.BooleanArray(known & (last == 0), ~known),
        }

    def _peak_cadss(self):
        if self.cadss_rows is None:
            return None
        cadss = self.frame[self.cadss_rows]
        peak = cadss.groupby("patient_id", sort=False)["score"].max()
        pid = self.patient_ids.to_numpy(dtype=object)[self.pcode[self.starts]]
        return peak.reindex(pid).to_numpy(dtype=float)
