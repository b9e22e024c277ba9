# Inference on the real-data bench's cases (issue 27, item 2): of the default fits, how many have a
# standard error for every free parameter not on a bound, and prediction intervals for every row?
#
#   R_LIBS=/path/to/lib Rscript data-raw/inference-realdata.R
#
# The cases are those of bench/realdata.R (8 data sets x k = 2, 3 x expert_linear() and
# expert_tanh(output_weight = TRUE); tonedata needs mixtools), each fitted by the default call
# moe_lse(formula, data, k, expert) after set.seed(s), s = 1..5: 160 fits, about 3 minutes. The fits
# are cached in LSMOE_INFER_FITS (default: a file in tempdir()) so that the analysis can be rerun
# with LSMOE_INFER_REFIT=0 against another version of the inference code.
#
# Per fit: p (free parameters), bound (on a bound of the box), unidentified (variance inflation
# factor above 1 / tol in J'WJ of the free parameters of the centred inputs, tol = 1e-8, or M not
# positive definite),
# se_all (every free parameter not on a bound has a finite standard error), the largest VIF
# among the free parameters and the parameters above 1e8, the fallback predict() took (if any),
# and pi_all (predict(interval = "prediction") finite on every training row), ci_all likewise for
# "confidence". Prints the shares (kept in data-raw/inference-realdata.txt). A script, not a test: it
# asserts nothing.

suppressPackageStartupMessages(library(lsmoe))
fits_file <- Sys.getenv("LSMOE_INFER_FITS", file.path(tempdir(), "lsmoe-inference-realdata-fits.rds"))
refit <- Sys.getenv("LSMOE_INFER_REFIT", "1") != "0" || !file.exists(fits_file)
options(width = 160)

cases <- list(
  list(name = "faithful", formula = eruptions ~ waiting, data = datasets::faithful),
  list(name = "mcycle", formula = accel ~ times, data = MASS::mcycle),
  list(name = "tonedata", formula = tuned ~ stretchratio, data = NULL),
  list(name = "cars", formula = dist ~ speed, data = datasets::cars),
  list(name = "Boston", formula = medv ~ lstat + rm, data = MASS::Boston),
  list(name = "airquality", formula = Ozone ~ Temp + Wind, data = stats::na.omit(datasets::airquality)),
  list(name = "airquality3", formula = Ozone ~ Solar.R + Wind + Temp, data = stats::na.omit(datasets::airquality)),
  list(name = "Boston4", formula = medv ~ lstat + rm + ptratio + dis, data = MASS::Boston)
)
if (requireNamespace("mixtools", quietly = TRUE)) {
  e <- new.env()
  utils::data("tonedata", package = "mixtools", envir = e)
  cases[[3]]$data <- e$tonedata
} else {
  message("mixtools is not installed: tonedata skipped")
  cases <- cases[-3]
}
experts <- list(linear = expert_linear(), `tanh(ow)` = expert_tanh(output_weight = TRUE))

if (refit) {
  fits <- list()
  t0 <- proc.time()[["elapsed"]]
  for (cs in cases) for (k in 2:3) for (en in names(experts)) for (s in 1:5) {
    set.seed(s)
    f <- tryCatch(suppressWarnings(moe_lse(cs$formula, data = cs$data, k = k, expert = experts[[en]])),
                  error = function(e) e)
    fits[[length(fits) + 1L]] <- list(data = cs$name, k = k, expert = en, seed = s, fit = f)
  }
  message(sprintf("%d fits in %.0f s", length(fits), proc.time()[["elapsed"]] - t0))
  saveRDS(fits, fits_file)
} else {
  fits <- readRDS(fits_file)
}

# The variance inflation factors of the free parameters in J'WJ scaled to unit diagonal (as
# lsmoe:::flag_unidentified() computes them).
# centred = TRUE: in the parameters of the centred inputs (lsmoe:::centring_map()), as
# lse_inference() computes them since issue 27; FALSE: in the user-scale parameters (before).
free_vif <- function(fit, free, centred = TRUE) {
  J <- lsmoe:::cpp_residuals(fit$x, fit$y, fit$theta, fit$expert, fit$k, lsmoe:::gate_name(fit$gate))$jacobian
  if (centred) J <- J %*% lsmoe:::centring_map(fit)
  A <- crossprod(J[, free, drop = FALSE])
  s <- sqrt(diag(A))
  B <- A / outer(s, s)
  e <- eigen(B, symmetric = TRUE)
  lam <- pmax(e$values, .Machine$double.eps * max(e$values))
  stats::setNames(rowSums(e$vectors^2 / rep(lam, each = nrow(e$vectors))), names(coef(fit))[free])
}

rows <- lapply(fits, function(r) {
  f <- r$fit
  if (inherits(f, "error")) {
    return(data.frame(data = r$data, k = r$k, expert = r$expert, seed = r$seed, p = NA, n = NA, bound = NA,
                      unidentified = NA, se_all = FALSE, max_vif = NA, max_vif_user = NA, high_vif = "", fallback = "error",
                      ci_all = FALSE, pi_all = FALSE, stringsAsFactors = FALSE))
  }
  bound <- f$bound_flags
  se <- sqrt(diag(suppressWarnings(vcov(f))))
  free <- which(!bound)
  vif <- if (length(free)) free_vif(f, free) else numeric(0)
  vif_user <- if (length(free)) free_vif(f, free, centred = FALSE) else numeric(0)
  fb <- ""
  pr <- withCallingHandlers(predict(f, interval = "prediction"),
                            warning = function(w) {
                              if (inherits(w, "lsmoe_warning_inference")) {
                                if (grepl("fall|residual standard deviation|bootstrap", conditionMessage(w))) fb <<- class(w)[1]
                                invokeRestart("muffleWarning")
                              }
                            })
  ci <- suppressWarnings(predict(f, interval = "confidence"))
  data.frame(data = r$data, k = r$k, expert = r$expert, seed = r$seed, p = length(f$theta), n = f$nobs,
             bound = sum(bound), unidentified = sum(!bound & !is.finite(se)),
             se_all = all(is.finite(se[!bound])),
             max_vif = if (length(vif)) max(vif) else NA_real_,
             max_vif_user = if (length(vif_user)) max(vif_user) else NA_real_,
             high_vif = paste(names(vif)[vif > 1e8], collapse = " "),
             fallback = fb,
             ci_all = all(is.finite(ci[, c("lwr", "upr")])), pi_all = all(is.finite(pr[, c("lwr", "upr")])),
             stringsAsFactors = FALSE)
})
res <- do.call(rbind, rows)

cat(sprintf("Fits: %d (errors: %d); with an estimate on a bound: %d\n", nrow(res), sum(is.na(res$p)),
            sum(res$bound > 0, na.rm = TRUE)))
cat(sprintf("Standard error for every free parameter not on a bound: %d of %d (%.1f%%)\n",
            sum(res$se_all), nrow(res), 100 * mean(res$se_all)))
cat(sprintf("Prediction intervals finite on every row: %d of %d (%.1f%%); confidence intervals: %d of %d\n",
            sum(res$pi_all), nrow(res), 100 * mean(res$pi_all), sum(res$ci_all), nrow(res)))
cat("\nPer case (5 seeds each): fits with every SE, with all prediction intervals; bound / unidentified counts\n")
key <- paste(res$data, res$k, res$expert)
per <- do.call(rbind, lapply(split(res, factor(key, levels = unique(key))), function(g) {
  data.frame(data = g$data[1], k = g$k[1], expert = g$expert[1], p = g$p[1], n = g$n[1],
             se_all = sum(g$se_all), pi_all = sum(g$pi_all),
             bound = paste(range(g$bound), collapse = "-"), unidentified = paste(range(g$unidentified), collapse = "-"),
             max_vif = signif(max(g$max_vif, na.rm = TRUE), 3), max_vif_user = signif(max(g$max_vif_user, na.rm = TRUE), 3), fallback = sum(nzchar(g$fallback)),
             stringsAsFactors = FALSE)
}))
rownames(per) <- NULL
print(per)
bad <- res[!res$se_all, ]
if (nrow(bad)) {
  cat("\nFits without every standard error: the free parameters' largest VIF, those above 1e8\n")
  print(bad[, c("data", "k", "expert", "seed", "p", "bound", "unidentified", "max_vif", "high_vif")], row.names = FALSE)
}
cat("\nLargest VIF of the free parameters per fit, quantiles over the fits (centred inputs, as the rule; user-scale parameters):\n")
print(signif(rbind(centred = stats::quantile(res$max_vif, c(0, 0.5, 0.9, 0.95, 1), na.rm = TRUE),
                   user = stats::quantile(res$max_vif_user, c(0, 0.5, 0.9, 0.95, 1), na.rm = TRUE)), 3))
cat(sprintf("Fits whose largest centred VIF lies in (1e6, 1e8] (kept) and in (1e8, 1e10] (flagged): %d, %d\n",
            sum(res$max_vif > 1e6 & res$max_vif <= 1e8, na.rm = TRUE), sum(res$max_vif > 1e8 & res$max_vif <= 1e10, na.rm = TRUE)))
