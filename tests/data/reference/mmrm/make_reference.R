# Reference values for tests/test_mmrm.py, computed by R nlme::gls (and emmeans, glmmTMB).
#
# Run from the repository root:
#     Rscript tests/data/reference/mmrm/make_reference.R
# It (re)writes, next to this script:
#     sim_a.csv, sim_b.csv     two simulated trials with dropout (the data)
#     nlme_results.json        fits of those data and of antidepressant_hamd17.csv
# and prints R's own output of every fit (10 significant digits), kept as
# make_reference.Rout:
#     Rscript tests/data/reference/mmrm/make_reference.R > \
#         tests/data/reference/mmrm/make_reference.Rout 2>&1
# The test suite reads only the CSV and JSON files, so CI does not need R;
# tests/test_reference_raw.py checks that the numbers of nlme_results.json appear in
# make_reference.Rout.
# Written with R 4.2.2, nlme 3.1.162, emmeans 1.8.4.1, glmmTMB 1.1.5, jsonlite.

suppressPackageStartupMessages({
  library(nlme)
  library(emmeans)
  library(jsonlite)
  library(glmmTMB)
})

options(digits = 10, width = 110)
section <- function(...) cat("\n#### ", ..., "\n", sep = "")

args <- commandArgs(trailingOnly = FALSE)
here <- dirname(normalizePath(sub("^--file=", "", args[grep("^--file=", args)])))

# ---- simulated data -------------------------------------------------------------------
# sim_a: 150 subjects, visits 1..5 (numeric codes), arms ctl/trt, baseline covariate;
#        monotone dropout depending on the last observed value (MAR) and a few
#        intermittent missed visits.
# sim_b: 240 subjects, visits "wk01".."wk06" (text), arms A/B/C, sex and age covariates;
#        monotone dropout at random times.
simulate <- function(n, visits, arms, seed, sd, rho, effect, intermittent) {
  set.seed(seed)
  nv <- length(visits)
  lag <- abs(outer(seq_len(nv), seq_len(nv), "-"))
  R <- 0.3 + 0.7 * rho^lag
  Sigma <- R * outer(sd, sd)
  Lc <- chol(Sigma)
  arm <- sample(arms, n, replace = TRUE)
  base <- round(rnorm(n, 30, 5))
  sex <- sample(c("F", "M"), n, replace = TRUE)
  age <- round(runif(n, 18, 70))
  eff <- effect[match(arm, arms)]
  rows <- list()
  for (i in seq_len(n)) {
    mu <- -seq_len(nv) * (1 + eff[i]) - 0.3 * (base[i] - 30) + 0.05 * (age[i] - 45) +
      ifelse(sex[i] == "F", 0.8, 0)
    y <- mu + drop(rnorm(nv) %*% Lc)
    keep <- rep(TRUE, nv)
    for (v in 2:nv) {  # dropout hazard grows when the last value is poor
      p <- plogis(-2.6 + 0.08 * (y[v - 1] - mu[v - 1]))
      if (runif(1) < p) { keep[v:nv] <- FALSE; break }
    }
    if (intermittent && nv > 2) {
      gap <- runif(nv) < 0.04
      gap[1] <- FALSE
      keep <- keep & !gap
    }
    rows[[i]] <- data.frame(
      id = sprintf("S%04d", i), visit = visits[keep], arm = arm[i], base = base[i],
      sex = sex[i], age = age[i], y = round(y[keep], 3)
    )
  }
  do.call(rbind, rows)
}

sim_a <- simulate(150, 1:5, c("ctl", "trt"), 20261121, sd = c(4, 5, 5.5, 6, 7),
                  rho = 0.6, effect = c(0, 0.4), intermittent = TRUE)
sim_b <- simulate(240, sprintf("wk%02d", 1:6), c("A", "B", "C"), 4242,
                  sd = c(3, 3.5, 4, 4.5, 5, 5.5), rho = 0.5, effect = c(0, 0.3, 0.6),
                  intermittent = FALSE)
write.csv(sim_a, file.path(here, "sim_a.csv"), row.names = FALSE)
write.csv(sim_b, file.path(here, "sim_b.csv"), row.names = FALSE)

# ---- fits -----------------------------------------------------------------------------
ctrl <- glsControl(maxIter = 500, msMaxIter = 500, tolerance = 1e-10, msTol = 1e-12,
                   returnObject = TRUE)
# nlme minimises with finite-difference gradients and stops about 1e-8 above the minimum of
# -2 log-likelihood, which leaves the fixed effects uncertain in the 5th digit for the
# unstructured covariance. Restarting from the solution, alternately with nlminb and BFGS,
# until -2 log-likelihood stops decreasing brings them to about 1e-7 (all in nlme).
ctrl_optim <- glsControl(maxIter = 500, msMaxIter = 5000, tolerance = 1e-12, msTol = 1e-15,
                         opt = "optim", returnObject = TRUE)
tight_gls <- function(gls_args) {
  f <- do.call(gls, gls_args)
  best <- -2 * as.numeric(logLik(f))
  for (k in 1:6) {
    gls_args$correlation <- f$modelStruct$corStruct
    if (!is.null(f$modelStruct$varStruct)) gls_args$weights <- f$modelStruct$varStruct
    gls_args$control <- if (k %% 2 == 1) ctrl_optim else ctrl
    g <- do.call(gls, gls_args)
    value <- -2 * as.numeric(logLik(g))
    if (value < best - 1e-12) { f <- g; best <- value } else if (k >= 2) break
  }
  f
}

structures <- list(
  us   = function(d) list(correlation = corSymm(form = ~ vi | id),
                          weights = varIdent(form = ~ 1 | visit)),
  cs   = function(d) list(correlation = corCompSymm(form = ~ 1 | id), weights = NULL),
  csh  = function(d) list(correlation = corCompSymm(form = ~ 1 | id),
                          weights = varIdent(form = ~ 1 | visit)),
  ar1  = function(d) list(correlation = corAR1(form = ~ vi | id), weights = NULL),
  ar1h = function(d) list(correlation = corAR1(form = ~ vi | id),
                          weights = varIdent(form = ~ 1 | visit))
)

fit_one <- function(d, formula, structure, method, specs, by, name) {
  s <- structures[[structure]](d)
  gls_args <- list(model = formula, data = d, correlation = s$correlation,
                   method = method, control = ctrl)
  if (!is.null(s$weights)) gls_args$weights <- s$weights
  elapsed <- system.time(do.call(gls, gls_args))[["elapsed"]]
  f <- tight_gls(gls_args)
  full <- names(which(table(d$id) == nlevels(d$visit)))[1]
  V <- unclass(getVarCov(f, individual = full))
  em <- emmeans(f, specs = specs, by = by, mode = "df.error", data = d)
  lsm <- as.data.frame(summary(em))
  con <- as.data.frame(summary(pairs(em, adjust = "none")))
  f$call$data <- as.name("d")  # do.call put the whole data frame in the call
  section(name)
  print(summary(f))
  cat("-2 log-likelihood:", format(-2 * as.numeric(logLik(f)), digits = 15), "\n")
  cat("covariance of subject", full, ":\n")
  print(V)
  print(lsm)
  print(con)
  list(
    structure = structure, method = method, formula = deparse(formula),
    minus2loglik = -2 * as.numeric(logLik(f)),
    coef = as.list(coef(f)), se = as.list(sqrt(diag(vcov(f)))),
    covariance = V, sessions = levels(d$visit),
    lsmeans = list(by = as.character(lsm[[by]]), level = as.character(lsm[[specs]]),
                   estimate = lsm$emmean, se = lsm$SE),
    contrasts = list(by = as.character(con[[by]]), contrast = as.character(con$contrast),
                     estimate = con$estimate, se = con$SE),
    seconds = elapsed
  )
}

prepare <- function(d) {
  d$visit <- factor(d$visit)
  d$vi <- as.integer(d$visit)
  d$arm <- factor(d$arm)
  d$sex <- factor(d$sex)
  d
}

a <- prepare(sim_a)
b <- prepare(sim_b)
fa <- y ~ base * visit + arm * visit
fb <- y ~ base + sex + age + arm * visit

results <- list()
for (st in names(structures)) {
  for (k in paste0(c("sim_a/", "sim_b/"), st, "/REML")) {
    results[[k]] <- if (startsWith(k, "sim_a")) fit_one(a, fa, st, "REML", "arm", "visit", k)
                    else fit_one(b, fb, st, "REML", "arm", "visit", k)
  }
}
results[["sim_a/us/ML"]] <- fit_one(a, fa, "us", "ML", "arm", "visit", "sim_a/us/ML")
results[["sim_b/us/ML"]] <- fit_one(b, fb, "us", "ML", "arm", "visit", "sim_b/us/ML")
results[["sim_b/ar1/ML"]] <- fit_one(b, fb, "ar1", "ML", "arm", "visit", "sim_b/ar1/ML")

# The SAS example: SAS's model MODEL CHANGE = BASVAL*VISIT THERAPY*VISIT written
# hierarchically for R (R's BASVAL:VISIT + THERAPY:VISIT would drop the visit means).
h <- read.csv(file.path(here, "..", "antidepressant_hamd17.csv"))
h <- data.frame(id = factor(h$PATIENT), visit = factor(h$VISIT), vi = as.integer(factor(h$VISIT)),
                arm = factor(h$THERAPY), base = h$BASVAL, y = h$CHANGE)
results[["hamd17/us/REML"]] <- fit_one(h, y ~ base * visit + arm * visit, "us", "REML",
                                       "arm", "visit", "hamd17/us/REML")

# Heterogeneous Toeplitz from glmmTMB (nlme has no Toeplitz structure): the residual
# covariance is a toep() random effect with the dispersion fixed near zero (dispformula
# = ~0: sigma 1.2e-4, so 1.5e-8 is added to each variance), REML. glmmTMB 1.1.5 reports
# false convergence here, so only -2 log-likelihood and the covariance are compared, at a
# looser tolerance (see tests/test_mmrm.py).
tmb <- glmmTMB(y ~ base * visit + arm * visit + toep(0 + visit | id), data = a,
               dispformula = ~0, REML = TRUE)
section("sim_a/toeph/REML/glmmTMB")
print(summary(tmb), digits = 6)
cat("-2 log-likelihood:", format(-2 * as.numeric(logLik(tmb)), digits = 6), "\n")
print(unclass(VarCorr(tmb)$cond$id)[, , drop = TRUE], digits = 6)
cat("sigma:", format(sigma(tmb), digits = 6), "\n")
results[["sim_a/toeph/REML/glmmTMB"]] <- list(
  minus2loglik = -2 * as.numeric(logLik(tmb)),
  covariance = unclass(VarCorr(tmb)$cond$id)[, , drop = TRUE],
  sigma = sigma(tmb)
)

writeLines(toJSON(results, digits = NA, auto_unbox = TRUE, pretty = TRUE),
           file.path(here, "nlme_results.json"))
cat("wrote", length(results), "fits\n")
