"""Registry of the rating scales ketanalysis understands.

Each :class:`Scale` records the number of items and their ranges, the total range, the
severity bands, the default remission threshold, the suicidality item and how the total is
computed from items, together with the published source of every number.

=========  =====  ===========  =========  ==================  ===========  ==================
key        items  item range   total      remission (default) suicidality  scoring
=========  =====  ===========  =========  ==================  ===========  ==================
MADRS      10     0-6          0-60       <= 10               item 10      sum
PHQ9       9      0-3          0-27       <= 4 (< 5)          item 9       sum, 1-2 prorated
HAMD17     17     0-4 / 0-2    0-52       <= 7                item 3       sum
QIDS_SR16  16     0-3          0-27       <= 5                item 12      9 domains
BDI2       21     0-3          0-63       <= 13               item 9       sum
GAD7       7      0-3          0-21       <= 4 (< 5)          -            sum
CADSS      23     0-4          0-92       -                   -            sum
=========  =====  ===========  =========  ==================  ===========  ==================

Sources
-------
MADRS
    Montgomery SA, Åsberg M. A new depression scale designed to be sensitive to change.
    Br J Psychiatry 1979;134:382-389 (10 items, each 0-6). Severity bands 0-6 normal,
    7-19 mild, 20-34 moderate, 35-60 severe: Snaith RP, Harrop FM, Newby DA, Teale C.
    Grade scores of the Montgomery-Åsberg Depression and Clinical Anxiety Scales.
    Br J Psychiatry 1986;148:599-601. Remission <= 10, the threshold of ketamine trials
    (e.g. Zarate CA et al. Arch Gen Psychiatry 2006;63:856-864; Hawley CJ et al.
    Hum Psychopharmacol 2002;17:15-21); esketamine phase 3 trials used <= 12 (Daly EJ et al.
    JAMA Psychiatry 2019;76:893-903). Item 10 is "suicidal thoughts".
PHQ9
    Kroenke K, Spitzer RL, Williams JBW. The PHQ-9: validity of a brief depression severity
    measure. J Gen Intern Med 2001;16:606-613 (9 items 0-3; bands 0-4 minimal, 5-9 mild,
    10-14 moderate, 15-19 moderately severe, 20-27 severe; remission < 5). Item 9 asks about
    thoughts of death or self-harm. Missing items: with one or two items unanswered the mean
    of the answered items is substituted for each missing one (the prorating rule of the
    PHQ instruction manual, Pfizer/phqscreeners.com); with more missing no total is given.
HAMD17
    Hamilton M. A rating scale for depression. J Neurol Neurosurg Psychiatry 1960;23:56-62.
    Items 1-3, 7-11 and 15 are scored 0-4; items 4-6, 12-14, 16 and 17 are scored 0-2
    (total 0-52). Bands 0-7 no depression, 8-16 mild, 17-23 moderate, >= 24 severe, and
    remission <= 7: Zimmerman M, Martinez JH, Young D, Chelminski I, Dalrymple K. Severity
    classification on the Hamilton Depression Rating Scale. J Affect Disord
    2013;150:384-388. Item 3 is "suicide".
QIDS_SR16
    Rush AJ, Trivedi MH, Ibrahim HM, et al. The 16-item Quick Inventory of Depressive
    Symptomatology (QIDS), clinician rating (QIDS-C), and self-report (QIDS-SR).
    Biol Psychiatry 2003;54:573-583. 16 items 0-3 scored as 9 DSM-IV domains: the highest of
    the sleep items 1-4, item 5 (sad mood), the highest of the appetite/weight items 6-9,
    items 10-14, the highest of the psychomotor items 15-16 (total 0-27). Bands 0-5 none,
    6-10 mild, 11-15 moderate, 16-20 severe, 21-27 very severe; remission <= 5.
    Item 12 is "thoughts of death or suicide".
BDI2
    Beck AT, Steer RA, Brown GK. Manual for the Beck Depression Inventory-II. San Antonio,
    TX: Psychological Corporation; 1996. 21 items 0-3 (total 0-63); bands 0-13 minimal,
    14-19 mild, 20-28 moderate, 29-63 severe; remission <= 13 (the "minimal" band). Item 9
    is "suicidal thoughts or wishes".
GAD7
    Spitzer RL, Kroenke K, Williams JBW, Löwe B. A brief measure for assessing generalized
    anxiety disorder: the GAD-7. Arch Intern Med 2006;166:1092-1097. 7 items 0-3 (total
    0-21); bands 0-4 minimal, 5-9 mild, 10-14 moderate, 15-21 severe; remission < 5.
CADSS
    Bremner JD, Krystal JH, Putnam FW, et al. Measurement of dissociative states with the
    Clinician-Administered Dissociative States Scale (CADSS). J Trauma Stress
    1998;11:125-136. The 23 subjective items (each 0-4, total 0-92) used to monitor
    dissociation in ketamine and esketamine sessions (e.g. Daly EJ et al. 2019). It is a
    tolerability measure, not an outcome: no severity bands and no remission threshold.
    Esketamine trials counted a total > 4 as dissociation.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

__all__ = [
    "SCALES",
    "Scale",
    "SeverityBand",
    "get",
    "item_columns",
    "names",
    "normalize_name",
    "score_items",
]


@dataclass(frozen=True)
class SeverityBand:
    """A severity band: totals from ``low`` to ``high`` inclusive."""

    label: str
    low: float
    high: float


@dataclass(frozen=True)
class Scale:
    """One rating scale.

    Attributes
    ----------
    key : str
        Registry key, as used in the ``scale`` column (``"MADRS"``).
    name : str
        Full name, for labels ("Montgomery-Åsberg Depression Rating Scale").
    label : str
        Short label for axes and tables ("MADRS").
    item_max : tuple of int
        Maximum of each item; every item's minimum is 0.
    total_min, total_max : float
        Range of the total score.
    severity : tuple of SeverityBand
        Consecutive bands covering the total range (empty for CADSS).
    remission_threshold : float or None
        Default remission: total ``<=`` this value.
    suicidality_item : int or None
        1-based number of the item on suicidal thoughts.
    scoring : {"sum", "qids"}
        How the total is computed from items.
    max_prorated : int
        Largest number of missing items for which the total is prorated (PHQ-9: 2).
    source : str
        Short citation of the primary source; the module docstring has the full list.
    """

    key: str
    name: str
    label: str
    item_max: tuple[int, ...]
    total_min: float
    total_max: float
    severity: tuple[SeverityBand, ...] = ()
    remission_threshold: float | None = None
    suicidality_item: int | None = None
    scoring: str = "sum"
    max_prorated: int = 0
    source: str = ""
    aliases: tuple[str, ...] = field(default=(), repr=False)

    @property
    def n_items(self) -> int:
        """Number of items."""
        return len(self.item_max)

    @property
    def items(self) -> list[str]:
        """Canonical item column names, ``item_1`` ... ``item_k``."""
        return item_columns(self.n_items)

    def severity_of(self, scores) -> pd.Categorical:
        """Severity band label of each total (missing where the total is missing).

        Totals between two integer bands (possible after PHQ-9 prorating) belong to the
        lower band when below the next band's lower bound.
        """
        scores = np.asarray(scores, dtype=float)
        labels = [b.label for b in self.severity]
        if not labels:
            return pd.Categorical([None] * len(scores), categories=[])
        lows = np.array([b.low for b in self.severity])
        codes = np.searchsorted(lows, scores, side="right") - 1
        codes = np.where(np.isnan(scores) | (codes < 0), -1, codes)
        return pd.Categorical.from_codes(codes, categories=labels, ordered=True)


def item_columns(n: int) -> list[str]:
    """Canonical item column names ``item_1`` ... ``item_n``."""
    return [f"item_{i}" for i in range(1, n + 1)]


def _bands(*spec: tuple[str, float, float]) -> tuple[SeverityBand, ...]:
    return tuple(SeverityBand(label, low, high) for label, low, high in spec)


SCALES: Mapping[str, Scale] = {
    s.key: s
    for s in (
        Scale(
            key="MADRS",
            name="Montgomery-Åsberg Depression Rating Scale",
            label="MADRS",
            item_max=(6,) * 10,
            total_min=0,
            total_max=60,
            severity=_bands(
                ("normal", 0, 6), ("mild", 7, 19), ("moderate", 20, 34), ("severe", 35, 60)
            ),
            remission_threshold=10,
            suicidality_item=10,
            source="Montgomery & Åsberg 1979; bands Snaith et al. 1986",
            aliases=("MADRS10", "MADRS-10", "MONTGOMERYASBERG"),
        ),
        Scale(
            key="PHQ9",
            name="Patient Health Questionnaire-9",
            label="PHQ-9",
            item_max=(3,) * 9,
            total_min=0,
            total_max=27,
            severity=_bands(
                ("minimal", 0, 4),
                ("mild", 5, 9),
                ("moderate", 10, 14),
                ("moderately severe", 15, 19),
                ("severe", 20, 27),
            ),
            remission_threshold=4,
            suicidality_item=9,
            max_prorated=2,
            source="Kroenke, Spitzer & Williams 2001",
        ),
        Scale(
            key="HAMD17",
            name="Hamilton Depression Rating Scale, 17 items",
            label="HAM-D17",
            item_max=(4, 4, 4, 2, 2, 2, 4, 4, 4, 4, 4, 2, 2, 2, 4, 2, 2),
            total_min=0,
            total_max=52,
            severity=_bands(
                ("no depression", 0, 7), ("mild", 8, 16), ("moderate", 17, 23), ("severe", 24, 52)
            ),
            remission_threshold=7,
            suicidality_item=3,
            source="Hamilton 1960; bands Zimmerman et al. 2013",
            aliases=("HAMD", "HDRS", "HDRS17", "HRSD", "HRSD17", "HAMD-17", "HAM-D"),
        ),
        Scale(
            key="QIDS_SR16",
            name="Quick Inventory of Depressive Symptomatology, Self-Report (16 items)",
            label="QIDS-SR16",
            item_max=(3,) * 16,
            total_min=0,
            total_max=27,
            severity=_bands(
                ("none", 0, 5),
                ("mild", 6, 10),
                ("moderate", 11, 15),
                ("severe", 16, 20),
                ("very severe", 21, 27),
            ),
            remission_threshold=5,
            suicidality_item=12,
            scoring="qids",
            source="Rush et al. 2003",
            aliases=("QIDS", "QIDSSR", "QIDSSR16", "QIDS16"),
        ),
        Scale(
            key="BDI2",
            name="Beck Depression Inventory-II",
            label="BDI-II",
            item_max=(3,) * 21,
            total_min=0,
            total_max=63,
            severity=_bands(
                ("minimal", 0, 13), ("mild", 14, 19), ("moderate", 20, 28), ("severe", 29, 63)
            ),
            remission_threshold=13,
            suicidality_item=9,
            source="Beck, Steer & Brown 1996",
            aliases=("BDI", "BDIII", "BDI-II", "BDI_II"),
        ),
        Scale(
            key="GAD7",
            name="Generalized Anxiety Disorder-7",
            label="GAD-7",
            item_max=(3,) * 7,
            total_min=0,
            total_max=21,
            severity=_bands(
                ("minimal", 0, 4), ("mild", 5, 9), ("moderate", 10, 14), ("severe", 15, 21)
            ),
            remission_threshold=4,
            suicidality_item=None,
            source="Spitzer et al. 2006",
        ),
        Scale(
            key="CADSS",
            name="Clinician-Administered Dissociative States Scale",
            label="CADSS",
            item_max=(4,) * 23,
            total_min=0,
            total_max=92,
            source="Bremner et al. 1998",
        ),
    )
}

# QIDS-SR16: the nine DSM-IV symptom domains, as 0-based item positions (Rush et al. 2003).
_QIDS_DOMAINS: tuple[tuple[int, ...], ...] = (
    (0, 1, 2, 3),  # sleep: highest of items 1-4
    (4,),  # sad mood
    (5, 6, 7, 8),  # appetite/weight: highest of items 6-9
    (9,),  # concentration
    (10,),  # view of myself
    (11,),  # thoughts of death or suicide
    (12,),  # general interest
    (13,),  # energy
    (14, 15),  # psychomotor: highest of items 15-16
)


def _squash(name: str) -> str:
    return "".join(ch for ch in str(name).upper() if ch.isalnum())


_LOOKUP: dict[str, str] = {}
for _s in SCALES.values():
    for _alias in (_s.key, _s.label, _s.name, *_s.aliases):
        _LOOKUP[_squash(_alias)] = _s.key


def names() -> list[str]:
    """The registry keys, in registry order."""
    return list(SCALES)


def normalize_name(name: str) -> str | None:
    """Registry key for a spelling such as ``"PHQ-9"``, ``"ham-d"`` or ``"BDI-II"``.

    Returns None when the name is not recognised.
    """
    return _LOOKUP.get(_squash(name))


def suggest(name: str) -> str | None:
    """Closest registry key to an unrecognised scale name, or None."""
    match = difflib.get_close_matches(_squash(name), list(_LOOKUP), n=1, cutoff=0.5)
    return _LOOKUP[match[0]] if match else None


def get(name: str | Scale) -> Scale:
    """Look up a scale by key or common spelling.

    Raises
    ------
    KeyError
        Naming the unknown scale, the closest valid key and the list of valid keys.
    """
    if isinstance(name, Scale):
        return name
    key = normalize_name(name)
    if key is None:
        hint = suggest(name)
        did_you_mean = f" Did you mean {hint!r}?" if hint else ""
        raise KeyError(f"unknown scale {name!r}.{did_you_mean} Valid scales: {', '.join(SCALES)}.")
    return SCALES[key]


@dataclass(frozen=True)
class ItemScores:
    """Totals computed from items.

    Attributes
    ----------
    total : numpy.ndarray
        Total per row (NaN where it cannot be computed).
    status : numpy.ndarray of str
        ``"complete"`` (all items answered), ``"prorated"`` (PHQ-9 with 1-2 items missing),
        ``"too_many_missing"`` (items given but too many missing for a total) or
        ``"no_items"`` (no item answered).
    n_missing : numpy.ndarray of int
        Number of unanswered items per row.
    """

    total: np.ndarray
    status: np.ndarray
    n_missing: np.ndarray


def score_items(scale: str | Scale, items: pd.DataFrame | np.ndarray | Sequence) -> ItemScores:
    """Compute totals from item scores, vectorised over rows.

    Parameters
    ----------
    scale : str or Scale
        Registry key or scale.
    items : DataFrame or 2-D array, shape (n_rows, n_items)
        Item scores in item order; NaN marks an unanswered item. Extra columns beyond the
        scale's item count are an error.

    Returns
    -------
    ItemScores
        ``total``, ``status`` and ``n_missing`` per row.

    Notes
    -----
    - Sum scales: the total is the sum of the items; with any item missing the total is
      missing (status ``too_many_missing``), except PHQ-9, where with one or two items
      missing each is replaced by the mean of the answered items, so the total is
      ``9 * mean(answered)`` (status ``prorated``), not rounded.
    - QIDS-SR16: the sum of nine domain scores (Rush et al. 2003): the highest of items 1-4,
      item 5, the highest of items 6-9, items 10-14, and the highest of items 15-16. A domain
      is scored when at least one of its items is answered; with any domain unscored the
      total is missing.

    Examples
    --------
    >>> from ketanalysis import scales
    >>> scales.score_items("PHQ9", [[1, 2, 3, 0, 1, 2, 1, 0, float("nan")]]).total
    array([11.25])
    >>> scales.score_items("QIDS_SR16", [[0, 3, 1, 0, 2, 1, 0, 0, 2, 1, 1, 0, 1, 2, 1, 0]]).total
    array([13.])
    """
    sc = get(scale)
    arr = np.asarray(items, dtype=float)
    if arr.ndim != 2 or arr.shape[1] != sc.n_items:
        raise ValueError(f"{sc.key} has {sc.n_items} items; got an item array of shape {arr.shape}")
    answered = ~np.isnan(arr)
    n_missing = sc.n_items - answered.sum(axis=1)
    status = np.full(arr.shape[0], "complete", dtype=object)
    if sc.scoring == "qids":
        domain = np.column_stack([_nanmax_rows(arr[:, list(cols)]) for cols in _QIDS_DOMAINS])
        total = domain.sum(axis=1)  # NaN if any domain unscored
        incomplete = np.isnan(total)
        status[(n_missing > 0) & ~incomplete] = "complete_domains"
    else:
        total = np.where(n_missing == 0, np.nansum(arr, axis=1), np.nan)
        incomplete = n_missing > 0
        if sc.max_prorated:
            can_prorate = (n_missing > 0) & (n_missing <= sc.max_prorated)
            with np.errstate(invalid="ignore"):
                mean = np.nansum(arr, axis=1) / (sc.n_items - n_missing)
            total = np.where(can_prorate, mean * sc.n_items, total)
            status[can_prorate] = "prorated"
            incomplete = incomplete & ~can_prorate
    status[incomplete] = "too_many_missing"
    status[n_missing == sc.n_items] = "no_items"
    return ItemScores(total=total, status=status.astype(str), n_missing=n_missing)


def _nanmax_rows(block: np.ndarray) -> np.ndarray:
    """Row-wise max ignoring NaN; NaN where the whole row is NaN (no warning)."""
    filled = np.where(np.isnan(block), -np.inf, block)
    out = filled.max(axis=1)
    return np.where(np.isneginf(out), np.nan, out)
