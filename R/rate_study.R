#' Convergence-rate study of the least squares estimator
#'
#' For every sample size in `n` and every replicate, simulates data from the true mixing measure
#' `G0` ([simulate_moe()]: \eqn{X \sim} Uniform\eqn{[0,1]^d} unless `x` says otherwise,
#' \eqn{Y = f_{G_0}(X) + \varepsilon}, \eqn{\varepsilon \sim N(0, \sigma^2)}), fits [moe_lse()]
#' with `k` experts of `G0`'s family (over-specified when `k > k*`), and computes the requested
#' losses between the fitted and the true mixing measure:
#' `"D1"` and `"D2"` ([voronoi_loss()], with exponent `r` for D2) and `"regression"`
#' ([regression_error()], the Monte Carlo \eqn{L^2(\mu)} distance between regression functions).
#' [estimate_rate()] then regresses log-loss on log-n.
#'
#' **Starts.** `"near_truth"`: `n_starts` (from `control`) starts at the true atoms plus
#' independent \eqn{N(0, \mathrm{jitter}^2)} noise on every parameter; for an over-specified fit,
#' the `k - k*` surplus components split the true atoms with the largest weights: each split atom
#' is duplicated and both copies get half its weight (\eqn{\beta_0 - \log 2}), as in the studies of
#' Nguyen, Ho and Rinaldo. `"data"`: the fitter's own strategy ([lse_control()]). `"both"`: all of
#' these starts; the smallest RSS wins.
#'
#' **Parallel and reproducible.** The (n, replicate) tasks run through
#' `future.apply::future_lapply(..., future.seed = TRUE)`: choose a backend with
#' `future::plan()` (e.g. `plan(multisession, workers = 2)`, or `future.batchtools` /
#' `future.callr` on a cluster); the package never sets one. Each task gets its own
#' L'Ecuyer-CMRG stream derived from R's seed, so `set.seed()` gives the same numbers with one or
#' many workers. Progress is signalled with `progressr` (wrap the call in
#' `progressr::with_progress()` to see it).
#'
#' @param G0 The true mixing measure ([mixing_measure()]), with k* atoms and input dimension d.
#' @param n Sample sizes: strictly increasing whole numbers >= 2.
#' @param reps Replicates per sample size, whole number >= 1. Default 20.
#' @param k Number of fitted experts, >= k* (default k*, exact-specified).
#' @param noise_sd Noise standard deviation \eqn{\sigma} >= 0. Default 0.1.
#' @param losses Character vector, a subset of `c("D1", "D2", "regression")`. Default
#'   `c("D1", "regression")`.
#' @param start One of `"near_truth"` (default), `"data"`, `"both"`.
#' @param control [lse_control()] settings for every fit. Default: `lse_control(n_starts = 2,
#'   warn = FALSE)`.
#' @param x `NULL` (Uniform\eqn{[0,1]^d} inputs) or a function `function(n)` returning an n x d
#'   matrix of inputs.
#' @param r Exponent(s) of D2 (>= 1). Default 2. With several values, D2 is reported once per
#'   exponent, as losses `"D2_r1"`, `"D2_r2"`, ...; D2 with \eqn{r = 1} reads directly as a
#'   parameter error (its slope is the parameter rate), D2 with \eqn{r} as the \eqn{r}-th power
#'   of one.
#' @param jitter Standard deviation of the noise added to near-truth starts. Default 0.1.
#' @param n_mc Monte Carlo sample size for `"regression"`. Default 1e4.
#' @returns A data frame of class `rate_study`, one row per (n, replicate, loss): `expert`
#'   (family label), `k`, `k0` (k*), `n`, `replicate`, `loss`, `value`, `rss`, `converged`,
#'   `iterations`, `on_bound` (estimates on a bound), `seconds` (fit time), `error` (message of a
#'   failed fit, else `NA`; its losses are `NA`). Failed and unconverged fits are kept and flagged,
#'   never dropped. The settings are attributes (`G0`, `k`, `noise_sd`, `reps`, `start`,
#'   `control`, `losses`, `r`, `jitter`). Studies of different experts or `k` can be combined with
#'   `rbind()`. Errors of class `lsmoe_error_input` for invalid arguments (n not increasing, reps
#'   < 1, k < k*, unknown losses).
#' @references
#' Nguyen, H., Ho, N. and Rinaldo, A. (2024). On least squares estimation in softmax gating
#' mixture of experts. ICML 2024, PMLR 235. \doi{10.48550/arXiv.2402.02952}
#' @seealso [estimate_rate()], [plot.rate_study()]
#' @examples
#' G0 <- mixing_measure(beta0 = c(-4, 0), beta1 = c(8, 0),
#'                      eta = rbind(c(6, -2), c(-5, 3)), expert = expert_sigmoid())
#' set.seed(1)
#' st <- rate_study(G0, n = c(200, 400, 800), reps = 2, noise_sd = 0.1)
#' head(st)
#' estimate_rate(st)
#' @export
rate_study <- function(G0, n, reps = 20, k = NULL, noise_sd = 0.1, losses = c("D1", "regression"),
                       start = c("near_truth", "data", "both"), control = NULL, x = NULL, r = 2,
                       jitter = 0.1, n_mc = 1e4) {
  G0 <- as_measure_arg(G0, "G0")
  if (!is.numeric(n) || length(n) < 1 || any(!is.finite(n)) || any(n != round(n)) || any(n < 2) ||
      is.unsorted(n, strictly = TRUE)) {
    lsmoe_abort("`n` must be strictly increasing whole numbers >= 2.", arg = "n")
  }
  n <- as.integer(n)
  reps <- check_count(reps, "reps")
  k <- if (is.null(k)) G0$k else check_count(k, "k")
  if (k < G0$k) {
    lsmoe_abort(sprintf("`k` (%d) must be at least the number of atoms of `G0` (k* = %d).", k, G0$k), arg = "k")
  }
  noise_sd <- check_number(noise_sd, "noise_sd", min = 0)
  known <- c("D1", "D2", "regression")
  if (!is.character(losses) || length(losses) < 1 || any(!losses %in% known)) {
    lsmoe_abort(sprintf("`losses` must be a subset of %s; unknown: %s.", paste(dQuote(known, FALSE), collapse = ", "),
                        paste(setdiff(losses, known), collapse = ", ")), arg = "losses")
  }
  losses <- unique(losses)
  if (!is.character(start)) lsmoe_abort("`start` must be \"near_truth\", \"data\" or \"both\".", arg = "start")
  start <- tryCatch(match.arg(start),
                    error = function(e) lsmoe_abort("`start` must be \"near_truth\", \"data\" or \"both\".", arg = "start"))
  control <- if (is.null(control)) lse_control(n_starts = 2, warn = FALSE) else as_control(control)
  if (!is.null(x) && !is.function(x)) lsmoe_abort("`x` must be NULL or a function(n) returning an n x d matrix.", arg = "x")
  if (!is.numeric(r) || length(r) < 1 || any(!is.finite(r)) || any(r < 1) || anyDuplicated(r)) {
    lsmoe_abort("`r` must be distinct finite numbers >= 1.", arg = "r")
  }
  jitter <- check_number(jitter, "jitter", min = 0)
  n_mc <- check_count(n_mc, "n_mc", min = 10)
  if (min(n) < n_free_params(k, G0$d, G0$q)) {
    lsmoe_abort(sprintf("The smallest `n` (%d) is below the number of free parameters (%d).", min(n),
                        n_free_params(k, G0$d, G0$q)), arg = "n")
  }

  tasks <- expand.grid(replicate = seq_len(reps), n = n)
  p <- progressr::progressor(steps = nrow(tasks))
  one <- function(i) {
    res <- rate_study_task(G0, tasks$n[i], k, noise_sd, losses, start, control, x, r, jitter, n_mc)
    p(sprintf("n = %d, replicate %d", tasks$n[i], tasks$replicate[i]))
    data.frame(n = tasks$n[i], replicate = tasks$replicate[i], res, stringsAsFactors = FALSE)
  }
  rows <- future.apply::future_lapply(seq_len(nrow(tasks)), one, future.seed = TRUE)
  out <- do.call(rbind, rows)
  out <- data.frame(expert = G0$expert$label, k = k, k0 = G0$k, out, stringsAsFactors = FALSE)
  rownames(out) <- NULL
  structure(out, class = c("rate_study", "data.frame"), G0 = G0, k = k, noise_sd = noise_sd, reps = reps,
            start = start, control = control, losses = losses, r = r, jitter = jitter)
}

# Starts at the truth, with surplus components splitting the heaviest atoms, plus noise.
near_truth_start <- function(G0, k, jitter) {
  k0 <- G0$k
  idx <- c(seq_len(k0), order(G0$beta0, decreasing = TRUE)[rep_len(seq_len(k0), k - k0)])
  copies <- tabulate(idx, k0)
  beta0 <- G0$beta0[idx] - log(copies[idx])
  beta1 <- G0$beta1[idx, , drop = FALSE]
  eta <- G0$eta[idx, , drop = FALSE]
  list(beta0 = beta0 + stats::rnorm(k, sd = jitter),
       beta1 = beta1 + stats::rnorm(length(beta1), sd = jitter),
       eta = eta + stats::rnorm(length(eta), sd = jitter))
}

rate_study_task <- function(G0, n, k, noise_sd, losses, start, control, x, r, jitter, n_mc) {
  sim <- simulate_moe(G0, n = n, noise_sd = noise_sd, x = x)
  starts <- NULL
  if (start %in% c("near_truth", "both")) {
    starts <- lapply(seq_len(control$n_starts), function(s) near_truth_start(G0, k, jitter))
  }
  if (start == "both") {
    th <- make_starts(sim$x, sim$y, k, G0$expert, control)
    starts <- c(starts, lapply(seq_len(ncol(th)), function(s) unpack_theta(th[, s], k, G0$d, G0$q)))
  }
  t0 <- proc.time()[["elapsed"]]
  fit <- tryCatch(moe_lse(sim$x, sim$y, k = k, expert = G0$expert, start = starts, control = control),
                  error = function(e) e)
  secs <- proc.time()[["elapsed"]] - t0
  if (inherits(fit, "error")) {
    return(data.frame(loss = loss_labels(losses, r), value = NA_real_, rss = NA_real_, converged = FALSE, iterations = NA_integer_,
                      on_bound = NA_integer_, seconds = secs, error = conditionMessage(fit), stringsAsFactors = FALSE))
  }
  G <- as_mixing_measure(fit)
  value <- unlist(lapply(losses, function(l) switch(l,
    D1 = voronoi_loss(G, G0, type = "D1")$value,
    D2 = vapply(r, function(rr) voronoi_loss(G, G0, type = "D2", r = rr)$value, numeric(1)),
    regression = as.numeric(regression_error(G, G0, n_mc = n_mc, x = x))
  )))
  data.frame(loss = loss_labels(losses, r), value = unname(value), rss = fit$rss, converged = fit$converged,
             iterations = fit$iterations, on_bound = fit$on_bound, seconds = secs, error = NA_character_,
             stringsAsFactors = FALSE)
}

# Loss names of a study's rows: "D2" becomes "D2_r1", "D2_r2", ... when several r are asked for.
loss_labels <- function(losses, r) {
  unlist(lapply(losses, function(l) if (l == "D2" && length(r) > 1) sprintf("D2_r%g", r) else l))
}

#' @export
print.rate_study <- function(x, ...) {
  s <- attributes(x)
  cat(sprintf("<rate_study> %s experts, k = %s fitted to k* = %d, noise sd %s, %d replicate(s), start \"%s\"\n",
              paste(unique(x$expert), collapse = "/"), paste(unique(x$k), collapse = "/"), s$G0$k, format(s$noise_sd),
              s$reps, s$start))
  cat(sprintf("n: %s\nlosses: %s; %d fit(s), %d not converged, %d failed\n", paste(unique(x$n), collapse = ", "),
              paste(unique(x$loss), collapse = ", "), nrow(x) / length(unique(x$loss)),
              sum(!x$converged) / length(unique(x$loss)), sum(!is.na(x$error)) / length(unique(x$loss))))
  print(utils::head(as.data.frame(x), 6L), ...)
  if (nrow(x) > 6) cat(sprintf("... %d more rows\n", nrow(x) - 6))
  invisible(x)
}

#' Empirical convergence rates
#'
#' Fits \eqn{\log(\mathrm{loss}) = \log c - s \log n} by least squares for every loss (and every
#' expert / `k` setting a study holds), both on the replicate values (`method = "replicates"`) and
#' on the per-n mean losses (`method = "means"`), and reports the slope \eqn{-s} with its standard
#' error and confidence interval. The theory (Nguyen, Ho and Rinaldo, 2024) predicts slopes near
#' \eqn{-1/2} for the regression error of every expert and for D1 with strongly identifiable
#' experts, and much flatter slopes for D2 with linear and polynomial experts when over-specified.
#'
#' @param study A [rate_study()] result, or any data frame with columns `n` and `value` (and
#'   optionally `loss`, `expert`, `k`).
#' @param level Confidence level, in (0, 1). Default 0.95.
#' @returns A data frame with one row per setting, loss and method: `expert`, `k`, `loss`,
#'   `method`, `slope`, `se`, `lower`, `upper` (interval for the slope), `c` (the constant
#'   \eqn{e^{\mathrm{intercept}}}), `n_sizes`, `n_points`, `n_dropped` (rows left out because the
#'   loss is missing, e.g. a failed fit, or `n` is missing or not positive). Errors of class `lsmoe_error_input` when a setting has fewer than two
#'   distinct `n`, or a loss value is zero or negative (its logarithm is undefined).
#' @references
#' Nguyen, H., Ho, N. and Rinaldo, A. (2024). On least squares estimation in softmax gating
#' mixture of experts. ICML 2024, PMLR 235. \doi{10.48550/arXiv.2402.02952}
#' @examples
#' set.seed(1)
#' n <- rep(c(1e3, 1e4, 1e5), each = 10)
#' synthetic <- data.frame(n = n, value = 2 * n^-0.5 * exp(rnorm(30, sd = 0.2)))
#' estimate_rate(synthetic)
#' @export
estimate_rate <- function(study, level = 0.95) {
  if (!is.data.frame(study) || !all(c("n", "value") %in% names(study))) {
    lsmoe_abort("`study` must be a rate_study() result or a data frame with columns n and value.", arg = "study")
  }
  level <- check_number(level, "level", min = 0, max = 1, strict_min = TRUE)
  if (level >= 1) lsmoe_abort("`level` must be below 1.", arg = "level")
  df <- as.data.frame(study)
  if (!nrow(df) || !is.numeric(df$n) || !is.numeric(df$value)) {
    lsmoe_abort("`study` needs numeric columns n and value and at least one row.", arg = "study")
  }
  for (col in c("expert", "k", "loss")) if (is.null(df[[col]])) df[[col]] <- NA
  keys <- unique(df[c("expert", "k", "loss")])
  out <- lapply(seq_len(nrow(keys)), function(i) {
    sel <- df[(df$expert %in% keys$expert[i]) & (df$k %in% keys$k[i]) & (df$loss %in% keys$loss[i]), ]
    ok <- is.finite(sel$value) & is.finite(sel$n) & sel$n > 0
    label <- if (is.na(keys$loss[i])) "" else sprintf(" (loss %s)", keys$loss[i])
    if (any(sel$value[ok] <= 0)) {
      lsmoe_abort(sprintf("`study`%s has %d zero or negative loss value(s): log(loss) is undefined.", label,
                          sum(sel$value[ok] <= 0)), arg = "study")
    }
    sel_ok <- sel[ok, ]
    if (length(unique(sel_ok$n)) < 2) {
      lsmoe_abort(sprintf("`study`%s needs at least two distinct sample sizes n to estimate a rate.", label), arg = "study")
    }
    means <- stats::aggregate(value ~ n, data = sel_ok, FUN = mean)
    rbind(
      rate_fit(sel_ok$n, sel_ok$value, "replicates", level, sum(!ok)),
      rate_fit(means$n, means$value, "means", level, sum(!ok))
    )
  })
  res <- cbind(keys[rep(seq_len(nrow(keys)), each = 2), ], do.call(rbind, out))
  rownames(res) <- NULL
  res
}

rate_fit <- function(n, value, method, level, dropped) {
  m <- stats::lm(log(value) ~ log(n))
  cf <- stats::coef(summary(m))
  se <- if (nrow(cf) == 2 && ncol(cf) >= 2 && length(n) > 2) cf[2, 2] else NA_real_
  q <- if (is.finite(se)) stats::qt(1 - (1 - level) / 2, df = length(n) - 2) else NA_real_
  data.frame(method = method, slope = cf[2, 1], se = se, lower = cf[2, 1] - q * se, upper = cf[2, 1] + q * se,
             c = exp(cf[1, 1]), n_sizes = length(unique(n)), n_points = length(n), n_dropped = dropped)
}

#' Plot a convergence-rate study
#'
#' Log-log plot of the mean loss per sample size with \eqn{\pm 2} standard-deviation bars (cut at
#' the smallest observed loss where the mean minus two SD is not positive) and the
#' least-squares line \eqn{c\, n^{-s}} (fitted on the replicate values), labelled, one panel per
#' loss and one colour per expert / `k` setting. Uses ggplot2 when installed, base graphics
#' otherwise.
#'
#' @param x A [rate_study()] result (possibly several combined with `rbind()`).
#' @param use_ggplot Logical; default `TRUE` when ggplot2 is installed.
#' @param ... Unused.
#' @returns A ggplot object (printed when not assigned), or `x` invisibly for base graphics.
#' @references
#' Nguyen, H., Ho, N. and Rinaldo, A. (2024). On least squares estimation in softmax gating
#' mixture of experts. ICML 2024, PMLR 235. \doi{10.48550/arXiv.2402.02952}
#' @examples
#' set.seed(1)
#' n <- rep(c(1e3, 1e4, 1e5), each = 5)
#' st <- data.frame(expert = "sigmoid", k = 2, loss = "D1", n = n,
#'                  value = n^-0.5 * exp(rnorm(15, sd = 0.2)))
#' class(st) <- c("rate_study", "data.frame")
#' plot(st, use_ggplot = FALSE)
#' @export
plot.rate_study <- function(x, use_ggplot = requireNamespace("ggplot2", quietly = TRUE), ...) {
  df <- as.data.frame(x)
  df <- df[is.finite(df$value) & df$value > 0, ]
  df$setting <- paste0(df$expert, ", k = ", df$k)
  summ <- stats::aggregate(value ~ setting + loss + n, data = df,
                           FUN = function(v) c(mean = mean(v), sd = if (length(v) > 1) stats::sd(v) else 0))
  summ <- data.frame(summ[c("setting", "loss", "n")], mean = summ$value[, "mean"], sd = summ$value[, "sd"])
  # a lower bar end below zero cannot be drawn on a log scale: it is cut at the group's smallest loss
  low <- stats::aggregate(value ~ setting + loss + n, data = df, FUN = min)
  m2 <- summ$mean - 2 * summ$sd
  summ$lo <- ifelse(m2 > 0, m2, low$value[match(paste(summ$setting, summ$loss, summ$n),
                                                paste(low$setting, low$loss, low$n))])
  summ$hi <- summ$mean + 2 * summ$sd
  rates <- estimate_rate(data.frame(n = df$n, value = df$value, loss = df$loss, k = df$k, expert = df$setting))
  rates <- rates[rates$method == "replicates", ]
  lines <- do.call(rbind, lapply(seq_len(nrow(rates)), function(i) {
    ns <- range(df$n[df$setting == rates$expert[i] & df$loss == rates$loss[i]])
    g <- exp(seq(log(ns[1]), log(ns[2]), length.out = 50))
    data.frame(setting = rates$expert[i], loss = rates$loss[i], n = g, fit = rates$c[i] * g^rates$slope[i],
               label = sprintf("%.3g n^%.2f", rates$c[i], rates$slope[i]))
  }))
  if (use_ggplot) {
    lab <- do.call(rbind, lapply(split(lines, lines$loss), function(l) {
      u <- unique(l[c("setting", "label")])
      data.frame(loss = l$loss[1], text = paste(paste0(u$setting, ": ", u$label), collapse = "\n"))
    }))
    ggplot2::ggplot(summ, ggplot2::aes(x = .data$n, y = .data$mean, colour = .data$setting)) +
      ggplot2::geom_point() +
      ggplot2::geom_errorbar(ggplot2::aes(ymin = .data$lo, ymax = .data$hi), width = 0.05) +
      ggplot2::geom_line(data = lines, ggplot2::aes(y = .data$fit), linetype = 2) +
      ggplot2::geom_text(data = lab, ggplot2::aes(x = Inf, y = Inf, label = .data$text), inherit.aes = FALSE,
                         hjust = 1.02, vjust = 1.1, size = 2.7, lineheight = 0.9) +
      ggplot2::scale_x_log10() + ggplot2::scale_y_log10() +
      ggplot2::facet_wrap(~loss, scales = "free_y") +
      ggplot2::labs(x = "sample size n", y = "mean loss (+-2 SD)", colour = NULL) +
      ggplot2::theme_bw() + ggplot2::theme(legend.position = "bottom")
  } else {
    lossv <- unique(summ$loss)
    settings <- unique(summ$setting)
    cols <- grDevices::hcl.colors(max(2, length(settings)), "Dark 3")
    op <- graphics::par(mfrow = c(1, length(lossv)))
    on.exit(graphics::par(op))
    for (l in lossv) {
      s <- summ[summ$loss == l, ]
      graphics::plot(s$n, s$mean, log = "xy", type = "n", ylim = range(c(s$lo, s$hi)), xlab = "n", ylab = "mean loss",
                     main = l)
      for (j in seq_along(settings)) {
        sj <- s[s$setting == settings[j], ]
        lj <- lines[lines$setting == settings[j] & lines$loss == l, ]
        graphics::points(sj$n, sj$mean, pch = 16, col = cols[j])
        graphics::arrows(sj$n, sj$lo, sj$n, sj$hi, angle = 90, code = 3, length = 0.03, col = cols[j])
        graphics::lines(lj$n, lj$fit, lty = 2, col = cols[j])
      }
      graphics::legend("topright", legend = unique(paste(lines$setting, lines$label)[lines$loss == l]),
                       col = cols[seq_along(settings)], lty = 2, bty = "n", cex = 0.7)
    }
    invisible(x)
  }
}
