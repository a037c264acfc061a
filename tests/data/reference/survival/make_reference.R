# Reference values for tests/test_stats_survival.py, tests/test_stats_summary.py and
# tests/test_stats_models.py, computed by R: survival (survfit, survdiff, coxph),
# prop.test (Wilson) with a hand-written Newcombe method 10, metafor::escalc and a
# noncentral-t interval by uniroot (effect sizes), geepack::geeglm (GEE) and nlme::lme.
#
# Run from the repository root, after make_data.py wrote the CSV and JSON inputs:
#     .venv/bin/python tests/data/reference/survival/make_data.py
#     Rscript tests/data/reference/survival/make_reference.R
# It (re)writes reference.json next to this script and prints R's own output of every fit
# (10 significant digits), kept as make_reference.Rout:
#     Rscript tests/data/reference/survival/make_reference.R > \
#         tests/data/reference/survival/make_reference.Rout 2>&1
# The tests read only the CSV and JSON files, so CI needs no R; tests/test_reference_raw.py
# checks that the numbers of reference.json appear in make_reference.Rout.
# Written with R 4.2.2, survival 3.5.3, metafor 3.8.1, geepack 1.3.9, nlme 3.1.162,
# jsonlite 1.8.4.
# make_reference.Rout was made on 2026-12-03 with these versions (Debian's packages); that
# run rewrote reference.json byte for byte.

suppressPackageStartupMessages({
  library(survival)
  library(metafor)
  library(geepack)
  library(nlme)
  library(jsonlite)
})

options(digits = 10, width = 110)
section <- function(...) cat("\n#### ", ..., "\n", sep = "")

args <- commandArgs(trailingOnly = FALSE)
here <- dirname(normalizePath(sub("^--file=", "", args[grep("^--file=", args)])))
rd <- function(f) read.csv(file.path(here, f), stringsAsFactors = FALSE)

pa <- rd("sim_a_patients.csv")
pb <- rd("sim_b_patients.csv")
sa <- rd("sim_a_assessments.csv")
sa$post_baseline <- sa$post_baseline == "True"
sa$response <- as.integer(sa$response == "True")

# ---- survival ---------------------------------------------------------------------------
# Each case: dataset, scale, event, grouping column ("" for none), times for summary().
cases <- list(
  list(name = "a_response_arm", data = "a", scale = "MADRS", event = "response", by = "arm",
       times = c(0, 1, 7, 14, 30, 90, 180)),
  list(name = "a_remission_arm", data = "a", scale = "MADRS", event = "remission", by = "arm",
       times = c(0, 7, 30, 90, 180)),
  list(name = "a_relapse_arm", data = "a", scale = "MADRS", event = "relapse", by = "arm",
       times = c(0, 30, 60, 120, 170)),
  list(name = "a_relapse_all", data = "a", scale = "MADRS", event = "relapse", by = "",
       times = c(0, 30, 60, 120, 170)),
  list(name = "a_relapse_phq9_arm", data = "a", scale = "PHQ9", event = "relapse", by = "arm",
       times = c(0, 30, 90)),
  list(name = "b_response_route", data = "b", scale = "MADRS", event = "response", by = "route",
       times = c(0, 1, 3, 7, 13)),
  list(name = "b_relapse_route", data = "b", scale = "MADRS", event = "relapse", by = "route",
       times = c(0, 2, 5, 10)),
  list(name = "b_remission_all", data = "b", scale = "MADRS", event = "remission", by = "",
       times = c(0, 1, 5, 13))
)

case_data <- function(cs) {
  d <- if (cs$data == "a") pa else pb
  d <- d[d$scale == cs$scale, ]
  d$time <- d[[paste0("time_to_", cs$event)]]
  d$status <- d[[paste0(cs$event, "_event")]]
  d[!is.na(d$time), ]
}

nz <- function(x) if (is.null(x)) NA else x
km_case <- function(cs) {
  d <- case_data(cs)
  f <- if (cs$by == "") {
    survfit(Surv(time, status) ~ 1, data = d)                       # conf.type = "log"
  } else {
    survfit(as.formula(paste("Surv(time, status) ~", cs$by)), data = d)
  }
  strata <- if (is.null(f$strata)) rep("", length(f$time)) else
    sub("^[^=]*=", "", rep(names(f$strata), f$strata))
  q <- quantile(f, probs = c(0.25, 0.5, 0.75))
  qs <- if (is.null(f$strata)) "" else sub("^[^=]*=", "", names(f$strata))
  s <- summary(f, times = cs$times, extend = TRUE)
  sstrata <- if (is.null(s$strata)) rep("", length(s$time)) else
    sub("^[^=]*=", "", as.character(s$strata))
  out <- list(
    table = data.frame(group = strata, time = f$time, n_at_risk = f$n.risk,
                       n_events = f$n.event, n_censored = f$n.censor, survival = f$surv,
                       se = f$std.err * f$surv, ci_low = f$lower, ci_high = f$upper),
    quantiles = list(group = qs, prob = c(0.25, 0.5, 0.75),
                     estimate = as.vector(t(matrix(q$quantile, nrow = length(qs)))),
                     ci_low = as.vector(t(matrix(q$lower, nrow = length(qs)))),
                     ci_high = as.vector(t(matrix(q$upper, nrow = length(qs))))),
    at_risk = data.frame(group = sstrata, time = s$time, n_at_risk = s$n.risk,
                         survival = s$surv)
  )
  section("survival/", cs$name)
  print(summary(f, censored = TRUE))
  print(out$table)
  print(q)
  print(s)
  if (cs$by != "") {
    sd <- survdiff(as.formula(paste("Surv(time, status) ~", cs$by)), data = d)
    print(sd)
    cat("chisq:", format(sd$chisq, digits = 15), "\n")
    out$logrank <- list(chi2 = sd$chisq, df = length(sd$n) - 1,
                        p_value = pchisq(sd$chisq, length(sd$n) - 1, lower.tail = FALSE))
  }
  out
}
survival_ref <- lapply(cases, km_case)
names(survival_ref) <- vapply(cases, function(cs) cs$name, "")

# stratified log-rank test
d <- case_data(cases[[1]])
sd <- survdiff(Surv(time, status) ~ arm + strata(sex), data = d)
section("logrank_strata")
print(sd)
cat("chisq:", format(sd$chisq, digits = 15), "\n")
logrank_strata <- list(chi2 = sd$chisq, df = 1,
                       p_value = pchisq(sd$chisq, 1, lower.tail = FALSE))

cox_fit <- function(name, cs, rhs, ties) {
  d <- case_data(cs)
  f <- coxph(as.formula(paste("Surv(time, status) ~", rhs)), data = d, ties = ties)
  section("cox/", name)
  print(summary(f))
  cat("loglik:", format(f$loglik, digits = 15), "\n")
  s <- summary(f)$coefficients
  ci <- summary(f)$conf.int
  list(term = rownames(s), estimate = unname(s[, "coef"]), se = unname(s[, "se(coef)"]),
       z = unname(s[, "z"]), p_value = unname(s[, "Pr(>|z|)"]),
       ci_low = unname(ci[, "lower .95"]), ci_high = unname(ci[, "upper .95"]),
       loglik = f$loglik[2], n = f$n, n_events = f$nevent)
}
cox_ref <- list(
  a_relapse_efron = cox_fit("a_relapse_efron", cases[[3]], "arm + age + sex", "efron"),
  a_relapse_breslow = cox_fit("a_relapse_breslow", cases[[3]], "arm + age + sex", "breslow"),
  a_response_efron = cox_fit("a_response_efron", cases[[1]], "arm + age", "efron"),
  a_response_strata = cox_fit("a_response_strata", cases[[1]], "arm + age + strata(sex)", "efron"),
  b_response_efron = cox_fit("b_response_efron", cases[[6]], "route + age", "efron"),
  b_relapse_efron = cox_fit("b_relapse_efron", cases[[7]], "route + age", "efron")
)

# ---- Wilson and Newcombe ------------------------------------------------------------------
# prop.test without continuity correction gives the Wilson score interval.
wilson <- function(x, n) as.vector(suppressWarnings(prop.test(x, n, correct = FALSE))$conf.int)
# Newcombe RG. Stat Med 1998;17:873-890, method 10 (hybrid score, no continuity correction).
newcombe10 <- function(x1, n1, x2, n2) {
  p1 <- x1 / n1; p2 <- x2 / n2
  w1 <- wilson(x1, n1); w2 <- wilson(x2, n2)
  d <- p1 - p2
  c(d, d - sqrt((p1 - w1[1])^2 + (w2[2] - p2)^2), d + sqrt((w1[2] - p1)^2 + (p2 - w2[1])^2))
}
# Newcombe's Table II examples (a)-(h) and the MADRS response of sim_a by arm.
resp <- pa[pa$scale == "MADRS", ]
k1 <- sum(resp$ever_response == "True" & resp$arm == "ketamine")
n1 <- sum(resp$arm == "ketamine")
k2 <- sum(resp$ever_response == "True" & resp$arm == "midazolam")
n2 <- sum(resp$arm == "midazolam")
nc <- rbind(c(56, 70, 48, 80), c(9, 10, 3, 10), c(6, 7, 2, 7), c(5, 56, 0, 29),
            c(0, 10, 0, 20), c(0, 10, 0, 10), c(10, 10, 0, 20), c(10, 10, 0, 10),
            c(k1, n1, k2, n2))
newcombe_ref <- lapply(seq_len(nrow(nc)), function(i) {
  r <- nc[i, ]
  v <- newcombe10(r[1], r[2], r[3], r[4])
  section("newcombe/", i)
  cat(sprintf("%d/%d vs %d/%d\n", r[1], r[2], r[3], r[4]))
  print(suppressWarnings(prop.test(r[1], r[2], correct = FALSE))$conf.int)
  print(suppressWarnings(prop.test(r[3], r[4], correct = FALSE))$conf.int)
  cat("newcombe10 (difference, lower, upper):\n")
  print(v)
  list(k1 = r[1], n1 = r[2], k2 = r[3], n2 = r[4], estimate = v[1], ci_low = v[2],
       ci_high = v[3], wilson1 = wilson(r[1], r[2]), wilson2 = wilson(r[3], r[4]))
})

# Newcombe RG. Stat Med 1998;17:857-872, Table I (method 3, Wilson): printed only, for
# tests/test_reference_raw.py's check of newcombe1998_tables.csv.
for (r in list(c(81, 263), c(15, 148), c(0, 20), c(1, 29))) {
  section("wilson_table_I/", r[1], "/", r[2])
  print(wilson(r[1], r[2]))
}

# ---- effect sizes ---------------------------------------------------------------------------
# Change from baseline at session 7 (end of induction), MADRS, sim_a.
e <- sa[sa$session == 7, ]
x <- e$change[e$arm == "ketamine"]; y <- e$change[e$arm == "midazolam"]
nct_ci <- function(t, df, level = 0.95) {
  a <- (1 - level) / 2
  f <- function(ncp, p) pt(t, df, ncp) - p
  lo <- uniroot(f, c(t - 20, t + 20), p = 1 - a, tol = 1e-13)$root
  hi <- uniroot(f, c(t - 20, t + 20), p = a, tol = 1e-13)$root
  c(lo, hi)
}
n1 <- length(x); n2 <- length(y)
sp <- sqrt(((n1 - 1) * var(x) + (n2 - 1) * var(y)) / (n1 + n2 - 2))
dd <- (mean(x) - mean(y)) / sp
J <- metafor:::.cmicalc(n1 + n2 - 2)
smd <- escalc("SMD", m1i = mean(x), m2i = mean(y), sd1i = sd(x), sd2i = sd(y),
              n1i = n1, n2i = n2)                       # Hedges' g (exact J), LS variance
ncp <- nct_ci(dd / sqrt(1 / n1 + 1 / n2), n1 + n2 - 2)
between <- list(n1 = n1, n2 = n2, cohens_d = dd, J = J, hedges_g = as.numeric(smd$yi),
                g_var = as.numeric(smd$vi),
                d_ci = ncp * sqrt(1 / n1 + 1 / n2), g_ci = J * ncp * sqrt(1 / n1 + 1 / n2))
within <- lapply(list(ketamine = x, midazolam = y), function(v) {
  n <- length(v)
  dz <- mean(v) / sd(v)
  # SMCC with the change SD as sd1 and sd2 = 0 (r = 0): yi = J(n - 1) * mean / sd(change)
  m <- escalc("SMCC", m1i = mean(v), m2i = 0, sd1i = sd(v), sd2i = 0, ni = n, ri = 0)
  ncp <- nct_ci(dz * sqrt(n), n - 1)
  list(n = n, d_z = dz, g_z = as.numeric(m$yi), g_var = as.numeric(m$vi),
       d_ci = ncp / sqrt(n), g_ci = metafor:::.cmicalc(n - 1) * ncp / sqrt(n))
})

section("effect_sizes")
print(smd)
print(between)
print(within)

# ---- GEE ------------------------------------------------------------------------------------
dep <- fromJSON(file.path(here, "sim_a_gee_dependence.json"))
g <- sa[sa$post_baseline, ]
g <- g[order(g$patient_id, g$session), ]
g$id <- as.integer(factor(g$patient_id))
g$pos <- ave(g$session, g$id, FUN = seq_along)           # position within the patient
form <- as.formula(dep$formula)
ctl_gee <- geese.control(epsilon = 1e-12, maxit = 200)   # default 1e-4 is too loose to compare
gee_out <- function(name, f) {
  section("gee/", name)
  print(summary(f))
  s <- summary(f)$coefficients
  list(term = rownames(s), estimate = unname(s[, "Estimate"]),
       se = unname(s[, "Std.err"]), alpha = unname(f$geese$alpha))
}
gee_ref <- list(
  independence = gee_out("independence", geeglm(form, id = id, data = g, family = binomial, control = ctl_gee,
                                corstr = "independence")),
  exchangeable = gee_out("exchangeable", geeglm(form, id = id, data = g, family = binomial, control = ctl_gee,
                                corstr = "exchangeable"))
)
# AR1 on positions (statsmodels' grid AR1) and unstructured on sessions, with geepack's
# working correlation fixed at the values ketanalysis estimated.
npos <- max(g$pos)
r_ar1 <- dep$ar1^abs(outer(seq_len(npos), seq_len(npos), "-"))
gee_ref$ar1_fixed <- gee_out("ar1_fixed", geeglm(form, id = id, data = g, family = binomial, control = ctl_gee,
                                    corstr = "fixed",
                                    zcor = fixed2Zcor(r_ar1, id = g$id, waves = g$pos)))
ses <- dep$sessions
r_un <- diag(length(ses))
r_un[lower.tri(r_un)] <- 0
r_un[upper.tri(r_un)] <- NA
up <- which(upper.tri(r_un), arr.ind = TRUE)
up <- up[order(up[, 1], up[, 2]), , drop = FALSE]          # by rows, as the JSON lists them
r_un[up] <- dep$unstructured
r_un[lower.tri(r_un)] <- t(r_un)[lower.tri(r_un)]
gee_ref$unstructured_fixed <- gee_out("unstructured_fixed", geeglm(form, id = id, data = g, family = binomial, control = ctl_gee,
                                             corstr = "fixed",
                                             zcor = fixed2Zcor(r_un, id = g$id,
                                                               waves = match(g$session, ses))))

# ---- LMM ------------------------------------------------------------------------------------
lmm_out <- function(name, f) {
  tt <- summary(f)$tTable
  vc <- getVarCov(f)
  section("lmm/", name)
  print(summary(f))
  print(tt)
  print(vc)
  cat("random-effects covariance (getVarCov):\n")
  print(matrix(as.numeric(vc), nrow(vc), dimnames = dimnames(vc)))
  cat("residual variance:", format(f$sigma^2, digits = 15), "\n")
  cat("loglik:", format(as.numeric(logLik(f)), digits = 15), "\n")
  list(term = rownames(tt), estimate = unname(tt[, "Value"]), se = unname(tt[, "Std.Error"]),
       cov_re = matrix(as.numeric(vc), nrow(vc)), residual = f$sigma^2, loglik = as.numeric(logLik(f)))
}
ctl <- lmeControl(tolerance = 1e-10, msTol = 1e-12, niterEM = 100, msMaxIter = 500)
lmm_ref <- list(
  intercept = lmm_out("intercept", lme(score ~ arm * session, random = ~ 1 | patient_id, data = sa,
                          method = "REML", control = ctl)),
  slope = lmm_out("slope", lme(score ~ arm * session, random = ~ session | patient_id, data = sa,
                      method = "REML", control = ctl))
)

writeLines(
  toJSON(list(survival = survival_ref, logrank_strata = logrank_strata, cox = cox_ref,
              newcombe = newcombe_ref, effect_sizes = list(between = between, within = within),
              gee = gee_ref, lmm = lmm_ref,
              versions = list(R = R.version.string,
                              survival = as.character(packageVersion("survival")),
                              metafor = as.character(packageVersion("metafor")),
                              geepack = as.character(packageVersion("geepack")),
                              nlme = as.character(packageVersion("nlme")))),
         digits = NA, na = "null", auto_unbox = TRUE, pretty = TRUE),
  file.path(here, "reference.json")
)
