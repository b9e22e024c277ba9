# The engine behind moe_lse(): standardisation, starts, the C++ multistart fit and the exact
# back-transform of the estimates to the user's scale.

# Scales of the standardisation (see lse_control(), "Scaling"): x' = (x - mx) / sx per column,
# y' = (y - my) / sy with (my, sy) chosen by the expert family. The response is centred only under
# the softmax gate, whose values sum to one (a shift of y is then a shift of every expert's
# intercept); sigmoid gate values do not sum to one, so y is only scaled.
fit_scales <- function(x, y, w, expert, standardize, gate = NULL) {
  d <- ncol(x)
  none <- list(mx = rep(0, d), sx = rep(1, d), my = 0, sy = 1)
  if (!standardize) return(none)
  rows <- if (length(w)) w > 0 else rep(TRUE, length(y))
  xs <- x[rows, , drop = FALSE]
  mx <- colMeans(xs)
  sx <- sqrt(colMeans(sweep(xs, 2, mx)^2))
  const <- !is.finite(sx) | sx <= 1e-12 * pmax(1, abs(mx))
  sx[const] <- 1
  mx[const] <- 0
  ys <- y[rows]
  my <- 0
  sy <- 1
  if (expert$name %in% c("linear", "constant")) {
    if (gate_name(gate) == "softmax") my <- mean(ys)
    sy <- sqrt(mean((ys - my)^2))
  } else if (expert$name == "polynomial" || isTRUE(expert$output_weight)) {
    sy <- sqrt(mean(ys^2))
  }
  if (!is.finite(sy) || sy <= 0) sy <- 1
  list(mx = unname(mx), sx = unname(sx), my = my, sy = sy)
}

# Parameters (beta0, beta1 k x d, eta k x q) from the standardised scale to the user's scale
# (inverse = FALSE) or back (inverse = TRUE). Exact: the gate and the ridge are affine in x, and
# the gate's map (beta1 / sx, beta0 - beta1 mx) is the same for every component and either gate.
transform_params <- function(par, sc, expert, inverse = FALSE) {
  d <- length(sc$mx)
  beta0 <- par$beta0
  beta1 <- par$beta1
  eta <- par$eta
  ridge <- is_ridge(expert)
  yscale <- if (expert$name == "polynomial") sc$sy^(1 / expert$degree) else sc$sy
  if (!inverse) {
    beta1 <- sweep(beta1, 2, sc$sx, "/")
    beta0 <- beta0 - drop(beta1 %*% sc$mx)
    if (ridge) {
      a <- sweep(eta[, seq_len(d), drop = FALSE], 2, sc$sx, "/")
      b <- eta[, d + 1] - drop(a %*% sc$mx)
      if (expert$name %in% c("linear", "polynomial")) {
        a <- a * yscale
        b <- b * yscale + sc$my
      }
      eta[, seq_len(d)] <- a
      eta[, d + 1] <- b
      if (isTRUE(expert$output_weight)) eta[, d + 2] <- eta[, d + 2] * sc$sy
    } else {
      eta[, 1] <- eta[, 1] * sc$sy + sc$my
    }
  } else {
    beta0 <- beta0 + drop(beta1 %*% sc$mx)
    beta1 <- sweep(beta1, 2, sc$sx, "*")
    if (ridge) {
      a <- eta[, seq_len(d), drop = FALSE]
      b <- eta[, d + 1]
      if (expert$name %in% c("linear", "polynomial")) {
        a <- a / yscale
        b <- (b - sc$my) / yscale
      }
      b <- b + drop(a %*% sc$mx)
      eta[, seq_len(d)] <- sweep(a, 2, sc$sx, "*")
      eta[, d + 1] <- b
      if (isTRUE(expert$output_weight)) eta[, d + 2] <- eta[, d + 2] / sc$sy
    } else {
      eta[, 1] <- (eta[, 1] - sc$my) / sc$sy
    }
  }
  list(beta0 = beta0, beta1 = beta1, eta = eta)
}

# Whether the fused pass may run on its AVX2 build: options(lsmoe.simd), default TRUE (see the
# package documentation, "Package options").
use_simd <- function() check_flag(getOption("lsmoe.simd", TRUE), "lsmoe.simd")

# Range of the response a family without output weight can reach (NULL: any).
expert_range <- function(expert) {
  if (isTRUE(expert$output_weight)) return(NULL)
  switch(expert$name, sigmoid = c(0, 1), tanh = c(-1, 1), relu = c(0, Inf), gelu = c(-0.17, Inf), NULL)
}

# A default call must not be silently useless: the median response must lie where the experts
# can reach it.
check_reachable <- function(y, expert) {
  rng <- expert_range(expert)
  if (is.null(rng)) return(invisible())
  yr <- range(y)
  if (yr[1] >= rng[1] && yr[2] <= rng[2]) return(invisible())  # every value within reach
  # fewer than ceiling(n / 2) values below (above) the range: the median is not below (above) it
  half <- ceiling(length(y) / 2)
  if (sum(y < rng[1]) < half && sum(y > rng[2]) < half) return(invisible())
  med <- stats::median(y)
  if (med < rng[1] || med > rng[2]) {
    lsmoe_abort(sprintf(paste0(
      "The response (median %s) lies outside the range [%s, %s] that %s experts can reach. ",
      "Use experts on the response's scale, e.g. expert = expert_sigmoid(output_weight = TRUE), ",
      "expert_tanh(output_weight = TRUE) or expert_linear(), or rescale the response."),
      format(signif(med, 4)), format(rng[1]), format(rng[2]), expert$label),
      class = c("lsmoe_error_range", "lsmoe_error_input"), arg = "y")
  }
  invisible()
}

# Free parameters within a relative 1e-4 of a finite bound (the core's count_on_bound()).
on_bound_flags <- function(theta, b) {
  (is.finite(b$lower) & theta - b$lower <= 1e-4 * pmax(1, abs(b$lower))) |
    (is.finite(b$upper) & b$upper - theta <= 1e-4 * pmax(1, abs(b$upper)))
}

# The least squares fit on (x, y, w). Returns the estimates on the user's scale with the raw
# result of the C++ fit.
lse_engine <- function(x, y, w, k, expert, start, control, gate = gate_softmax()) {
  n <- nrow(x)
  d <- ncol(x)
  q <- expert_q(expert, d)
  gn <- gate_name(gate)
  p <- n_free_params(k, d, q, gn)
  sc <- fit_scales(x, y, w, expert, control$standardize, gn)
  xs <- x
  for (j in which(sc$mx != 0 | sc$sx != 1)) xs[, j] <- (x[, j] - sc$mx[j]) / sc$sx[j]
  ys <- if (sc$my != 0 || sc$sy != 1) (y - sc$my) / sc$sy else y
  screen <- refine <- integer(0)
  if (is.null(start)) {
    starts <- make_starts(xs, ys, k, expert, control, gn)
  } else {
    starts <- vapply(start, function(st) {
      st <- transform_params(st, sc, expert, inverse = TRUE)
      pack_theta(st$beta0, st$beta1, st$eta, gn)
    }, numeric(p))
  }
  starts <- matrix(starts, nrow = p)
  # rows of positive weight, and random subsamples of them for screening and refining
  rows <- if (length(w)) which(w > 0) else seq_len(n)
  subsample <- function(m) as.integer(if (length(rows) > m) sort(rows[sample.int(length(rows), m)]) else rows)
  draw_subsamples <- function() {
    screen <<- subsample(control$screen_rows)
    if (length(rows) > control$refine_rows) refine <<- subsample(control$refine_rows)
  }
  if (is.null(control$n_finish)) {  # default: finish every start on small data, else the best 3
    control$n_finish <- if (length(rows) <= control$screen_rows) ncol(starts) else 3L
  }
  # more starts than n_finish (generated or given): screen, refine, finish (lse_control())
  if (ncol(starts) > control$n_finish) draw_subsamples()
  res <- core_fit(xs, ys, w, k, expert, starts, control, screen, refine, gn)
  if (!is.finite(res$rss)) {
    lsmoe_abort("Every start gave a non-finite RSS: check `x` and `y` for extreme values.", arg = "x")
  }
  res$start_round <- res$start_chain <- integer(length(res$start_rss))
  if (is.null(start) && control$n_perturb > 0) {  # perturbation search after generated starts
    large <- length(rows) > control$screen_rows
    if (large && !length(screen)) draw_subsamples()
    res <- perturb_search(xs, ys, w, k, expert, control, res, if (large) screen else integer(0),
                          if (large) refine else integer(0), gn, starts)
  }
  # finishing the best fit: re-anchoring when its gate is on a bound, the Newton polish when it
  # stops at the iteration limit; each again (at most 3 rounds) only after the other moved it (a
  # polish can take a gate to its bound, a re-anchored refit can stop at the limit)
  tried <- NULL
  for (i in 1:3) {
    before <- res$theta
    if (!identical(res$theta, tried)) {  # reanchor_best() returns res unchanged where it does not apply
      res <- reanchor_best(xs, ys, w, k, expert, control, res, gn)
      tried <- res$theta
    }
    if ((i == 1 || !identical(res$theta, before)) && control$polish && res$status == 10L &&
        length(rows) <= control$refine_rows && p <= 200) {
      res <- newton_polish(xs, ys, w, k, expert, control, res, gn)
    }
    if (identical(res$theta, before)) break
  }
  par <- transform_params(unpack_theta(res$theta, k, d, q, gn), sc, expert)
  res$rss <- res$rss * sc$sy^2
  res$start_rss <- res$start_rss * sc$sy^2
  res$screen_rss <- res$screen_rss * sc$sy^2
  res$refine_rss <- res$refine_rss * sc$sy^2
  list(par = par, theta = pack_theta(par$beta0, par$beta1, par$eta, gn), res = res, scales = sc,
       bound_flags = res$bound_flags)
}

# Perturbation search (lse_control(), "Perturbation search"): chains of rounds of n_perturb
# starts, each the chain's best fit so far with one component's gate, expert or both drawn anew
# (perturb_theta()), run like the multistart's starts (on data with more than screen_rows rows:
# screened on `screen`, refined on `refine`, the best one finished on all rows; otherwise every
# one finished). A round's best fit replaces the chain's best when its RSS is smaller by more
# than a relative 1e-9; a chain stops after perturb_patience rounds in a row without such an
# improvement, or after 50 rounds. Chains start from the perturb_chains best distinct optima of
# the multistart (RSS apart by more than a relative 1e-6; `starts` are the multistart's starts,
# p x S; a start's optimum is refitted from it) when every start was finished on all rows, else
# from the best fit only. Returns `res` (core_fit()'s list for the best fit of all chains) with
# every perturbed start appended to the per-start vectors (start_round: 0 for the multistart, r
# for round r of its chain; start_chain: 0 for the multistart, else the multistart start its
# chain began from) and `best` indexing them.
perturb_search <- function(x, y, w, k, expert, control, res, screen, refine, gate, starts) {
  sc <- data_scales(x, y)
  b <- theta_bounds(k, ncol(x), expert, control, gate)
  ctl <- control
  ctl$n_finish <- if (length(screen)) 1L else control$n_perturb
  per_start <- c("start_rss", "start_status", "start_iterations", "screen_rss", "refine_rss")
  best_fields <- c("theta", "rss", "iterations", "evaluations", "jacobians", "status", "message", "converged",
                   "on_bound", "bound_flags")
  from <- res$best
  if (!length(screen) && control$perturb_chains > 1) {
    r0 <- res$start_rss
    for (i in order(r0)) {
      if (length(from) >= control$perturb_chains) break
      if (is.finite(r0[i]) && all(abs(r0[i] / r0[from] - 1) > 1e-6)) from <- c(from, i)
    }
  }
  # a chain's origin refitted as the multistart fitted it (only the best start is restarted there)
  one <- single_fit_control(control)
  overall <- NULL
  for (s in from) {
    cur <- if (s == res$best) res[best_fields] else core_fit(x, y, w, k, expert, starts[, s, drop = FALSE], one, gate = gate)[best_fields]
    if (!is.finite(cur$rss)) next
    cur_best <- s
    reanchored <- NULL
    stale <- 0L
    round <- 0L
    while (stale < control$perturb_patience && round < 50L) {
      round <- round + 1L
      cand <- matrix(vapply(seq_len(control$n_perturb), function(i) perturb_theta(cur$theta, x, y, k, expert, sc, gate),
                            numeric(length(cur$theta))), nrow = length(cur$theta))  # p x n_perturb, also for p = 1
      # within 90% of the bounds, as every start (make_starts())
      cand <- pmin(pmax(cand, 0.9 * b$lower), 0.9 * b$upper)
      # and the chain's best fit under its other anchorings, when its gate is on a bound (once
      # for each best fit: the refits from the same point are the same)
      if (!identical(cur$theta, reanchored) && reanchor_applies(control, k, ncol(x), gate, cur$bound_flags)) {
        cand <- cbind(cand, reanchor_thetas(cur$theta, k, ncol(x), expert_q(expert, ncol(x)), b, gate))
        reanchored <- cur$theta
      }
      if (!length(screen)) ctl$n_finish <- ncol(cand)
      r <- core_fit(x, y, w, k, expert, cand, ctl, screen, refine, gate)
      offset <- length(res$start_rss)
      for (nm in per_start) res[[nm]] <- c(res[[nm]], r[[nm]])
      res$start_round <- c(res$start_round, rep(round, length(r$start_rss)))
      res$start_chain <- c(res$start_chain, rep(s, length(r$start_rss)))
      if (is.finite(r$rss) && r$rss < cur$rss * (1 - 1e-9)) {
        cur <- r[best_fields]
        cur_best <- offset + r$best
        stale <- 0L
      } else {
        stale <- stale + 1L
      }
    }
    if (is.null(overall) || cur$rss < overall$rss) {
      overall <- cur
      overall_best <- cur_best
    }
  }
  res[best_fields] <- overall
  res$best <- overall_best
  res
}

# Re-anchoring of the best fit (lse_control(), "Re-anchoring"): while a gating parameter of the
# best fit is on its bound, its k - 1 other anchorings (reanchor_thetas()) are fitted from where
# it stands (single-start control: no restart); the best of them replaces it when its RSS is
# smaller by more than a relative 1e-9, at most k - 1 times. The fit's message then ends in
# "(after re-anchoring the gate)", its iterations and evaluations count the fits, and the best
# start's row in the per-start vectors is updated with it.
reanchor_best <- function(x, y, w, k, expert, control, res, gate) {
  d <- ncol(x)
  b <- theta_bounds(k, d, expert, control, gate)
  ctl <- single_fit_control(control)
  ctl$n_finish <- k - 1L
  for (i in seq_len(k - 1)) {
    if (!reanchor_applies(control, k, d, gate, res$bound_flags)) break
    r <- core_fit(x, y, w, k, expert, reanchor_thetas(res$theta, k, d, expert_q(expert, d), b, gate), ctl, gate = gate)
    res$iterations <- res$iterations + r$iterations
    res$evaluations <- res$evaluations + r$evaluations
    res$jacobians <- res$jacobians + r$jacobians
    if (!is.finite(r$rss) || r$rss >= res$rss * (1 - 1e-9)) break
    res <- adopt_finish(res, r, "(after re-anchoring the gate)")
  }
  res
}

# `res` (core_fit()'s list) with its best fit replaced by the refit `r` of a finishing step
# (re-anchoring, the Newton polish; their counts are added by the caller): the best fit's fields,
# the message of `r` followed by every step that led there (e.g. "converged: ... (after
# re-anchoring the gate) (after a Newton polish)"), and the best start's row of the per-start
# vectors.
adopt_finish <- function(res, r, step) {
  old <- res$message
  prev <- if (length(old) == 1 && !is.na(old)) regmatches(old, gregexpr("\\(after [^)]*\\)", old))[[1]] else character(0)
  for (nm in c("theta", "rss", "status", "converged", "on_bound", "bound_flags")) res[[nm]] <- r[[nm]]
  res$message <- paste(c(r$message, unique(c(prev, step))), collapse = " ")
  bi <- res$best
  res$start_rss[bi] <- res$rss
  res$start_status[bi] <- res$status
  res$start_iterations[bi] <- res$iterations
  res
}

# Newton polish (lse_control(), "Stopping"): a best fit that stopped at the iteration limit is
# crawling along a curved valley that the Gauss-Newton model J'J does not see (large residuals:
# the second-order term sum r_i H_i of the Hessian matters), typically towards a bound (a tanh
# expert or a gate turning into a step). Newton's method with the full Hessian follows it:
# stats::nlminb (PORT, trust region, box bounds) with the analytic gradient 2 J'W r and the
# Hessian by forward differences of that gradient, for at most about as many passes over the
# rows as the starts' LM iterations (polish_iterations()), in the coordinates
# and box of the fit on the standardised scale (with reciprocal output weights, s = 1 / c in
# place of each output weight c of a tanh expert, as core_fit() runs: a valley where c grows is
# then a straight ray); then Levenberg-Marquardt runs from the polished point (restart = FALSE), so that the
# fit's status, convergence and bound counts are those of the usual stopping rules. Kept only
# when its RSS is at most the fit's (otherwise `res` is returned unchanged). The best start's
# row in the per-start vectors is updated with it, and its iterations and evaluations (passes)
# count the polish: one pass per RSS or gradient, p more per Hessian.
newton_polish <- function(x, y, w, k, expert, control, res, gate) {
  d <- ncol(x)
  recip <- uses_reciprocal(expert, control)
  c_min <- if (recip) reciprocal_c_min(y, control$bound_output)
  b <- theta_bounds(k, d, expert, control, gate, reciprocal = recip, c_min = c_min)
  # the fit's coordinates phi (s = 1 / c in place of the output weights c of tanh experts)
  to_theta <- if (recip) function(phi) from_reciprocal(phi, k, d, gate) else identity
  ic <- if (recip) output_weight_index(k, d, gate) else integer(0)
  phi <- if (recip) to_reciprocal(res$theta, k, d, gate, control$bound_output, c_min) else res$theta
  phi <- pmin(pmax(phi, b$lower), b$upper)
  keep <- if (length(w)) w > 0 else rep(TRUE, length(y))
  xk <- x[keep, , drop = FALSE]
  yk <- y[keep]
  sw <- if (length(w)) sqrt(w[keep]) else 1
  p <- length(phi)
  passes <- 0
  pass <- function(t, jac) {
    passes <<- passes + 1
    z <- cpp_residuals(xk, yk, to_theta(t), expert, k, gate)
    J <- if (jac) z$jacobian * sw
    if (jac && recip) J[, ic] <- -J[, ic, drop = FALSE] / rep(t[ic]^2, each = nrow(J))  # dc / ds = -1 / s^2
    list(r = z$residuals * sw, J = J)
  }
  obj <- function(t) {
    z <- pass(t, FALSE)
    v <- sum(z$r^2)
    if (is.finite(v)) v else Inf
  }
  last <- list(t = NULL, g = NULL)  # nlminb asks for the gradient, then the Hessian, at a point
  grad <- function(t) {
    if (identical(t, last$t)) return(last$g)
    z <- pass(t, TRUE)
    g <- 2 * drop(crossprod(z$J, z$r))
    last <<- list(t = t, g = g)
    g
  }
  hess <- function(t) {  # forward differences of the gradient
    g0 <- grad(t)
    H <- vapply(seq_len(p), function(i) {
      e <- 1e-6 * max(1, abs(t[i]))
      tp <- t
      tp[i] <- t[i] + e
      z <- pass(tp, TRUE)
      (2 * drop(crossprod(z$J, z$r)) - g0) / e
    }, numeric(p))
    (H + t(H)) / 2
  }
  # about as many passes as the multistart and the search made (their iterations; p + 2 passes
  # per Newton iteration), 10 to 200 iterations
  iter_max <- polish_iterations(res$start_iterations, p)
  # a failure of the polish (a non-finite gradient far out in the box) leaves the fit as it was
  o <- tryCatch(suppressWarnings(stats::nlminb(phi, obj, grad, hess, lower = b$lower, upper = b$upper,
                                               control = list(iter.max = iter_max, eval.max = 2L * iter_max,
                                                              rel.tol = 1e-15))),
                error = function(e) NULL)
  if (is.null(o) || !all(is.finite(o$par)) || !is.finite(o$objective) || o$objective > res$rss) return(res)
  r <- core_fit(x, y, w, k, expert, matrix(to_theta(o$par)), single_fit_control(control), gate = gate)
  if (!is.finite(r$rss) || r$rss > res$rss) return(res)
  res$iterations <- res$iterations + o$iterations + r$iterations
  res$evaluations <- res$evaluations + passes + r$evaluations
  res$jacobians <- res$jacobians + r$jacobians
  adopt_finish(res, r, "(after a Newton polish)")
}

# The Newton polish's iteration limit: the LM iterations of all starts (each about a pass over
# the rows) over the passes of a Newton iteration (p + 2: the RSS, the gradient and p more for
# the Hessian), within 10 to 200.
polish_iterations <- function(start_iterations, p) {
  as.integer(min(200, max(10, sum(start_iterations, na.rm = TRUE) %/% (p + 2))))
}

# A control that fits one given start as the multistart fits its starts, without the restart.
single_fit_control <- function(control) {
  control$n_finish <- 1L
  control$restart <- FALSE
  control
}

# The C++ multistart fit (cpp_lse_fit) of starts (p x S, packed theta) within the box of
# lse_control(), with reciprocal output weights where they apply (uses_reciprocal()). Returns
# cpp_lse_fit's list with `theta` in theta coordinates and `bound_flags` (free parameters on a
# bound of the box the fit ran in).
core_fit <- function(x, y, w, k, expert, starts, control, screen = integer(0), refine = integer(0), gate = "softmax") {
  d <- ncol(x)
  recip <- uses_reciprocal(expert, control)
  c_min <- if (recip) reciprocal_c_min(y, control$bound_output)
  b <- theta_bounds(k, d, expert, control, gate, reciprocal = recip, c_min = c_min)
  if (recip) starts <- to_reciprocal(starts, k, d, gate, control$bound_output, c_min)
  starts <- pmin(pmax(starts, b$lower), b$upper)
  res <- cpp_lse_fit(x, y, as.numeric(w), expert, k, starts, b$lower, b$upper, control, screen, refine, gate,
                     use_simd(), recip)
  res$bound_flags <- on_bound_flags(res$theta, b)
  if (recip) {
    res$theta <- from_reciprocal(res$theta, k, d, gate)
    res$params <- NULL  # holds s = 1 / c: not used
  }
  res
}
