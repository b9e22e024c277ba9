# Stage 1 of the fit (fit.R): the problem. moe_problem() checks the inputs, standardises them and
# holds everything the later stages share: the data on the fitting scale, the weights, k, the
# expert family, the gate, the control, the parameter layout and the boxes. fit_problem() builds
# the same object for data already on the fitting scale (the per-part fits of the data starts).

# x (n x d), y (n), w (n positive weights or numeric(0)), start (NULL, a list(beta0, beta1, eta)
# or a list of them, on the user's scale). Errors of class lsmoe_error_input, in this order: x, y,
# their overflow, control, k, expert, gate, too few rows, start, a response out of the experts' reach.
moe_problem <- function(x, y, w, k, expert, start, control, gate = gate_softmax()) {
  x <- check_x(x)
  y <- check_y(y, nrow(x))
  if (!is.finite(drop(crossprod(y)))) lsmoe_abort("`y` is too large: its sum of squares overflows; rescale it.", arg = "y")
  xmax <- max(-min(x), max(x))  # range() would copy x
  # n xmax^2 bounds every column's sum of squares: only near overflow are the columns summed
  big <- if (xmax^2 * nrow(x) < .Machine$double.xmax / 2) FALSE else !is.finite(colSums(x^2))
  if (any(big)) {
    # the standardisation and the starts need the spread of every input
    lsmoe_abort(sprintf("`x` is too large: the sum of squares of input(s) %s overflows; rescale it.",
                        paste0("`", colnames(x)[big], "`", collapse = ", ")), arg = "x")
  }
  control <- as_control(control)
  if (!control$standardize && xmax > 1e3) {
    lsmoe_warn(sprintf(paste0("`x` has values up to %.3g in absolute value and `standardize = FALSE`: the bounds and ",
                              "random starts then refer to the scale of `x`; rescale `x` or standardise."), xmax),
               class = "lsmoe_warning_scale")
  }
  k <- check_count(k, "k", max = 1000)
  expert <- as_expert(expert)
  gate <- as_gate(gate)
  n <- nrow(x)
  d <- ncol(x)
  q <- expert_q(expert, d)
  p <- n_free_params(k, d, q, gate)
  if (n < p) {
    lsmoe_abort(sprintf("Too few observations: %d rows of `x` for %d free parameters (k = %d, d = %d, q = %d).",
                        n, p, k, d, q), arg = "x")
  }
  start <- check_starts(start, k, d, q)
  check_reachable(y, expert)
  sc <- fit_scales(x, y, w, expert, control$standardize, gate$name)
  # the data on the fitting scale: one copy of x and of y (when they are rescaled), and no more
  # than one more column at a time (a 1-column x is rescaled in one expression, with the same
  # operations)
  js <- which(sc$mx != 0 | sc$sx != 1)
  if (d == 1 && length(js)) {
    xs <- (x - sc$mx) / sc$sx
  } else {
    xs <- x
    for (j in js) xs[, j] <- (x[, j] - sc$mx[j]) / sc$sx[j]
  }
  # the scales of the starts (data_scales()), the inputs' before y's copy exists
  start_sc <- data_scales_x(xs)
  ys <- if (sc$my != 0 || sc$sy != 1) (y - sc$my) / sc$sy else y
  prob <- fit_problem(xs, ys, w, k, expert, gate$name, control)
  prob$gate_obj <- gate
  prob$scales <- sc
  prob$sc_starts <- c(start_sc, data_scales_y(ys))
  prob$start <- start
  prob$data <- list(x = x, y = y)
  prob
}

# The scales of the starts (data_scales()) of a problem: computed once by moe_problem(), else
# from its data.
prob_start_scales <- function(prob) {
  if (is.null(prob$sc_starts)) data_scales(prob$x, prob$y) else prob$sc_starts
}

# The problem of data (x, y, w) already on the fitting scale, with a validated control, k, expert
# and gate name. Fields: x, y, w, k, d, q, p, expert, gate (name), control; rows (the rows of
# positive weight); bounds (theta_bounds(): the box of theta); recip (uses_reciprocal()), c_min
# and box (the box of the coordinates the C++ fit runs in: s = 1 / c in place of each output
# weight c when recip, else bounds).
fit_problem <- function(x, y, w, k, expert, gate, control) {
  d <- ncol(x)
  q <- expert_q(expert, d)
  recip <- uses_reciprocal(expert, control)
  c_min <- if (recip) reciprocal_c_min(y, control$bound_output)
  bounds <- theta_bounds(k, d, expert, control, gate)
  structure(list(
    x = x, y = y, w = w, k = k, d = d, q = q, p = n_free_params(k, d, q, gate), expert = expert, gate = gate,
    control = control, rows = if (length(w)) which(w > 0) else seq_len(nrow(x)),
    bounds = bounds, recip = recip, c_min = c_min,
    box = if (recip) theta_bounds(k, d, expert, control, gate, reciprocal = TRUE, c_min = c_min) else bounds
  ), class = "moe_problem")
}

# Given starts: NULL, or a list of canonical list(beta0, beta1, eta) (check_start()).
check_starts <- function(start, k, d, q) {
  if (is.null(start)) return(NULL)
  if (!is.list(start) || length(start) == 0) {
    lsmoe_abort(sprintf("`start` must be a list(beta0, beta1, eta) or a list of such lists, not %s.", describe(start)), arg = "start")
  }
  if (!is.null(start$beta0) || !is.list(start[[1]])) start <- list(start)
  lapply(seq_along(start), function(s) {
    check_start(start[[s]], k, d, q, arg = if (length(start) > 1) sprintf("start[[%d]]", s) else "start")
  })
}

# Smallest relative spread sd / |mean| of an input that is fitted (see lse_control(), "Scaling"):
# below it the parameters on the user's scale lose more than about 2e-4 times the gate's slope
# (on the standardised scale) in every linear predictor, through the cancellation in
# beta0 + beta1 x.
spread_min <- 1e-12
# Smallest standard deviation of an input that is fitted: the parameters on the user's scale
# grow like 1 / sd and their variances like 1 / sd^2, which must stay finite.
sd_min <- 1e-150

# An input with a spread that the parameters on the user's scale cannot hold: an error of class
# lsmoe_error_input naming it (input `nm` with standard deviation s around the mean m).
check_spread <- function(nm, s, m) {
  if (s < sd_min) {
    lsmoe_abort(sprintf(paste0(
      "Input `%s` is too small: its standard deviation %s is below %g, so the fit's parameters on its scale ",
      "(about 1 / sd) and their variances (1 / sd^2) could overflow. Rescale it (multiply it by a power of 10)."),
      nm, format(signif(s, 4)), sd_min), arg = "x")
  }
  lsmoe_abort(sprintf(paste0(
    "Input `%s` varies too little against its size (standard deviation %s around %s, a relative spread of %.2g < %g): ",
    "the fit's parameters on its scale (beta0 + beta1 x, a'x + b) cannot hold a fit to it in double precision. ",
    "Subtract a constant from it before fitting, e.g. `%s - %s`."),
    nm, format(signif(s, 4)), format(signif(m, 6)), s / abs(m), spread_min, nm, format(m, digits = 17)), arg = "x")
}

# Scales of the standardisation (see lse_control(), "Scaling"): x' = (x - mx) / sx per column,
# y' = (y - my) / sy with (my, sy) chosen by the expert family. The response is centred only under
# the softmax gate, whose values sum to one (a shift of y is then a shift of every expert's
# intercept); sigmoid gate values do not sum to one, so y is only scaled.
fit_scales <- function(x, y, w, expert, standardize, gate = NULL) {
  d <- ncol(x)
  none <- list(mx = rep(0, d), sx = rep(1, d), my = 0, sy = 1)
  if (!standardize) return(none)
  # the rows of positive weight; all of them without a copy
  rows <- if (length(w) && any(w == 0)) w > 0
  xs <- if (is.null(rows)) x else x[rows, , drop = FALSE]
  mx <- colMeans(xs)
  # centred first: x - mx is exact for values within a factor 2 of mx (Sterbenz), so a spread that
  # is tiny against the magnitude is kept (colMeans(sweep(xs, 2, mx)^2), computed as R does without
  # its two n x d temporaries)
  sx <- sqrt(cpp_col_mean_sq_dev(xs, mx))
  names(sx) <- colnames(xs)
  const <- !is.finite(sx)
  for (j in which(!const & sx < pmax(spread_min * abs(mx), sd_min))) {
    v <- xs[, j] - mx[j]
    if (all(xs[, j] == xs[1, j])) {
      const[j] <- TRUE  # equal values (sx is 0, or an ulp when their mean was rounded)
    } else {
      s <- max(abs(v))  # the standard deviation without the underflow of tiny squares
      check_spread(colnames(x)[j], s * sqrt(mean((v / s)^2)), mx[j])
    }
  }
  sx[const] <- 1
  mx[const] <- 0
  ys <- if (is.null(rows)) y else y[rows]
  my <- 0
  sy <- 1
  response <- expert_trait(expert, "response")
  # mean((ys - my)^2) and mean(ys^2), as R computes them, without their temporaries
  if (response == "affine") {
    if (gate_name(gate) == "softmax") my <- mean(ys)
    sy <- sqrt(cpp_mean_sq_dev(ys, my))
  } else if (response == "power" || isTRUE(expert$output_weight)) {
    sy <- sqrt(cpp_mean_sq_dev(ys, 0))
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
  response <- expert_trait(expert, "response")
  yscale <- if (response == "power") sc$sy^(1 / expert$degree) else sc$sy
  ab_with_y <- response %in% c("affine", "power")  # a and b of a ridge expert follow the response's scale
  if (!inverse) {
    beta1 <- sweep(beta1, 2, sc$sx, "/")
    beta0 <- beta0 - drop(beta1 %*% sc$mx)
    if (ridge) {
      a <- sweep(eta[, seq_len(d), drop = FALSE], 2, sc$sx, "/")
      b <- eta[, d + 1] - drop(a %*% sc$mx)
      if (ab_with_y) {
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
      if (ab_with_y) {
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

# Range of the response a family without output weight can reach (NULL: any).
expert_range <- function(expert) {
  if (isTRUE(expert$output_weight)) return(NULL)
  expert_trait(expert, "range")
}

# A default call must not be silently useless: the median response must lie where the experts
# can reach it.
check_reachable <- function(y, expert) {
  rng <- expert_range(expert)
  if (is.null(rng)) return(invisible())
  yr <- c(min(y), max(y))  # range() would copy y
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
