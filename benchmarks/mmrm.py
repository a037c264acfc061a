"""How fast is ``ka.stats.mmrm`` against R's nlme::gls and glmmTMB on the same data?

Simulates two-arm trials with an unstructured covariance and monotone dropout (about 30 %
of subjects leave before the last session) at 200 x 4, 1,000 x 8 and 5,000 x 10 subjects x
sessions, writes each as CSV and, in the same run, fits

    change ~ baseline + arm * session      (sessions categorical), unstructured covariance,
    REML

- with ketanalysis (``df="residual"``: model-based standard errors, which is what the R
  fits compute; and ``df="kenward-roger"``, which adds the Kenward-Roger adjustment);
- with R ``nlme::gls(correlation = corSymm(form = ~ vi | id), weights = varIdent(form = ~ 1
  | visit), method = "REML")``;
- with R ``glmmTMB(... + us(0 + visit | id), dispformula = ~0, REML = TRUE)``.

R times only the fitting call (``system.time`` around it), ketanalysis times the whole
``ka.stats.mmrm`` call (formula, design, fit, inference); each takes the best of several
runs (``--repeat`` for ketanalysis, ``--r-repeat`` for R, which fits only once above
``--r-repeat-max-rows`` rows because nlme needs tens of minutes there). It prints the
times, the ratios and -2 REML log-likelihoods. Run:

    .venv/bin/python benchmarks/mmrm.py [--sizes 200x4 1000x8 5000x10] [--repeat 5]
        [--r-repeat 3] [--no-r]

Needs Rscript with nlme, glmmTMB and jsonlite for the R columns (Debian: r-cran-nlme,
r-cran-glmmtmb, r-cran-jsonlite).
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

import ketanalysis as ka

FORMULA = "change ~ baseline + arm*C(visit)"

R_SCRIPT = r"""
suppressPackageStartupMessages({library(nlme); library(glmmTMB); library(jsonlite)})
args <- commandArgs(trailingOnly = TRUE)
path <- args[1]; reps <- as.integer(args[2]); skip_nlme <- args[3] == "1"
d <- read.csv(path)
d$visit <- factor(d$visit); d$vi <- as.integer(d$visit); d$arm <- factor(d$arm)
best <- function(expr_fun) {
  times <- c(); fit <- NULL
  for (r in seq_len(reps)) {
    t <- system.time(fit <- expr_fun())[["elapsed"]]
    times <- c(times, t)
  }
  list(fit = fit, time = min(times))
}
out <- list()
if (!skip_nlme) {
  g <- best(function() gls(change ~ baseline + arm * visit, data = d,
                           correlation = corSymm(form = ~ vi | id),
                           weights = varIdent(form = ~ 1 | visit), method = "REML"))
  out$nlme <- list(time = g$time, minus2ll = -2 * as.numeric(logLik(g$fit)))
}
m <- best(function() suppressWarnings(
  glmmTMB(change ~ baseline + arm * visit + us(0 + visit | id), data = d,
          dispformula = ~0, REML = TRUE)))
out$glmmTMB <- list(time = m$time, minus2ll = -2 * as.numeric(logLik(m$fit)),
                    message = m$fit$fit$message)
cat(toJSON(out, auto_unbox = TRUE, digits = NA))
"""


def simulate(n: int, n_sessions: int, seed: int) -> pd.DataFrame:
    """Two-arm trial, unstructured covariance, monotone dropout; long format."""
    rng = np.random.default_rng(seed)
    t = np.arange(n_sessions)
    sd = np.linspace(4.0, 7.0, n_sessions)
    corr = 0.4 + 0.5 * 0.7 ** np.abs(np.subtract.outer(t, t))
    np.fill_diagonal(corr, 1.0)
    cov = corr * np.outer(sd, sd)
    arm = rng.integers(0, 2, n)
    baseline = np.round(rng.normal(30.0, 5.0, n))
    mean = -0.8 * (t + 1)[None, :] * (1.0 + 0.4 * arm[:, None]) - 0.3 * (baseline[:, None] - 30)
    y = mean + rng.multivariate_normal(np.zeros(n_sessions), cov, size=n)
    last = np.minimum(rng.geometric(0.35 / n_sessions, n), n_sessions)
    rows = np.repeat(np.arange(n), n_sessions)
    visit = np.tile(t + 1, n)
    frame = pd.DataFrame(
        {
            "id": [f"S{i:05d}" for i in rows],
            "visit": visit,
            "arm": np.where(arm[rows] == 1, "active", "placebo"),
            "baseline": baseline[rows],
            "change": np.round(y.ravel(), 4),
        }
    )
    return frame[visit <= last[rows]].reset_index(drop=True)


def best_of(fn, repeat: int):
    times, out = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return min(times), out


def run_r(path: Path, repeat: int, skip_nlme: bool) -> dict:
    with tempfile.NamedTemporaryFile("w", suffix=".R", delete=False) as fh:
        fh.write(R_SCRIPT)
        script = fh.name
    try:
        out = subprocess.run(
            ["Rscript", script, str(path), str(repeat), "1" if skip_nlme else "0"],
            capture_output=True,
            text=True,
            check=True,
        )
    finally:
        Path(script).unlink()
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", nargs="+", default=["200x4", "1000x8", "5000x10"])
    ap.add_argument("--repeat", type=int, default=5, help="ketanalysis repeats (best of)")
    ap.add_argument("--r-repeat", type=int, default=3, help="R repeats (best of)")
    ap.add_argument(
        "--r-repeat-max-rows",
        type=int,
        default=10_000,
        help="above this many rows R fits once (nlme takes many minutes there)",
    )
    ap.add_argument("--no-r", action="store_true", help="time ketanalysis only")
    ap.add_argument(
        "--skip-nlme-above", type=int, default=10**9, help="skip nlme above this many rows"
    )
    args = ap.parse_args()
    have_r = not args.no_r and shutil.which("Rscript") is not None
    if not have_r and not args.no_r:
        print("Rscript not found: timing ketanalysis only")
    ka.stats.mmrm  # noqa: B018 - import scipy and patsy before timing
    header = (
        f"{'size':>8} {'rows':>6} {'ka s':>7} {'ka+KR s':>8} {'nlme s':>8} {'glmmTMB s':>9} "
        f"{'nlme/ka':>8} {'TMB/ka':>7}  -2 REML log-likelihood: ka | nlme | glmmTMB"
    )
    print(header)
    with tempfile.TemporaryDirectory() as tmp:
        for size in args.sizes:
            n, k = (int(v) for v in size.lower().split("x"))
            data = simulate(n, k, seed=n + k)
            path = Path(tmp) / f"mmrm_{size}.csv"
            data.to_csv(path, index=False)
            with warnings.catch_warnings():
                warnings.simplefilter("error")  # a benchmark of an unconverged fit is void

                def fit(df, d=data):
                    return ka.stats.mmrm(d, FORMULA, patient="id", session="visit", df=df)

                t_ka, res = best_of(lambda: fit("residual"), args.repeat)
                t_kr, _ = best_of(lambda: fit("kenward-roger"), args.repeat)
            ll_ka = -2.0 * res.loglik
            r = {}
            if have_r:
                reps = args.r_repeat if len(data) <= args.r_repeat_max_rows else 1
                r = run_r(path, reps, len(data) > args.skip_nlme_above)
            nl = r.get("nlme", {})
            tm = r.get("glmmTMB", {})
            t_nl, t_tm = nl.get("time", np.nan), tm.get("time", np.nan)
            print(
                f"{size:>8} {len(data):>6} {t_ka:>7.3f} {t_kr:>8.3f} {t_nl:>8.2f} {t_tm:>9.2f} "
                f"{t_nl / t_ka:>8.1f} {t_tm / t_ka:>7.1f}  {ll_ka:.6f} | "
                f"{nl.get('minus2ll', np.nan):.6f} | {tm.get('minus2ll', np.nan):.6f}"
            )
            for name, val in (("nlme", nl), ("glmmTMB", tm)):
                if "minus2ll" in val:
                    rel = abs(val["minus2ll"] - ll_ka) / abs(ll_ka)
                    note = f" ({val['message']})" if val.get("message") else ""
                    print(f"{'':>8} relative difference ka vs {name}: {rel:.1e}{note}")


if __name__ == "__main__":
    main()
