# Monte Carlo coverage of the Wald intervals when an estimate sits on a bound (issue 27, item 2).
#
#   R_LIBS=/path/to/lib Rscript data-raw/coverage-bounds.R
#
# Scenario A, "linear limit". Truth (exact-specified, k = 2 output-weighted tanh experts, softmax gate, d = 1):
#   x ~ U(-1, 1), gate of expert 1: plogis(-6 x) (expert 2 anchored),
#   expert 1: the line 1 + 0.8 x, which c tanh(a x + b) reaches only in the limit c -> Inf with
#             c a = L = 0.8 and c b = M = 1 (so its fitted c sits on bound_output in most replicates),
#   expert 2: 3 tanh(2 x - 0.5); noise N(0, 0.3^2).
# Each replicate draws n rows and fits moe_lse(y ~ x, k = 2, expert_tanh(output_weight = TRUE)) from
# one start near the truth (c = 10, a = L / 10, b = M / 10 for expert 1), so the labels are the truth's;
# defaults otherwise (bound_output = 20 on the standardised scale).
#
# Scored at nominal 0.95 (t quantiles on n - p df, as confint() and predict() give them):
# * the Wald intervals of the free parameters with a truth: expert1:beta0 (0), expert1:beta1.x (-6),
#   expert2:a.x (2), expert2:b (-0.5), expert2:c (3), from confint();
# * L = c a and M = c b of expert 1 (the line's slope and intercept), by the delta method from vcov()
#   (a bound c is fixed: its variance and covariances are 0);
# * the confidence interval of f(x) at x = -0.75, -0.25, 0, 0.25, 0.75 from predict(interval = "confidence").
# Estimates on a bound are held fixed (NA standard errors); intervals that are NA are counted apart
# (`na`), and coverage is over the replicates with a finite interval. Also reported: the share of
# replicates with expert1:c on its bound, with any other estimate on a bound, and the coverage
# among the replicates with expert1:c on its bound (`on_bound`) and off it (`off_bound`).
# Scenario B, "hard switch". Truth: k = 2 linear experts, 1 + 2x for x < 0.1 and 3 - x above, gated by
#   plogis(-300 (x - 0.1)) (a slope of -300, beyond bound_gate = 50 on the standardised scale, about
#   87 here), noise N(0, 0.3^2); fitted from the truth (n_starts = 1), so expert1:beta1.x sits on
#   its bound in (nearly) every replicate. Scored: the experts' a and b (confint()), the switch's
#   location -beta0 / beta1 = 0.1 (beta1 fixed: the interval of beta0 divided by -beta1), and f(x) at
#   x = -0.75, -0.25, 0.05, 0.15, 0.5, 0.9 (the truth's f; near the switch the fit's gentler slope
#   is a bias). Scenario B2: the same, fitted with lse_control(bound_gate = 1000).
# Environment: LSMOE_COV_REPS (default 300), LSMOE_COV_N (default "1000,2000"), LSMOE_COV_OUT (default
# data-raw/coverage-bounds.txt when data-raw/ exists). Takes about 2 minutes on one core.


suppressPackageStartupMessages(library(lsmoe))
reps <- as.integer(Sys.getenv("LSMOE_COV_REPS", "300"))
ns <- as.integer(strsplit(Sys.getenv("LSMOE_COV_N", "1000,2000"), ",")[[1]])
out <- Sys.getenv("LSMOE_COV_OUT", if (dir.exists("data-raw")) "data-raw/coverage-bounds.txt" else "coverage-bounds.txt")

cover <- function(lo, hi, truth) if (is.finite(lo) && is.finite(hi)) as.numeric(lo <= truth && truth <= hi) else NA_real_

# ---- Scenario A: an output-weighted tanh expert in the linear limit -------------------------------
L <- 0.8
M <- 1
scen_a <- list(
  name = "A (linear limit: expert1:c on bound_output)", flag = "expert1:c",
  truth_f = function(x) {
    g1 <- stats::plogis(-6 * x)
    g1 * (M + L * x) + (1 - g1) * 3 * tanh(2 * x - 0.5)
  },
  xs = c(-0.75, -0.25, 0, 0.25, 0.75),
  par_truth = c(`expert1:beta0` = 0, `expert1:beta1.x` = -6, `expert2:a.x` = 2, `expert2:b` = -0.5, `expert2:c` = 3),
  expert = expert_tanh(output_weight = TRUE),
  start = list(beta0 = c(0, 0), beta1 = matrix(c(-6, 0), 2, 1), eta = rbind(c(L / 10, M / 10, 10), c(2, -0.5, 3))),
  # L = c a and M = c b of expert 1 by the delta method; a bound parameter's (NA) entries are 0
  derived = function(fit, cf, bf, V, tq) {
    V0 <- V
    V0[is.na(V0)] <- 0
    lin <- function(u) {
      g <- stats::setNames(numeric(length(cf)), names(cf))
      g[c(u, "expert1:c")] <- c(cf[["expert1:c"]], cf[[u]])
      est <- cf[["expert1:c"]] * cf[[u]]
      se <- sqrt(drop(t(g) %*% V0 %*% g))
      # NA when a parameter it needs is neither on a bound nor has a standard error
      if (any(is.na(diag(V))[c(u, "expert1:c")] & !bf[c(u, "expert1:c")])) se <- NA_real_
      c(est - tq * se, est + tq * se)
    }
    iL <- lin("expert1:a.x")
    iM <- lin("expert1:b")
    c(L = cover(iL[1], iL[2], L), M = cover(iM[1], iM[2], M))
  }
)

# ---- Scenario B: a gate steeper than bound_gate (a hard switch) ----------------------------------
scen_b <- list(
  name = "B (hard switch: expert1:beta1.x on bound_gate)", flag = "expert1:beta1.x",
  truth_f = function(x) {
    g1 <- stats::plogis(-300 * (x - 0.1))
    g1 * (1 + 2 * x) + (1 - g1) * (3 - x)
  },
  xs = c(-0.75, -0.25, 0.05, 0.15, 0.5, 0.9),
  par_truth = c(`expert1:a.x` = 2, `expert1:b` = 1, `expert2:a.x` = -1, `expert2:b` = 3),
  expert = expert_linear(),
  start = list(beta0 = c(30, 0), beta1 = matrix(c(-300, 0), 2, 1), eta = rbind(c(2, 1), c(-1, 3))),
  # the switch's location -beta0 / beta1 with beta1 fixed on its bound
  derived = function(fit, cf, bf, V, tq) {
    b1 <- cf[["expert1:beta1.x"]]
    se0 <- sqrt(V["expert1:beta0", "expert1:beta0"])
    if (!bf[["expert1:beta1.x"]]) return(c(location = NA_real_))  # a free slope: the ratio is not scored
    lim <- sort(-(cf[["expert1:beta0"]] + c(-1, 1) * tq * se0) / b1)
    c(location = cover(lim[1], lim[2], 0.1))
  }
)

# Scenario B2: B fitted with lse_control(bound_gate = 1000): the slope's bound (about 1730 here) is
# then far beyond the truth's, so the hard switch the fit holds is sharper than the truth's.
scen_b2 <- scen_b
scen_b2$name <- "B2 (B with bound_gate = 1000)"
scen_b2$control <- list(bound_gate = 1000)

one <- function(sc, n, seed) {
  set.seed(seed)
  x <- stats::runif(n, -1, 1)
  d <- data.frame(x = x, y = sc$truth_f(x) + stats::rnorm(n, sd = 0.3))
  fit <- tryCatch(suppressWarnings(moe_lse(y ~ x, data = d, k = 2, expert = sc$expert, start = sc$start,
                                           control = do.call(lse_control, c(list(n_starts = 1, warn = FALSE), sc$control)))),
                  error = function(e) NULL)
  if (is.null(fit)) return(NULL)
  cf <- coef(fit)
  bf <- stats::setNames(fit$bound_flags, names(cf))
  V <- suppressWarnings(vcov(fit))
  tq <- stats::qt(0.975, df.residual(fit))
  ci <- suppressWarnings(confint(fit))
  res <- vapply(names(sc$par_truth), function(p) cover(ci[p, 1], ci[p, 2], sc$par_truth[[p]]), numeric(1))
  res <- c(res, sc$derived(fit, cf, bf, V, tq))
  pr <- suppressWarnings(predict(fit, data.frame(x = sc$xs), interval = "confidence"))
  res <- c(res, stats::setNames(vapply(seq_along(sc$xs), function(i) cover(pr[i, "lwr"], pr[i, "upr"], sc$truth_f(sc$xs[i])),
                                       numeric(1)), sprintf("f(%g)", sc$xs)))
  c(res, flag_on_bound = as.numeric(bf[[sc$flag]]), other_on_bound = as.numeric(any(bf[names(bf) != sc$flag])))
}

t0 <- proc.time()[["elapsed"]]
tabs <- list()
for (sc in list(scen_a, scen_b, scen_b2)) for (n in ns) {
  rows <- lapply(seq_len(reps), function(r) one(sc, n, 1e5 * n %/% 1000 + r))
  ok <- !vapply(rows, is.null, logical(1))
  m <- do.call(rbind, rows[ok])
  qs <- setdiff(colnames(m), c("flag_on_bound", "other_on_bound"))
  on <- m[, "flag_on_bound"] == 1
  cov_of <- function(q, rows) if (any(rows)) mean(m[rows, q], na.rm = TRUE) else NA_real_
  tab <- data.frame(n = n, quantity = qs,
                    coverage = vapply(qs, function(q) mean(m[, q], na.rm = TRUE), numeric(1)),
                    mc_se = vapply(qs, function(q) {
                      v <- m[!is.na(m[, q]), q]
                      sqrt(mean(v) * (1 - mean(v)) / length(v))
                    }, numeric(1)),
                    on_bound = vapply(qs, cov_of, numeric(1), rows = on),
                    off_bound = vapply(qs, cov_of, numeric(1), rows = !on),
                    finite = vapply(qs, function(q) sum(!is.na(m[, q])), numeric(1)),
                    na = vapply(qs, function(q) sum(is.na(m[, q])), numeric(1)),
                    stringsAsFactors = FALSE)
  attr(tab, "info") <- sprintf("Scenario %s, n = %d: %d of %d replicates fitted; %s on its bound in %.1f%%; another estimate on a bound in %.1f%%",
                               sc$name, n, sum(ok), reps, sc$flag, 100 * mean(on), 100 * mean(m[, "other_on_bound"]))
  tabs[[length(tabs) + 1L]] <- tab
  message(attr(tab, "info"))
}
secs <- proc.time()[["elapsed"]] - t0
lines <- c(sprintf("Coverage at nominal 0.95 with estimates on a bound held fixed (data-raw/coverage-bounds.R; %d replicates per n; %.0f s)", reps, secs),
           "A: k = 2 output-weighted tanh experts; expert 1 the line 1 + 0.8 x (the limit c -> Inf), expert 2 3 tanh(2x - 0.5); gate plogis(-6x); sd 0.3.",
           "B: k = 2 linear experts 1 + 2x | 3 - x, gate plogis(-300 (x - 0.1)) (beyond bound_gate); sd 0.3. B2: B with bound_gate = 1000.",
           "on_bound / off_bound: coverage among the replicates with the named estimate on / off its bound.",
           "")
for (tab in tabs) {
  lines <- c(lines, attr(tab, "info"),
             utils::capture.output(print(transform(tab, coverage = round(coverage, 3), mc_se = round(mc_se, 3), on_bound = round(on_bound, 3),
                                                   off_bound = round(off_bound, 3)), row.names = FALSE)), "")
}
writeLines(lines)
writeLines(lines, out)
