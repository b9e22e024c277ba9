#' Convergence-rate study of the least squares estimator
#'
#' For every sample size in `n` and every replicate, simulates data from the true mixing measure
#' `G0` ([simulate_moe()]: \eqn{X \sim} Uniform\eqn{[0,1]^d} unless `x` says otherwise,
#' \eqn{Y = f_{G_0}(X) + \varepsilon}, \eqn{\varepsilon \sim N(0, \sigma^2)}), fits [moe_lse()]
#' with `k` experts of `G0`'s family (over-specified when `k > k*`), and computes the requested
#' losses between the fitted and the true mixing measure:
#' `"D1"` and `"D2"` ([voronoi_loss()], with exponent `r` for D2, under every alignment in
#' `align`) and `"regression"` ([regression_error()], the Monte Carlo \eqn{L^2(\mu)} distance
#' between regression functions). [estimate_rate()] then regresses log-loss on log-n, globally
#' and per window of n; [plot.rate_study()] draws the losses, the local slopes, the decomposition
#' of the Voronoi losses and the occupancy of the Voronoi cells.
#'
#' **Starts.** `"near_truth"`: `n_starts` (from `control`) starts at the true atoms plus
#' independent \eqn{N(0, \mathrm{jitter}^2)} noise on every parameter; for an over-specified fit,
#' the `k - k*` surplus components split the true atoms with the largest weights: each split atom
#' is duplicated and both copies get half its weight (\eqn{\beta_0 - \log 2}), as in the studies of
#' Nguyen, Ho and Rinaldo. `"data"`: the fitter's own strategy ([lse_control()]). `"both"`: all of
#' these starts; the smallest RSS wins.
#'
#' **Compact parameter space.** The fits use the box of `control` (`bound_gate`, `bound_expert`,
#' `bound_output`); the infimum alignment translates the true measure within the same gating box
#' \eqn{[-}`bound_gate`\eqn{, }`bound_gate`\eqn{]}, which must then be finite.
#'
#' **Kept fits.** With `keep_fits = TRUE` (default) every fit's estimated mixing measure is kept
#' in the attribute `fits` (one row per fitted atom, a few numbers each), so that any loss can
#' be recomputed later ([rate_study_fits()]); each loss row also records its Voronoi cell sizes
#' and the decomposition of the loss into its weight, split-cell and single-cell terms
#' ([voronoi_loss()] with `terms = TRUE`).
#'
#' **Parallel and reproducible.** The (n, replicate) tasks run through
#' `future.apply::future_lapply(..., future.seed = TRUE)`: choose a backend with
#' `future::plan()` (e.g. `plan(multisession, workers = 2)`, or `future.batchtools` /
#' `future.callr` on a cluster); the package never sets one. Each task gets its own
#' L'Ecuyer-CMRG stream derived from R's seed, so `set.seed()` gives the same numbers with one or
#' many workers. Progress is signalled with `progressr` (wrap the call in
#' `progressr::with_progress()` to see it).
#'
#' **Workers must find lsmoe.** Every worker process loads lsmoe itself. When the package is
#' installed in a private library (for example `R CMD INSTALL --library=~/Rlib .`), the workers
#' fail with "there is no package called 'lsmoe'" unless they see that library too: set
#' `R_LIBS=~/Rlib` (or `R_LIBS_USER`) in the environment before starting R, so that every R
#' process, the workers included, has it in `.libPaths()`; or call `.libPaths(c("~/Rlib",
#' .libPaths()))` in the session before `future::plan()` (multisession workers inherit the
#' library path of the session that starts them; cluster workers read their own `R_LIBS`, set in
#' the job template or `~/.Renviron`).
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
#'   standardize = FALSE, warn = FALSE)`: the box of the compact parameter space then holds on the
#'   truth's own scale.
#' @param x `NULL` (Uniform\eqn{[0,1]^d} inputs) or a function `function(n)` returning an n x d
#'   matrix of inputs.
#' @param r Exponent(s) of D2, in \eqn{[1, 100]}. Default 2. With several values, D2 is reported
#'   once per exponent, as losses `"D2_r1"`, `"D2_r2"`, ...; D2 with \eqn{r = 1} reads directly as
#'   a parameter error (its slope is the parameter rate), D2 with \eqn{r} as the \eqn{r}-th power
#'   of one.
#' @param jitter Standard deviation of the noise added to near-truth starts. Default 0.1.
#' @param n_mc Monte Carlo sample size for `"regression"`. Default 1e4.
#' @param align The alignments under which D1 and D2 are reported ([voronoi_loss()]): a subset
#'   of `c("moment", "infimum", "none")`. Default `NULL`: `c("moment", "infimum")` when d = 1,
#'   `"moment"` otherwise (the infimum alignment is implemented for d = 1).
#' @param keep_fits Logical, default `TRUE`: keep every fitted mixing measure (attribute
#'   `fits`). `FALSE` keeps only the losses, their decomposition and the cell sizes.
#' @param truth A label for the true measure, recorded in the column `truth` (to tell studies of
#'   several truths apart once combined). Default `"truth"`.
#' @returns A data frame of class `rate_study`, one row per (n, replicate, loss, alignment):
#'   `truth`, `expert` (short family name such as `"sigmoid"` or `"polynomial(2)"`), `k`, `k0`
#'   (k*), `n`, `replicate`, `fit` (the fit's id), `loss` (`"D1"`, `"D2"` or `"D2_r1"`, ...,
#'   `"regression"`), `align` (`"moment"`, `"infimum"`, `"none"`; `NA` for the regression error),
#'   `value`, `weight_term`, `split_term`, `single_term` (the decomposition of `value`; `NA` for
#'   the regression error), `cells` (the cell sizes \eqn{|A_1|, \dots, |A_{k^*}|}, as text such as
#'   `"2,1"`), `rss`, `converged`, `iterations`, `on_bound` (estimates on a bound), `seconds` (fit
#'   time), `error` (message of a failed fit, else `NA`; its losses are `NA`). Failed and
#'   unconverged fits are kept and flagged, never dropped. Attributes: `settings` (a list with
#'   one entry per call: `truth`, `expert`, `k`, `G0`, `n`, `reps`, `noise_sd`, `start`,
#'   `control`, `losses`, `r`, `align`, `jitter`, `n_mc`, `keep_fits`, `seconds` (wall time)) and,
#'   with `keep_fits`, `fits` (a data frame with one row per fitted atom: `fit`, `setting` (index
#'   into `settings`), `atom`, `beta0`, `beta1_1`, ..., `eta_1`, ...). Studies of different
#'   truths, experts or `k` combine with `rbind()`, which renumbers the fits and merges these
#'   attributes; row subsets (`[`) keep them. The object survives `saveRDS()`/`readRDS()`.
#'   Errors of class `lsmoe_error_input` for invalid arguments (n not increasing, reps < 1,
#'   k < k*, unknown losses or alignments, the infimum alignment with an infinite `bound_gate`).
#' @references
#' Nguyen, H., Ho, N. and Rinaldo, A. (2024). On least squares estimation in softmax gating
#' mixture of experts. ICML 2024, PMLR 235. \doi{10.48550/arXiv.2402.02952}
#'
#' Nguyen, H., Nguyen, T. and Ho, N. (2023). Demystifying softmax gating function in Gaussian
#' mixture of experts. NeurIPS 2023. \doi{10.48550/arXiv.2305.03288}
#' @seealso [estimate_rate()], [plot.rate_study()], [rate_study_fits()], [voronoi_loss()]
#' @examples
#' G0 <- mixing_measure(beta0 = c(-4, 0), beta1 = c(8, 0),
#'                      eta = rbind(c(6, -2), c(-5, 3)), expert = expert_sigmoid())
#' set.seed(1)
#' st <- rate_study(G0, n = c(200, 400, 800), reps = 2, noise_sd = 0.1)
#' head(st)
#' estimate_rate(st, window = NULL)
#' @export
rate_study <- function(G0, n, reps = 20, k = NULL, noise_sd = 0.1, losses = c("D1", "regression"),
                       start = c("near_truth", "data", "both"), control = NULL, x = NULL, r = 2,
                       jitter = 0.1, n_mc = 1e4, align = NULL, keep_fits = TRUE, truth = "truth") {
  G0 <- as_measure_arg(G0, "G0")
  if (!is.numeric(n) || length(n) < 1 || any(!is.finite(n)) || any(n != round(n)) || any(n < 2) ||
      any(n > .Machine$integer.max) || is.unsorted(n, strictly = TRUE)) {
    lsmoe_abort("`n` must be strictly increasing whole numbers >= 2.", arg = "n")
  }
  n <- as.integer(n)
  reps <- check_count(reps, "reps")
  k <- if (is.null(k)) G0$k else check_count(k, "k", max = 1000)
  if (k < G0$k) {
    lsmoe_abort(sprintf("`k` (%d) must be at least the number of atoms of `G0` (k* = %d).", k, G0$k), arg = "k")
  }
  noise_sd <- check_number(noise_sd, "noise_sd", min = 0)
  known <- c("D1", "D2", "regression")
  if (!is.character(losses) || length(losses) < 1 || any(!losses %in% known)) {
    lsmoe_abort(sprintf("`losses` must be a subset of %s, not %s.", paste(dQuote(known, FALSE), collapse = ", "),
                        if (is.character(losses) && length(losses)) paste(losses, collapse = ", ") else describe(losses)),
                arg = "losses")
  }
  losses <- unique(losses)
  if (!is.character(start)) lsmoe_abort("`start` must be \"near_truth\", \"data\" or \"both\".", arg = "start")
  start <- tryCatch(match.arg(start),
                    error = function(e) lsmoe_abort("`start` must be \"near_truth\", \"data\" or \"both\".", arg = "start"))
  control <- if (is.null(control)) lse_control(n_starts = 2, standardize = FALSE, warn = FALSE) else as_control(control)
  if (!is.null(x) && !is.function(x)) lsmoe_abort("`x` must be NULL or a function(n) returning an n x d matrix.", arg = "x")
  if (!is.numeric(r) || length(r) < 1 || any(!is.finite(r)) || any(r < 1) || any(r > 100) || anyDuplicated(r)) {
    lsmoe_abort("`r` must be distinct finite numbers in [1, 100].", arg = "r")
  }
  jitter <- check_number(jitter, "jitter", min = 0)
  n_mc <- check_count(n_mc, "n_mc", min = 10)
  if (is.null(align)) align <- if (G0$d == 1) c("moment", "infimum") else "moment"
  aligns <- c("moment", "infimum", "none")
  if (!is.character(align) || length(align) < 1 || anyNA(align) || any(!align %in% aligns)) {
    lsmoe_abort(sprintf("`align` must be a subset of %s.", paste(dQuote(aligns, FALSE), collapse = ", ")), arg = "align")
  }
  align <- unique(align)
  if ("infimum" %in% align && G0$d > 1) {
    lsmoe_abort(sprintf("`align = \"infimum\"` is implemented for d = 1 only (here d = %d).", G0$d), arg = "align")
  }
  if ("infimum" %in% align && !is.finite(control$bound_gate)) {
    lsmoe_abort("`align = \"infimum\"` needs a compact box: `control` has bound_gate = Inf.", arg = "align")
  }
  keep_fits <- check_flag(keep_fits, "keep_fits")
  if (!is.character(truth) || length(truth) != 1 || is.na(truth) || !nzchar(truth)) {
    lsmoe_abort(sprintf("`truth` must be a single non-empty string, not %s.", describe(truth)), arg = "truth")
  }
  if (min(n) < n_free_params(k, G0$d, G0$q)) {
    lsmoe_abort(sprintf("The smallest `n` (%d) is below the number of free parameters (%d).", min(n),
                        n_free_params(k, G0$d, G0$q)), arg = "n")
  }

  tasks <- expand.grid(replicate = seq_len(reps), n = n)
  p <- progressr::progressor(steps = nrow(tasks))
  one <- function(i) {
    res <- rate_study_task(G0, tasks$n[i], k, noise_sd, losses, start, control, x, r, jitter, n_mc, align)
    p(sprintf("n = %d, replicate %d", tasks$n[i], tasks$replicate[i]))
    res$rows <- data.frame(n = tasks$n[i], replicate = tasks$replicate[i], fit = i, res$rows, stringsAsFactors = FALSE)
    res
  }
  t_start <- proc.time()[["elapsed"]]
  # one task per future: the tasks' costs grow with n, so contiguous chunks would leave a worker
  # idle; the seeds are per task (future.seed), so results do not depend on the chunking
  results <- future.apply::future_lapply(seq_len(nrow(tasks)), one, future.seed = TRUE, future.chunk.size = 1)
  seconds <- proc.time()[["elapsed"]] - t_start
  out <- do.call(rbind, lapply(results, `[[`, "rows"))
  out <- data.frame(truth = truth, expert = expert_short(G0$expert), k = k, k0 = G0$k, out, stringsAsFactors = FALSE)
  rownames(out) <- NULL
  fits <- NULL
  if (keep_fits) {
    fits <- do.call(rbind, lapply(seq_along(results), function(i) measure_rows(results[[i]]$measure, i, 1L, G0$d, G0$q)))
  }
  settings <- list(list(truth = truth, expert = expert_short(G0$expert), k = k, G0 = G0, n = n, reps = reps,
                        noise_sd = noise_sd, start = start, control = control, losses = losses, r = r, align = align,
                        jitter = jitter, n_mc = n_mc, keep_fits = keep_fits, seconds = seconds))
  new_rate_study(out, settings, fits)
}

new_rate_study <- function(df, settings, fits, meta = NULL) {
  structure(df, class = c("rate_study", "data.frame"), settings = settings, fits = fits, meta = meta)
}

# Short label of an expert family: "sigmoid", "tanh", "linear", "polynomial(2)", "c*sigmoid", ...
expert_short <- function(expert) {
  lab <- if (expert$name == "polynomial") sprintf("polynomial(%d)", expert$degree) else expert$name
  if (isTRUE(expert$output_weight)) paste0("c*", lab) else lab
}

# A fitted measure as rows of the `fits` attribute (NULL measure of a failed fit: no rows).
measure_rows <- function(m, fit, setting, d, q) {
  if (is.null(m)) return(NULL)
  k <- length(m$beta0)
  b1 <- matrix(m$beta1, k, d, dimnames = list(NULL, paste0("beta1_", seq_len(d))))
  et <- matrix(m$eta, k, q, dimnames = list(NULL, paste0("eta_", seq_len(q))))
  data.frame(fit = as.integer(fit), setting = as.integer(setting), atom = seq_len(k), beta0 = m$beta0, b1, et)
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

# One (n, replicate) task: simulate, fit, and compute every loss. Returns list(rows, measure).
rate_study_task <- function(G0, n, k, noise_sd, losses, start, control, x, r, jitter, n_mc,
                            align = "moment") {
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
  spec <- loss_spec(losses, r, align)
  if (inherits(fit, "error")) {
    rows <- data.frame(spec[c("loss", "align")], value = NA_real_, weight_term = NA_real_, split_term = NA_real_,
                       single_term = NA_real_, cells = NA_character_, rss = NA_real_, converged = FALSE,
                       iterations = NA_integer_, on_bound = NA_integer_, seconds = secs,
                       error = conditionMessage(fit), stringsAsFactors = FALSE)
    return(list(rows = rows, measure = NULL))
  }
  G <- as_mixing_measure(fit)
  vals <- lapply(seq_len(nrow(spec)), function(i) {
    if (spec$type[i] == "regression") {
      return(list(value = as.numeric(regression_error(G, G0, n_mc = n_mc, x = x)), weight = NA_real_,
                  split = NA_real_, single = NA_real_, cells = NA_character_))
    }
    tm <- voronoi_loss(G, G0, type = spec$type[i], r = spec$r[i], align = spec$align[i],
                       bound_gate = control$bound_gate, terms = TRUE)
    list(value = attr(tm, "value"), weight = sum(tm$weight), split = sum(tm$split), single = sum(tm$single),
         cells = paste(tm$cell_size, collapse = ","))
  })
  col <- function(nm) unlist(lapply(vals, `[[`, nm))
  rows <- data.frame(spec[c("loss", "align")], value = col("value"), weight_term = col("weight"),
                     split_term = col("split"), single_term = col("single"), cells = col("cells"), rss = fit$rss,
                     converged = fit$converged, iterations = fit$iterations, on_bound = fit$on_bound, seconds = secs,
                     error = NA_character_, stringsAsFactors = FALSE)
  list(rows = rows, measure = list(beta0 = G$beta0, beta1 = G$beta1, eta = G$eta))
}

# The loss rows of one fit: every Voronoi loss (D1, D2 per exponent) under every alignment, then
# the regression error. "D2" becomes "D2_r1", "D2_r2", ... when several r are asked for.
loss_spec <- function(losses, r, align) {
  rows <- lapply(losses, function(l) {
    switch(l,
      D1 = data.frame(loss = "D1", type = "D1", r = NA_real_, align = align),
      D2 = do.call(rbind, lapply(r, function(rr) {
        data.frame(loss = if (length(r) > 1) sprintf("D2_r%g", rr) else "D2", type = "D2", r = rr, align = align)
      })),
      regression = data.frame(loss = "regression", type = "regression", r = NA_real_, align = NA_character_)
    )
  })
  out <- do.call(rbind, rows)
  out$loss <- as.character(out$loss)
  out$align <- as.character(out$align)
  out
}

# Loss names of a study's rows (kept for callers of the old internal helper).
loss_labels <- function(losses, r) unique(loss_spec(losses, r, "moment")$loss)

#' Fitted measures kept by a rate study
#'
#' Rebuilds the fitted mixing measures that [rate_study()] keeps (with `keep_fits = TRUE`),
#' together with the true measure of their setting, so that any loss can be recomputed, for
#' instance `voronoi_loss(f$G, f$G0, align = "infimum")`.
#'
#' @param study A [rate_study()] result (possibly several combined with `rbind()`).
#' @param fit Fit ids (the column `fit` of the study), or `NULL` (default) for every kept fit.
#' @returns A list with one element per fit, named by fit id, each a list with `fit`, `n`,
#'   `replicate`, `truth`, `expert`, `k`, `G` (the fitted [mixing_measure()]) and `G0` (the true
#'   one). Errors of class `lsmoe_error_input` when the study kept no fits or a fit id is
#'   unknown.
#' @seealso [rate_study()], [voronoi_loss()]
#' @examples
#' G0 <- mixing_measure(beta0 = c(-4, 0), beta1 = c(8, 0),
#'                      eta = rbind(c(6, -2), c(-5, 3)), expert = expert_sigmoid())
#' set.seed(1)
#' st <- rate_study(G0, n = c(200, 400), reps = 1, losses = "D1")
#' f <- rate_study_fits(st)[[1]]
#' voronoi_loss(f$G, f$G0)$value
#' st$value[st$fit == f$fit & st$align == "moment"]
#' @export
rate_study_fits <- function(study, fit = NULL) {
  fits <- attr(study, "fits")
  settings <- attr(study, "settings")
  if (!inherits(study, "rate_study") || is.null(fits) || is.null(settings)) {
    lsmoe_abort("`study` kept no fitted measures: run rate_study() with keep_fits = TRUE.", arg = "study")
  }
  ids <- unique(fits$fit)
  if (!is.null(fit)) {
    if (!is.numeric(fit) || anyNA(fit) || any(!fit %in% ids)) {
      lsmoe_abort("`fit` must be fit ids of the study's kept fits (its column `fit`).", arg = "fit")
    }
    ids <- unique(fit)
  }
  df <- as.data.frame(study)
  out <- lapply(ids, function(id) {
    rows <- fits[fits$fit == id, , drop = FALSE]
    s <- settings[[rows$setting[1]]]
    G0 <- s$G0
    b1 <- as.matrix(rows[paste0("beta1_", seq_len(G0$d))])
    et <- as.matrix(rows[paste0("eta_", seq_len(G0$q))])
    info <- df[df$fit == id, , drop = FALSE][1, ]
    list(fit = id, n = info$n, replicate = info$replicate, truth = s$truth, expert = s$expert, k = s$k,
         G = mixing_measure(rows$beta0, b1, et, G0$expert), G0 = G0)
  })
  names(out) <- ids
  out
}

#' @export
`[.rate_study` <- function(x, ...) {
  out <- NextMethod()
  if (is.data.frame(out) && !all(c("n", "value") %in% names(out))) {
    # a column subset that is no longer a study: a plain data frame
    return(structure(out, class = "data.frame", settings = NULL, fits = NULL, meta = NULL))
  }
  if (is.data.frame(out)) {
    attr(out, "settings") <- attr(x, "settings")
    attr(out, "fits") <- attr(x, "fits")
    attr(out, "meta") <- attr(x, "meta")
  }
  out
}

#' @export
rbind.rate_study <- function(..., deparse.level = 1) {
  args <- Filter(Negate(is.null), list(...))
  for (a in args) check_study_df(a, "...")
  offset_fit <- 0L
  offset_setting <- 0L
  tabs <- list()
  fits <- list()
  settings <- list()
  for (a in args) {
    df <- as.data.frame(a)
    st <- attr(a, "settings")
    fa <- attr(a, "fits")
    if (!is.null(df$fit)) {
      if (!is.null(fa)) {
        fa$fit <- fa$fit + offset_fit
        fa$setting <- fa$setting + offset_setting
        fits[[length(fits) + 1]] <- fa
      }
      step <- max(c(0L, df$fit), na.rm = TRUE)
      df$fit <- df$fit + offset_fit
      offset_fit <- offset_fit + step
    }
    offset_setting <- offset_setting + length(st)
    settings <- c(settings, st)
    tabs[[length(tabs) + 1]] <- df
  }
  cols <- unique(unlist(lapply(tabs, names)))
  fill <- function(d, cols) {
    for (cn in setdiff(cols, names(d))) d[[cn]] <- NA
    d[cols]
  }
  out <- do.call(rbind.data.frame, lapply(tabs, fill, cols = cols))
  rownames(out) <- NULL
  fits_all <- NULL
  if (length(fits)) {
    fcols <- unique(unlist(lapply(fits, names)))
    fits_all <- do.call(rbind.data.frame, lapply(fits, fill, cols = fcols))
    rownames(fits_all) <- NULL
  }
  new_rate_study(out, settings, fits_all, attr(args[[1]], "meta"))
}

#' @export
print.rate_study <- function(x, ...) {
  check_study_df(x)
  df <- as.data.frame(x)
  nl <- max(1L, nrow(unique(df[intersect(c("loss", "align"), names(df))])))
  cat(sprintf("<rate_study> %s; %s experts; k = %s (k* = %s)\n",
              if (!is.null(df$truth)) paste("truth", paste(unique(df$truth), collapse = "/")) else "one truth",
              paste(unique(df$expert), collapse = "/"), paste(unique(df$k), collapse = "/"),
              if (is.null(df$k0)) "?" else paste(unique(df$k0), collapse = "/")))
  # a data frame given the class by hand (as in ?plot.rate_study) may lack the fit columns
  nfit <- if (!is.null(df$fit)) length(unique(df$fit)) else nrow(df) %/% nl
  first <- if (!is.null(df$fit)) !duplicated(df$fit) else rep(TRUE, nrow(df))
  losses <- if (is.null(df$loss)) "value" else if (is.null(df$align)) df$loss else
    ifelse(is.na(df$align), df$loss, paste0(df$loss, " (", df$align, ")"))
  status <- c(if (!is.null(df$converged)) sprintf("%d not converged", sum(!df$converged[first] %in% TRUE)),
              if (!is.null(df$error)) sprintf("%d failed", sum(!is.na(df$error[first]))))
  cat(sprintf("n: %s\nlosses: %s; %d fit(s)%s%s\n", paste(unique(df$n), collapse = ", "),
              paste(unique(losses), collapse = ", "), nfit,
              if (length(status)) paste0(", ", status, collapse = "") else "",
              if (!is.null(attr(x, "fits"))) "; fitted measures kept" else ""))
  print(utils::head(df, 6L), ...)
  if (nrow(x) > 6) cat(sprintf("... %d more rows\n", nrow(x) - 6))
  invisible(x)
}

#' Empirical convergence rates, global and local
#'
#' Fits \eqn{\log(\mathrm{loss}) = \log c + s \log n} by least squares for every loss (and every
#' truth / expert / `k` / alignment setting a study holds), both on the replicate values
#' (`method = "replicates"`) and on the per-n mean losses (`method = "means"`), and reports the
#' slope \eqn{s} with its standard error and confidence interval. With `window`, it also fits
#' the same line on the replicate values inside windows of n (`method = "local"`; by default one
#' per half-decade), so that a slope that changes with n is seen rather than averaged away. The
#' theory (Nguyen, Ho and Rinaldo, 2024) predicts slopes near \eqn{-1/2} for the regression
#' error of every expert and for D1 with strongly identifiable experts, and much flatter slopes
#' for D2 with linear and polynomial experts when over-specified.
#'
#' **Windows.** The windows are \eqn{[10^{b_m}, 10^{b_{m+1}}]} with breaks \eqn{b_m} every
#' `window` decades from \eqn{\lfloor \log_{10} \min n \rfloor}; a window includes its two end
#' points (to within \eqn{10^{-3}} decades, since log-spaced sample sizes are rounded), so
#' neighbouring windows share the sample size on their common boundary. A window with fewer than
#' two distinct n is skipped. Local intervals are t intervals from the replicate values of the
#' window: they describe the noise of the replicates, not the choice of the window.
#'
#' @param study A [rate_study()] result, or any data frame with columns `n` and `value` (and
#'   optionally `truth`, `expert`, `k`, `loss`, `align`).
#' @param level Confidence level, in (0, 1). Default 0.95.
#' @param window Width of the local windows in decades of n, a positive number (default 0.5: one
#'   window per half-decade), or `NULL` for the global slopes only.
#' @returns A data frame with one row per setting, loss and method: `truth`, `expert`, `k`,
#'   `loss`, `align` (`NA` where the study has no such column), `method` (`"replicates"`,
#'   `"means"` or `"local"`), `n_lo`, `n_hi` (the range of n used), `slope`, `se`, `lower`,
#'   `upper` (interval for the slope), `c` (the constant \eqn{e^{\mathrm{intercept}}}),
#'   `n_sizes`, `n_points`, `n_dropped` (rows left out because the loss is missing, e.g. a
#'   failed fit, or `n` is missing or not positive). Errors of class `lsmoe_error_input` when a
#'   setting has fewer than two distinct `n`, or a loss value is zero or negative (its logarithm
#'   is undefined), or for an invalid `level` or `window` (including one so narrow that it would
#'   make more than 1000 windows). Losses on an exact power law (all equal, for instance) give
#'   `se` 0 and a zero-width interval, without a warning; with two points `se`, `lower` and
#'   `upper` are `NA`. A constant `c` that overflows is `NA`, with a warning of class
#'   `lsmoe_warning_nonfinite`.
#' @references
#' Nguyen, H., Ho, N. and Rinaldo, A. (2024). On least squares estimation in softmax gating
#' mixture of experts. ICML 2024, PMLR 235. \doi{10.48550/arXiv.2402.02952}
#' @examples
#' set.seed(1)
#' n <- rep(round(10^seq(3, 5, by = 0.25)), each = 10)
#' # a broken power law: slope -0.25 below n = 1e4, -0.5 above
#' value <- ifelse(n < 1e4, n^-0.25, 10^-1 * (n / 1e4)^-0.5) * exp(rnorm(length(n), sd = 0.1))
#' est <- estimate_rate(data.frame(n = n, value = value))
#' est[, c("method", "n_lo", "n_hi", "slope", "lower", "upper")]
#' @export
estimate_rate <- function(study, level = 0.95, window = 0.5) {
  if (!is.data.frame(study) || !all(c("n", "value") %in% names(study))) {
    lsmoe_abort("`study` must be a rate_study() result or a data frame with columns n and value.", arg = "study")
  }
  level <- check_number(level, "level", min = 0, max = 1, strict_min = TRUE)
  if (level >= 1) lsmoe_abort("`level` must be below 1.", arg = "level")
  if (!is.null(window)) window <- check_number(window, "window", min = 0, strict_min = TRUE)
  df <- as.data.frame(study)
  if (!nrow(df) || !is.numeric(df$n) || !is.numeric(df$value)) {
    lsmoe_abort("`study` needs numeric columns n and value and at least one row.", arg = "study")
  }
  key_cols <- c("truth", "expert", "k", "loss", "align")
  for (col in key_cols) if (is.null(df[[col]])) df[[col]] <- NA
  keys <- unique(df[key_cols])
  out <- lapply(seq_len(nrow(keys)), function(i) {
    sel <- df
    for (col in key_cols) sel <- sel[sel[[col]] %in% keys[[col]][i], , drop = FALSE]
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
    res <- rbind(
      rate_fit(sel_ok$n, sel_ok$value, "replicates", level, sum(!ok)),
      rate_fit(means$n, means$value, "means", level, sum(!ok))
    )
    if (!is.null(window)) {
      ln <- log10(sel_ok$n)
      n_win <- (max(ln) - floor(min(ln))) / window + 1
      if (n_win > 1000) {
        lsmoe_abort(sprintf("`window` (%s decades) is too narrow: it would make %.3g windows over the study's n (at most 1000).",
                            format(window), n_win), arg = "window")
      }
      breaks <- seq(floor(min(ln)), max(ln) + window, by = window)
      loc <- lapply(seq_len(length(breaks) - 1), function(m) {
        inw <- ln >= breaks[m] - 1e-3 & ln <= breaks[m + 1] + 1e-3
        if (length(unique(sel_ok$n[inw])) < 2) return(NULL)
        rate_fit(sel_ok$n[inw], sel_ok$value[inw], "local", level, 0L)
      })
      res <- rbind(res, do.call(rbind, loc))
    }
    cbind(keys[rep(i, nrow(res)), , drop = FALSE], res)
  })
  res <- do.call(rbind, out)
  rownames(res) <- NULL
  res
}

rate_fit <- function(n, value, method, level, dropped) {
  # least squares of log(value) on log(n), written out (summary.lm() warns on an exact fit, which is
  # legitimate here: equal losses give slope 0 with standard error 0)
  lx <- log(n)
  ly <- log(value)
  m <- length(lx)
  cx <- lx - mean(lx)
  sxx <- sum(cx^2)
  slope <- sum(cx * (ly - mean(ly))) / sxx
  icpt <- mean(ly) - slope * mean(lx)
  se <- if (m > 2) sqrt(sum((ly - icpt - slope * lx)^2) / (m - 2) / sxx) else NA_real_
  if (!is.finite(se)) se <- NA_real_  # no residual degrees of freedom: no interval, never NaN
  q <- if (is.finite(se)) stats::qt(1 - (1 - level) / 2, df = m - 2) else NA_real_
  cc <- exp(icpt)
  if (!is.finite(cc) || !is.finite(slope)) {
    lsmoe_warn(sprintf("The fitted line of log(loss) on log(n) (%s) is not finite: the constant c = exp(%.4g) overflows; it is NA.",
                       method, icpt), class = "lsmoe_warning_nonfinite")
    cc <- NA_real_
  }
  data.frame(method = method, n_lo = min(n), n_hi = max(n), slope = slope, se = se, lower = slope - q * se,
             upper = slope + q * se, c = cc, n_sizes = length(unique(n)), n_points = m,
             n_dropped = dropped)
}

# The label of a study's setting (truth shown only when the study holds several) and of a loss
# (its alignment appended unless moment or none).
setting_label <- function(df) {
  lab <- paste0(df$expert, ", k = ", df$k)
  if (!is.null(df$truth) && length(unique(df$truth)) > 1) lab <- paste0(df$truth, ": ", lab)
  lab
}
loss_label <- function(df) {
  al <- if (is.null(df$align)) rep(NA_character_, nrow(df)) else as.character(df$align)
  ifelse(is.na(al) | al %in% c("moment", "none"), as.character(df$loss), paste0(df$loss, " (", al, ")"))
}

#' Plot a convergence-rate study
#'
#' Four views of a [rate_study()]:
#' * `what = "loss"` (default): log-log plot of the mean loss per sample size with
#'   \eqn{\pm 2} standard-deviation bars (cut at the smallest observed loss where the mean minus
#'   two SD is not positive) and the least-squares line \eqn{c\, n^{s}} (fitted on the replicate
#'   values), labelled, one panel per loss and one colour per setting;
#' * `what = "local"`: the local slopes of [estimate_rate()] (one per window of n, at the
#'   window's geometric midpoint, with their intervals), one panel per loss, the global slope as
#'   a dashed line;
#' * `what = "terms"`: for the Voronoi loss `loss` under alignment `align`, the mean over
#'   replicates of its weight, split-cell and single-cell terms against n (log-log; a term that is
#'   zero in every replicate is left out), one panel per setting;
#' * `what = "cells"`: the Voronoi cell occupancy: for each pattern of cell sizes
#'   (\eqn{|A_1|, \dots, |A_{k^*}|}, e.g. `"2,1"`), the fraction of fits with that pattern
#'   against n, one panel per setting.
#' Uses ggplot2 when installed, base graphics otherwise.
#'
#' @param x A [rate_study()] result (possibly several combined with `rbind()`).
#' @param what `"loss"` (default), `"local"`, `"terms"` or `"cells"`.
#' @param loss For `"loss"` and `"local"`: the losses to show (default all); for `"terms"` and
#'   `"cells"`: the one Voronoi loss to take apart (default `"D1"`, else the first Voronoi loss).
#' @param align For `"terms"` and `"cells"`: the alignment, default `"moment"`.
#' @param window Window width in decades for `"local"` (see [estimate_rate()]). Default 0.5.
#' @param use_ggplot Logical; default `TRUE` when ggplot2 is installed.
#' @param ... Unused.
#' @returns A ggplot object (printed when not assigned), or `x` invisibly for base graphics.
#'   Errors of class `lsmoe_error_input` for an unknown `what`, a `loss` that is not a character
#'   vector, or when the study has no rows for the requested loss and alignment (or no
#'   decomposition columns).
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
plot.rate_study <- function(x, what = c("loss", "local", "terms", "cells"), loss = NULL, align = "moment",
                            window = 0.5, use_ggplot = requireNamespace("ggplot2", quietly = TRUE), ...) {
  check_study_df(x)
  what <- match_choice(what, c("loss", "local", "terms", "cells"), "what")
  use_ggplot <- check_flag(use_ggplot, "use_ggplot")
  if (use_ggplot && !requireNamespace("ggplot2", quietly = TRUE)) {
    lsmoe_abort("`use_ggplot = TRUE` needs the ggplot2 package: install it or use use_ggplot = FALSE.", arg = "use_ggplot")
  }
  df <- as.data.frame(x)
  if (is.null(df$loss)) df$loss <- "loss"
  if (is.null(df$expert)) df$expert <- ""
  if (is.null(df$k)) df$k <- NA
  df$setting <- setting_label(df)
  df$panel <- loss_label(df)
  if (what %in% c("terms", "cells")) return(plot_rate_parts(x, df, what, loss, align, use_ggplot))
  if (!is.null(loss) && (!is.character(loss) || !length(loss) || anyNA(loss))) {
    lsmoe_abort(sprintf("`loss` must be NULL or names of losses in the study, not %s.", describe(loss)), arg = "loss")
  }
  if (!is.null(loss)) df <- df[df$loss %in% loss, ]
  df <- df[is.finite(df$value) & df$value > 0, ]
  if (!nrow(df)) lsmoe_abort("`x` has no positive loss values to plot (for the requested `loss`).", arg = "loss")
  if (what == "local") return(plot_rate_local(x, df, window, use_ggplot))
  summ <- stats::aggregate(value ~ setting + panel + n, data = df,
                           FUN = function(v) c(mean = mean(v), sd = if (length(v) > 1) stats::sd(v) else 0))
  summ <- data.frame(summ[c("setting", "panel", "n")], mean = summ$value[, "mean"], sd = summ$value[, "sd"])
  # a lower bar end below zero cannot be drawn on a log scale: it is cut at the group's smallest loss
  low <- stats::aggregate(value ~ setting + panel + n, data = df, FUN = min)
  m2 <- summ$mean - 2 * summ$sd
  summ$lo <- ifelse(m2 > 0, m2, low$value[match(paste(summ$setting, summ$panel, summ$n),
                                                paste(low$setting, low$panel, low$n))])
  summ$hi <- summ$mean + 2 * summ$sd
  rates <- estimate_rate(data.frame(n = df$n, value = df$value, loss = df$panel, expert = df$setting), window = NULL)
  rates <- rates[rates$method == "replicates", ]
  lines <- do.call(rbind, lapply(seq_len(nrow(rates)), function(i) {
    ns <- range(df$n[df$setting == rates$expert[i] & df$panel == rates$loss[i]])
    g <- exp(seq(log(ns[1]), log(ns[2]), length.out = 50))
    data.frame(setting = rates$expert[i], panel = rates$loss[i], n = g, fit = rates$c[i] * g^rates$slope[i],
               label = sprintf("%.3g n^%.2f", rates$c[i], rates$slope[i]))
  }))
  if (use_ggplot) {
    lab <- do.call(rbind, lapply(split(lines, lines$panel), function(l) {
      u <- unique(l[c("setting", "label")])
      data.frame(panel = l$panel[1], text = paste(paste0(u$setting, ": ", u$label), collapse = "\n"))
    }))
    ggplot2::ggplot(summ, ggplot2::aes(x = .data$n, y = .data$mean, colour = .data$setting)) +
      ggplot2::geom_point() +
      ggplot2::geom_errorbar(ggplot2::aes(ymin = .data$lo, ymax = .data$hi), width = 0.05) +
      ggplot2::geom_line(data = lines, ggplot2::aes(y = .data$fit), linetype = 2) +
      ggplot2::geom_text(data = lab, ggplot2::aes(x = Inf, y = Inf, label = .data$text), inherit.aes = FALSE,
                         hjust = 1.02, vjust = 1.1, size = 2.7, lineheight = 0.9) +
      ggplot2::scale_x_log10() + ggplot2::scale_y_log10() +
      ggplot2::facet_wrap(~panel, scales = "free_y") +
      ggplot2::labs(x = "sample size n", y = "mean loss (+-2 SD)", colour = NULL) +
      ggplot2::theme_bw() + ggplot2::theme(legend.position = "bottom")
  } else {
    panels <- unique(summ$panel)
    settings <- unique(summ$setting)
    cols <- grDevices::hcl.colors(max(2, length(settings)), "Dark 3")
    op <- graphics::par(mfrow = c(1, length(panels)))
    on.exit(graphics::par(op))
    for (l in panels) {
      s <- summ[summ$panel == l, ]
      graphics::plot(s$n, s$mean, log = "xy", type = "n", ylim = range(c(s$lo, s$hi)), xlab = "n", ylab = "mean loss",
                     main = l)
      for (j in seq_along(settings)) {
        sj <- s[s$setting == settings[j], ]
        lj <- lines[lines$setting == settings[j] & lines$panel == l, ]
        graphics::points(sj$n, sj$mean, pch = 16, col = cols[j])
        graphics::arrows(sj$n, sj$lo, sj$n, sj$hi, angle = 90, code = 3, length = 0.03, col = cols[j])
        graphics::lines(lj$n, lj$fit, lty = 2, col = cols[j])
      }
      graphics::legend("topright", legend = unique(paste(lines$setting, lines$label)[lines$panel == l]),
                       col = cols[seq_along(settings)], lty = 2, bty = "n", cex = 0.7)
    }
    invisible(x)
  }
}

plot_rate_local <- function(x, df, window, use_ggplot) {
  est <- estimate_rate(data.frame(n = df$n, value = df$value, loss = df$panel, expert = df$setting), window = window)
  loc <- est[est$method == "local", ]
  if (!nrow(loc)) lsmoe_abort("No window holds two sample sizes: use a wider `window`.", arg = "window")
  glob <- est[est$method == "replicates", ]
  loc$mid <- sqrt(as.numeric(loc$n_lo) * as.numeric(loc$n_hi))  # double: n_lo * n_hi overflows an integer above n = 46341
  names(loc)[names(loc) == "expert"] <- "setting"
  names(glob)[names(glob) == "expert"] <- "setting"
  if (use_ggplot) {
    dodge <- ggplot2::position_dodge(width = 0.08)
    ggplot2::ggplot(loc, ggplot2::aes(x = .data$mid, y = .data$slope, colour = .data$setting)) +
      ggplot2::geom_hline(data = glob, ggplot2::aes(yintercept = .data$slope, colour = .data$setting), linetype = 2) +
      ggplot2::geom_hline(yintercept = -0.5, colour = "grey50", linetype = 3) +
      ggplot2::geom_pointrange(ggplot2::aes(ymin = .data$lower, ymax = .data$upper), position = dodge, size = 0.3) +
      ggplot2::scale_x_log10() +
      ggplot2::facet_wrap(~loss) +
      ggplot2::labs(x = "sample size n (window midpoint)", y = "local slope (95% interval)", colour = NULL,
                    caption = "dashed: global slope; dotted: -1/2") +
      ggplot2::theme_bw() + ggplot2::theme(legend.position = "bottom")
  } else {
    panels <- unique(loc$loss)
    settings <- unique(loc$setting)
    cols <- grDevices::hcl.colors(max(2, length(settings)), "Dark 3")
    op <- graphics::par(mfrow = c(1, length(panels)))
    on.exit(graphics::par(op))
    for (l in panels) {
      s <- loc[loc$loss == l, ]
      yl <- range(c(s$lower, s$upper, -0.5), na.rm = TRUE)
      graphics::plot(s$mid, s$slope, log = "x", type = "n", ylim = yl, xlab = "n", ylab = "local slope", main = l)
      graphics::abline(h = -0.5, lty = 3, col = "grey50")
      for (j in seq_along(settings)) {
        sj <- s[s$setting == settings[j], ]
        graphics::points(sj$mid, sj$slope, pch = 16, col = cols[j])
        ok <- is.finite(sj$lower)
        if (any(ok)) graphics::arrows(sj$mid[ok], sj$lower[ok], sj$mid[ok], sj$upper[ok], angle = 90, code = 3,
                                      length = 0.03, col = cols[j])
        graphics::abline(h = glob$slope[glob$loss == l & glob$setting == settings[j]], lty = 2, col = cols[j])
      }
      graphics::legend("topright", legend = settings, col = cols[seq_along(settings)], pch = 16, bty = "n", cex = 0.7)
    }
    invisible(x)
  }
}

plot_rate_parts <- function(x, df, what, loss, align, use_ggplot) {
  need <- c("weight_term", "split_term", "single_term", "cells", "align")
  if (!all(need %in% names(df))) {
    lsmoe_abort("`x` has no decomposition or cell columns: it comes from an older rate_study().", arg = "x")
  }
  voronoi <- setdiff(unique(df$loss), "regression")
  if (is.null(loss)) loss <- if ("D1" %in% voronoi) "D1" else voronoi[1]
  if (!is.character(loss) || length(loss) != 1 || !loss %in% voronoi) {
    lsmoe_abort(sprintf("`loss` must be one of the study's Voronoi losses (%s).", paste(voronoi, collapse = ", ")),
                arg = "loss")
  }
  sel <- df[df$loss == loss & df$align %in% align & is.finite(df$value), ]
  if (!nrow(sel)) {
    lsmoe_abort(sprintf("`x` has no rows for loss %s under alignment \"%s\".", loss, paste(align, collapse = ", ")),
                arg = "align")
  }
  title <- sprintf("%s (%s alignment)", loss, paste(align, collapse = ", "))
  if (what == "terms") {
    long <- do.call(rbind, lapply(c(weight = "weight_term", split = "split_term", single = "single_term"), function(cn) {
      data.frame(setting = sel$setting, n = sel$n, term = sub("_term", "", cn), value = sel[[cn]])
    }))
    long <- stats::aggregate(value ~ setting + n + term, data = long, FUN = mean)
    long <- long[long$value > 0, ]
    ylab <- "mean term over replicates"
    logy <- TRUE
  } else {
    tab <- stats::aggregate(rep(1, nrow(sel)) ~ setting + n + cells, data = sel, FUN = sum)
    names(tab)[4] <- "count"
    tot <- stats::aggregate(count ~ setting + n, data = tab, FUN = sum)
    tab$value <- tab$count / tot$count[match(paste(tab$setting, tab$n), paste(tot$setting, tot$n))]
    long <- tab
    long$term <- long$cells
    ylab <- "fraction of fits"
    logy <- FALSE
  }
  if (use_ggplot) {
    g <- ggplot2::ggplot(long, ggplot2::aes(x = .data$n, y = .data$value, colour = .data$term)) +
      ggplot2::geom_point() + ggplot2::geom_line() +
      ggplot2::scale_x_log10() +
      ggplot2::facet_wrap(~setting, scales = if (logy) "free_y" else "fixed") +
      ggplot2::labs(x = "sample size n", y = ylab, colour = if (what == "terms") "term" else "cell sizes",
                    title = title) +
      ggplot2::theme_bw() + ggplot2::theme(legend.position = "bottom")
    if (logy) g <- g + ggplot2::scale_y_log10()
    g
  } else {
    settings <- unique(long$setting)
    groups <- unique(long$term)
    cols <- grDevices::hcl.colors(max(2, length(groups)), "Dark 3")
    op <- graphics::par(mfrow = grDevices::n2mfrow(length(settings)))
    on.exit(graphics::par(op))
    for (s in settings) {
      ls <- long[long$setting == s, ]
      graphics::plot(ls$n, ls$value, log = if (logy) "xy" else "x", type = "n", xlab = "n", ylab = ylab, main = s,
                     ylim = if (logy) range(ls$value) else c(0, 1))
      for (j in seq_along(groups)) {
        lj <- ls[ls$term == groups[j], ]
        lj <- lj[order(lj$n), ]
        graphics::lines(lj$n, lj$value, type = "b", pch = 16, col = cols[j])
      }
      graphics::legend("topright", legend = groups, col = cols, lty = 1, bty = "n", cex = 0.7)
    }
    invisible(x)
  }
}
