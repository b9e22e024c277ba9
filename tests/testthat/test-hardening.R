# Issue 12: every bad input gets a classed error naming the argument, and no value that cannot be
# computed finitely is returned silently.

err_input <- function(expr, pattern) expect_error(expr, pattern, class = "lsmoe_error_input")

G_sig <- function() {
  mixing_measure(beta0 = c(-5, 0), beta1 = c(10, 0), eta = rbind(c(12, -9), c(-12, 3)), expert = expert_sigmoid())
}

test_that("check_count() never warns, rejects values beyond its max and returns integers", {
  cc <- lsmoe:::check_count
  for (bad in list(1e9, 3e9, .Machine$integer.max + 1, 1e300, 2^53 + 1, -1e300, 1e9 + 0.5)) {
    expect_no_warning(expect_error(cc(bad, "k", max = 1000), "`k`.*between 1 and 1000", class = "lsmoe_error_input"))
  }
  # without max the limit is the largest R integer; 3e9 used to reach as.integer()
  expect_no_warning(expect_error(cc(3e9, "k"), "2147483647", class = "lsmoe_error_input"))
  for (bad in list(NA, NA_real_, NaN, Inf, "3", TRUE, 1:2, numeric(0), list(3), NULL, 3 + 0i, factor(3), 2.5, 0)) {
    expect_no_warning(err_input(cc(bad, "k"), "`k`"))
  }
  expect_identical(cc(1000, "k", max = 1000), 1000L)
  expect_identical(cc(.Machine$integer.max, "k"), .Machine$integer.max)
  expect_identical(cc(structure(7, class = "foo"), "k"), 7L)
  # the received value is printed in full, not rounded to 1e+09
  expect_error(cc(1e9 + 0.5, "k"), "1000000000.5", class = "lsmoe_error_input")
})

test_that("check_number() is NA-safe for odd inputs", {
  cn <- lsmoe:::check_number
  for (bad in list(NA, NaN, Inf, -Inf, "1", TRUE, 1:2, numeric(0), NULL, 1i)) {
    expect_no_warning(err_input(cn(bad, "tol", min = 0), "`tol`"))
  }
  expect_identical(cn(Inf, "b", min = 0, allow_inf = TRUE), Inf)
})

test_that("expert_polynomial() limits the degree to 50", {
  expect_identical(expert_polynomial(50)$degree, 50L)
  for (p in list(51, 46342, .Machine$integer.max, 1e9, 1e300)) {
    expect_no_warning(err_input(expert_polynomial(p), "`p`.*between 1 and 50"))
  }
  # within the limit, z^p and p (p - 1) z^(p - 2) stay finite on unit-scale inputs (|z| <= 1e6):
  # compare f_G with the closed form for one atom, h = (a x + b)^50 at a x + b = 1e6
  G <- mixing_measure(0, 1, c(1, 0), expert = expert_polynomial(50))
  expect_equal(predict(G, 1e6), (1e6)^50, tolerance = 1e-12)
})

test_that("as_expert() validates hand-made moe_expert objects field by field", {
  x <- seq(0, 1, length.out = 40)
  y <- sin(3 * x)
  make <- function(...) structure(list(...), class = "moe_expert")
  bad <- list(
    make(name = 1, degree = 1L, output_weight = FALSE),
    make(name = "spline", degree = 1L, output_weight = FALSE),
    make(name = c("sigmoid", "tanh"), degree = 1L, output_weight = FALSE),
    make(name = NA_character_, degree = 1L, output_weight = FALSE),
    make(degree = 1L, output_weight = FALSE),
    make(name = "sigmoid", degree = "a", output_weight = FALSE),
    make(name = "sigmoid", degree = 3L, output_weight = FALSE),
    make(name = "polynomial", degree = 46342L, output_weight = FALSE),
    make(name = "polynomial", degree = 2.5, output_weight = FALSE),
    make(name = "polynomial", degree = NA_integer_, output_weight = FALSE),
    make(name = "polynomial", degree = 0L, output_weight = FALSE),
    make(name = "polynomial", output_weight = FALSE),
    make(name = "sigmoid", degree = 1L, output_weight = "yes"),
    make(name = "sigmoid", degree = 1L, output_weight = NA),
    make(name = "sigmoid", degree = 1L, output_weight = c(TRUE, FALSE)),
    make(name = "linear", degree = 1L, output_weight = TRUE),
    structure("sigmoid", class = "moe_expert"),
    structure(1:3, class = "moe_expert")
  )
  for (e in bad) {
    err_input(lsmoe:::as_expert(e), "`expert`")
    err_input(mixing_measure(c(0, 0), c(1, -1), rbind(c(1, 0), c(-1, 0)), expert = e), "`expert`")
    err_input(moe_lse(x, y, k = 1, expert = e), "`expert`")
  }
  # a hand-made object with valid fields is accepted and rebuilt (label included)
  e <- lsmoe:::as_expert(make(name = "tanh", degree = 1, output_weight = TRUE))
  expect_identical(e, expert_tanh(output_weight = TRUE))
  e <- lsmoe:::as_expert(make(name = "polynomial", degree = 3))
  expect_identical(e, expert_polynomial(3))
  # an edited expert inside a mixing measure is caught wherever the measure is used
  G <- G_sig()
  G$expert$degree <- "a"
  err_input(predict(G, 0.5), "`object`")
  err_input(simulate_moe(G, 5, noise_sd = 0), "`G`")
})

test_that("as_expert() calls only the package's constructors", {
  called <- FALSE
  f <- function() {
    called <<- TRUE
    expert_sigmoid()
  }
  err_input(lsmoe:::as_expert(f), "arbitrary function")
  expect_false(called)
  expect_identical(lsmoe:::as_expert(expert_tanh), expert_tanh())
  expect_identical(lsmoe:::as_expert(expert_polynomial), expert_polynomial(2))
  err_input(lsmoe:::as_expert(NA_character_), "`expert`")
  err_input(lsmoe:::as_expert(strrep("z", 1e4)), "\\.\\.\\.")
})

test_that("simulate_moe() with a huge noise_sd is an error, not -Inf", {
  G <- G_sig()
  set.seed(1)
  # with 200 draws some |eps| exceed 1.8 sd, so some y = f + eps overflow
  expect_error(simulate_moe(G, 200, noise_sd = 1e308), "`noise_sd`", class = "lsmoe_error_nonfinite")
  expect_error(simulate_moe(G, 200, noise_sd = 1e308), class = "lsmoe_error_input")
  err_input(simulate_moe(G, 5, noise_sd = Inf), "`noise_sd`")
  # a large but representable sd is fine
  set.seed(1)
  s <- simulate_moe(G, 200, noise_sd = 1e300)
  expect_true(all(is.finite(s$y)))
})

test_that("simulate_moe() with overflowing f_G is an error naming x (or G)", {
  # h = 10 x overflows at x = 1e308 (the gate is then exactly (1, 0) or (0, 1))
  G <- mixing_measure(c(0, 0), c(1, -1), rbind(c(10, 0), c(-10, 0)), expert = expert_linear())
  expect_error(simulate_moe(G, x = c(0.5, 1e308, -1e308), noise_sd = 0), "2 of 3", class = "lsmoe_error_nonfinite")
  cnd <- tryCatch(simulate_moe(G, x = c(0.5, 1e308, -1e308), noise_sd = 0), error = function(e) e)
  expect_identical(cnd$arg, "x")
  Gp <- mixing_measure(0, 1, c(1e10, 0), expert = expert_polynomial(50))
  expect_error(simulate_moe(Gp, 5, noise_sd = 0), class = "lsmoe_error_nonfinite")
  cnd <- tryCatch(simulate_moe(Gp, 5, noise_sd = 0), error = function(e) e)
  expect_identical(cnd$arg, "G")
})

test_that("simulate_moe() limits the number of drawn values and wraps a failing x()", {
  G <- G_sig()
  for (n in list(1e9, .Machine$integer.max, 1e8 + 1)) err_input(simulate_moe(G, n, noise_sd = 0.1), "`n`")
  err_input(simulate_moe(G, 10, noise_sd = 0.1, x = function(n) stop("boom")), "`x`.*boom")
  err_input(regression_error(G, G, n_mc = 1e9), "`n_mc`")
})

test_that("predict() for a mixing measure warns (classed) where values are not finite", {
  # newdata of 1e308: linear experts overflow
  G <- mixing_measure(c(0, 0), c(1, -1), rbind(c(10, 0), c(-10, 0)), expert = expert_linear())
  expect_warning(f <- predict(G, c(0.5, 1e308)), "1 of 2", class = "lsmoe_warning_nonfinite")
  expect_true(is.finite(f[1]))
  expect_false(is.finite(f[2]))
  # gate logits +-1e300 * x: beta1' x = Inf - Inf is NaN for atom 1, and so is its probability
  G2 <- mixing_measure(c(0, 0), rbind(c(1e300, 1e300), c(0, 0)), rbind(c(1, 0, 0), c(-1, 0, 0)))
  expect_warning(g <- predict(G2, rbind(c(1e10, -1e10), c(0.5, 0.5)), type = "gate"), "gate", class = "lsmoe_warning_nonfinite")
  expect_true(all(is.finite(g[2, ])))
  expect_equal(sum(g[2, ]), 1)
  expect_warning(predict(G2, rbind(c(1e10, -1e10))), class = "lsmoe_warning_nonfinite")
  # finite values: no warning
  expect_no_warning(predict(G_sig(), c(0, 0.5, 1e308), type = "gate"))
})

test_that("hand-edited mixing measures are validated by predict() and print()", {
  edits <- list(list("eta", "a"), list("beta0", NULL), list("beta1", matrix(NA_real_, 2, 1)),
                list("eta", matrix(1, 3, 2)), list("expert", "nope"), list("beta0", c(1e300, 0)))
  for (ed in edits) {
    G <- G_sig()
    G[ed[[1]]] <- list(ed[[2]])
    err_input(predict(G, 0.5), "`object`")
    err_input(print(G), "`x`")
    err_input(simulate_moe(G, 5, noise_sd = 0.1), "`G`")
  }
  err_input(predict(structure(1, class = "mixing_measure"), 0.5), "`object`.*list")
  expect_output(out <- print(G_sig()), "k = 2 atoms")
  expect_identical(out, G_sig())
})

test_that("simulate() for a hand-edited moe_lse fit gives classed errors", {
  set.seed(2)
  s <- simulate_moe(G_sig(), 100, noise_sd = 0.05)
  fit <- moe_lse(s$x, s$y, k = 2, control = lse_control(n_starts = 1, warn = FALSE))
  err_input(simulate(fit, nsim = 1e9), "`nsim`")
  err_input(simulate(fit, nsim = 1, seed = "a"), "`seed`")
  err_input(simulate(fit, nsim = 1, seed = 1e10), "`seed`")
  f2 <- fit
  f2$rss <- NaN
  err_input(simulate(f2), "`object`")
  f2 <- fit
  f2$fitted.values <- "a"
  err_input(simulate(f2), "`object`")
  # the fit itself still simulates reproducibly
  expect_identical(simulate(fit, nsim = 2, seed = 3), simulate(fit, nsim = 2, seed = 3))
})

test_that("regression_error() between measures whose difference overflows is a classed error", {
  G <- mixing_measure(c(0, 0), c(1, 0), rbind(c(1e300, 0), c(-1e300, 0)), expert = "linear")
  G0 <- mixing_measure(c(0, 0), c(1, 0), rbind(c(1, 0), c(2, 0)), expert = "linear")
  expect_error(regression_error(G, G0, n_mc = 100), class = "lsmoe_error_nonfinite")
  # an ordinary pair stays finite
  expect_true(is.finite(regression_error(G0, G0, n_mc = 100)))
})

# ---- methods of moe_lse fits, print methods and estimate_rate() (issue 12, second round) ----

fit_small <- function(gate = gate_softmax()) {
  set.seed(5)
  s <- simulate_moe(G_sig(), 80, noise_sd = 0.05)
  d <- data.frame(x = s$x[, 1], y = s$y)
  moe_lse(y ~ x, data = d, k = 2, gate = gate, control = lse_control(n_starts = 2, warn = FALSE))
}
err_object <- function(expr, pattern) {
  expect_error(expr, pattern, class = "lsmoe_error_fit_object")
}

test_that("print methods check `digits` and `n_show` (classed errors naming them)", {
  fit <- fit_small()
  for (dg in list("a", NA, NULL, 0, 23, c(3, 4), 3.5, Inf, TRUE)) {
    err_input(print(fit, digits = dg), "`digits`")
    err_input(print(summary(fit), digits = dg), "`digits`")
  }
  # valid digits still print, and print() returns the object itself
  expect_output(out <- print(fit, digits = 3), "Least squares softmax-gated")
  expect_identical(out, fit)
  s <- summary(fit)
  expect_output(out <- print(s, digits = 22), "Residual standard error")
  expect_identical(out, s)
  ident <- check_identifiability(expert_linear(), rbind(c(1, 0), c(1, 0.5)), n_x = 200)
  for (ns in list(NA, -1, "a", c(1, 2), Inf, 1.5, NULL)) err_input(print(ident, n_show = ns), "`n_show`")
  expect_output(print(ident, n_show = 0), "identifiab")
  # n_show = 0 shows no relation line, n_show = 1 at most one
  rel0 <- capture.output(print(ident, n_show = 0))
  rel1 <- capture.output(print(ident, n_show = 1))
  expect_gte(length(rel1), length(rel0))
})

test_that("plot() of a rate study checks use_ggplot", {
  set.seed(1)
  n <- rep(c(1e3, 1e4, 1e5), each = 3)
  st <- structure(data.frame(expert = "sigmoid", k = 2, loss = "D1", n = n, value = n^-0.5 * exp(rnorm(9, sd = 0.1))),
                  class = c("rate_study", "data.frame"))
  for (u in list(NA, "yes", c(TRUE, FALSE), 1, NULL, logical(0))) err_input(plot(st, use_ggplot = u), "`use_ggplot`")
  pdf(NULL)
  on.exit(dev.off())
  expect_identical(plot(st, use_ggplot = FALSE), st)
  # a study built by hand (as in ?plot.rate_study) also prints: it has no fit columns
  expect_output(print(st), "losses: D1; 9 fit(s)\n", fixed = TRUE)
})

test_that("methods reject hand-edited fits with a classed error naming the argument", {
  fit <- fit_small()
  edits <- list(
    list("coefficients", 1.5), list("coefficients", list(beta0 = 1)), list(c("coefficients", "eta"), "a"),
    list(c("coefficients", "beta1"), matrix(NA_real_, 2, 1)), list("theta", c(1, 2)), list("theta", rep(NaN, 6)),
    list("x", matrix(numeric(0), 0, 3)), list("x", 1.5), list("y", "a"), list("y", 1:3), list("rss", -1), list("rss", NA),
    list("nobs", 1e9), list("nobs", as.Date("2020-01-01")), list("expert", "spline"), list(c("expert", "degree"), 46342L),
    list("gate", "tanh"), list("k", 1e9), list("d", 0), list("fitted.values", NULL), list("residuals", Inf),
    list("starts", 1), list("best_start", 99), list("converged", NA), list(c("control", "xtol"), quote(x)),
    list(c("control", "n_starts"), -1), list("weights", rep(-1, 80)), list("bound_flags", "a"), list("terms", 1),
    list(c("starts", "round"), "a"), list(c("starts", "round"), -1), list(c("starts", "round"), 0.5),
    list(c("starts", "chain"), "a"), list(c("starts", "chain"), -2), list(c("starts", "chain"), NA)
  )
  methods <- list(
    coef = function(f) coef(f), print = function(f) print(f), summary = function(f) summary(f),
    fitted = function(f) fitted(f), residuals = function(f) residuals(f), nobs = function(f) nobs(f),
    deviance = function(f) deviance(f), df.residual = function(f) df.residual(f), sigma = function(f) sigma(f),
    logLik = function(f) logLik(f), AIC = function(f) AIC(f), vcov = function(f) vcov(f), confint = function(f) confint(f),
    predict = function(f) predict(f, data.frame(x = 0.5)), plot = function(f) plot(f), anova = function(f) anova(f),
    tidy = function(f) tidy(f), glance = function(f) glance(f), augment = function(f) augment(f),
    simulate = function(f) simulate(f, seed = 1), as_mixing_measure = function(f) as_mixing_measure(f),
    model.matrix = function(f) model.matrix(f), formula = function(f) formula(f)
  )
  pdf(NULL)
  on.exit(dev.off())
  for (e in edits) {
    bad <- fit
    if (is.null(e[[2]])) bad[[e[[1]]]] <- NULL else bad[[e[[1]]]] <- e[[2]]
    for (m in names(methods)) {
      err <- tryCatch({
        capture.output(methods[[m]](bad))
        NULL
      }, error = function(err) err)
      label <- sprintf("%s() of a fit with %s edited", m, paste(e[[1]], collapse = "$"))
      expect_true(inherits(err, "lsmoe_error_fit_object") && inherits(err, "lsmoe_error_input"), label = label)
    }
  }
  # the fit itself passes every method, and validation changes nothing in it
  for (m in names(methods)) expect_no_error(capture.output(methods[[m]](fit)))
  expect_identical(lsmoe:::validate_fit(fit)$theta, fit$theta)
  expect_identical(coef(fit_small(gate_sigmoid())), coef(lsmoe:::validate_fit(fit_small(gate_sigmoid()))))
  # summary objects too
  s <- summary(fit)
  s$coefficients <- 1
  err_object(print(s), "`coefficients`")
  s <- summary(fit)
  s$starts$round <- "a"
  err_object(print(s), "starts\\$round")
})

test_that("a fit's start table holds NA, not NaN, for RSS values not computed", {
  fit <- fit_small()
  ctl <- lse_control(n_starts = 20, n_finish = 2, warn = FALSE)
  set.seed(3)
  s <- simulate_moe(G_sig(), 100, noise_sd = 0.05)
  f <- moe_lse(s$x, s$y, k = 2, control = ctl)
  st <- f$starts
  for (col in c("rss", "screen_rss", "refine_rss")) expect_false(any(is.nan(st[[col]]) | is.infinite(st[[col]])))
  # the best start's RSS is the fit's
  expect_equal(st$rss[f$best_start], f$rss)
  expect_equal(min(st$rss, na.rm = TRUE), f$rss)
})

test_that("a hand-edited control is validated without evaluating code inside it", {
  ctl <- lse_control()
  ctl$xtol <- quote(stop("evaluated"))
  err_input(lsmoe:::as_control(ctl), "`xtol`")
  err_input(print(ctl), "xtol")
  ctl <- lse_control()
  ctl$n_starts <- c(NA, 1)
  err_input(print(ctl), "n_starts")
  expect_output(print(lse_control()), "<lse_control>")
})

test_that("print methods of experts and gates validate hand-edited objects", {
  e <- expert_sigmoid()
  e$name <- 1
  err_input(print(e), "`x`")
  g <- gate_sigmoid()
  g$name <- "relu"
  err_input(print(g), "`x`")
  g <- gate_sigmoid()
  g$label <- function() 1
  expect_output(print(g), "sigmoid\\(beta1_i' x \\+ beta0_i\\)")  # the label is rebuilt from the name
})

test_that("estimate_rate(): edge cases give classed errors or exact answers, never NaN or a bare warning", {
  n <- rep(c(100, 1000, 10000), each = 3)
  # one n, or one n left after dropping missing values
  err_input(estimate_rate(data.frame(n = 100, value = 1)), "two distinct sample sizes")
  err_input(estimate_rate(data.frame(n = rep(100, 5), value = 1:5)), "two distinct sample sizes")
  err_input(estimate_rate(data.frame(n = n, value = NA_real_)), "two distinct sample sizes")
  err_input(estimate_rate(data.frame(n = n, value = c(rep(NA, 6), rep(1, 3))), window = NULL), "two distinct")
  # zero or negative losses: log undefined
  err_input(estimate_rate(data.frame(n = n, value = c(0, n[-1]^-0.5))), "zero or negative")
  err_input(estimate_rate(data.frame(n = n, value = -n^-0.5)), "zero or negative")
  # all-equal losses: slope exactly 0 with standard error 0, without a warning
  expect_no_warning(est <- estimate_rate(data.frame(n = n, value = 0.3)))
  expect_identical(est$slope, rep(0, nrow(est)))
  expect_identical(est$se, rep(0, nrow(est)))
  expect_equal(est$c, rep(0.3, nrow(est)))
  # an exact power law: the slope and constant, no warning
  expect_no_warning(est <- estimate_rate(data.frame(n = n, value = 2 * n^-0.5), window = NULL))
  expect_equal(est$slope, c(-0.5, -0.5))
  expect_equal(est$c, c(2, 2))
  # Inf and NA losses are dropped and counted
  v <- n^-0.5 * exp(c(0.1, -0.1, 0, 0.05, -0.05, 0, 0.02, -0.02, 0))
  est <- estimate_rate(data.frame(n = n, value = replace(v, c(1, 5), c(Inf, NA))), window = NULL)
  expect_identical(est$n_dropped, c(2L, 2L))
  ref <- stats::lm(log(v[-c(1, 5)]) ~ log(n[-c(1, 5)]))
  expect_equal(est$slope[1], unname(coef(ref)[2]))
  expect_equal(est$se[1], unname(coef(summary(ref))[2, 2]))
  expect_equal(est$c[1], unname(exp(coef(ref)[1])))
  # two points: slope, but no interval (NA, never NaN)
  est <- estimate_rate(data.frame(n = c(100, 1000), value = c(1, 0.5)), window = NULL)
  expect_equal(est$slope[1], log(0.5) / log(10))
  expect_true(all(is.na(est$se)) && !any(is.nan(est$se)))
  # a window so narrow that it would make billions of windows
  err_input(estimate_rate(data.frame(n = n, value = v), window = 1e-10), "`window`")
})

test_that("rate_study() rejects a non-character `losses` with a classed error", {
  err_input(rate_study(G_sig(), n = c(40, 80), losses = function(...) 1), "`losses`")
  err_input(rate_study(G_sig(), n = c(40, 80), losses = 1), "`losses`")
})

test_that("regression_error() evaluates in chunks: the same value as in one pass", {
  G <- G_sig()
  G0 <- mixing_measure(beta0 = c(-5, 0), beta1 = c(9, 0), eta = rbind(c(12, -9), c(-11, 3)), expert = expert_sigmoid())
  set.seed(9)
  X <- matrix(runif(2.5e6), ncol = 1)
  set.seed(9)
  v <- regression_error(G, G0, n_mc = 2.5e6)
  D2 <- (predict(G, X) - predict(G0, X))^2
  expect_equal(as.numeric(v), sqrt(mean(D2)))
  expect_equal(attr(v, "se"), sd(D2) / sqrt(length(D2)) / (2 * sqrt(mean(D2))))
})

test_that("print() of a hand-edited identifiability check is a classed error naming the field", {
  ident <- check_identifiability(expert_linear(), rbind(c(1, 0), c(1, 0.5)), n_x = 200)
  expect_output(print(ident), "NOT strongly identifiable")
  edits <- list(n_x = 2^53 + 2, merged = NA_real_, ratios = 1, verdict = new.env(), relations = list("a"), expert = "spline",
                d = "a", eta = 1)
  for (nm in names(edits)) {
    bad <- ident
    bad[[nm]] <- edits[[nm]]
    expect_error(print(bad), paste0("`", nm, "`"), class = "lsmoe_error_input")
  }
  u <- check_identifiability(expert_linear(), d = 1, n_configs = 1, k = 1, seed = 1)
  u$check$merged <- NULL
  expect_error(print(u), "x\\$check", class = "lsmoe_error_input")
})

test_that("print() of hand-edited Voronoi cells and losses is a classed error", {
  G <- G_sig()
  G3 <- mixing_measure(c(-5, 0, 0.1), c(10, 0, 0.2), rbind(c(12, -9), c(-12, 3), c(-11, 3.1)), expert = expert_sigmoid())
  vc <- voronoi_cells(G3, G)
  vl <- voronoi_loss(G3, G)
  expect_output(print(vc), "voronoi_cells")
  expect_output(print(vl), "voronoi_loss")
  vc$size <- NaN
  err_input(print(vc), "`size`")
  vc <- voronoi_cells(G3, G)
  vc$cells <- list()
  err_input(print(vc), "`size`")
  vl$type <- matrix(1:4, 2)
  err_input(print(vl), "`type`")
  vl <- voronoi_loss(G3, G)
  vl$shift <- 2
  err_input(print(vl), "`shift`")
})

test_that("fuzzer findings, round 2: each is a classed error now", {
  fit <- fit_small()
  # a confidence level of 1 would give infinite limits
  err_input(tidy(fit, conf.level = 1), "`conf.level`")
  err_input(predict(fit, data.frame(x = 0.5), interval = "confidence", level = 1), "`level`")
  expect_true(all(is.finite(as.matrix(tidy(fit, conf.level = 0.999)[, c("conf.low", "conf.high")])) |
                    is.na(as.matrix(tidy(fit, conf.level = 0.999)[, c("conf.low", "conf.high")]))))
  # augment() data that is no data frame
  err_input(augment(fit, data = new.env()), "`data`")
  # k beyond the fitter's limit in a rate study (n_free_params would overflow)
  err_input(rate_study(G_sig(), n = c(40, 80), k = 1e9), "`k`")
  # inputs whose spread overflows: the standardisation cannot work
  set.seed(1)
  x <- runif(60)
  err_input(moe_lse(x * 1e300, sin(x), k = 1, expert = "linear", gate = gate_sigmoid()), "`x` is too large")
  err_input(moe_lse(y ~ I(x * 1e308), data = data.frame(x = x, y = sin(x)), k = 1, expert = "linear"), "too large")
  # objects of class rate_study that are not data frames
  bad <- structure(list(), class = "rate_study")
  err_input(print(bad), "data frame")
  err_input(plot(bad), "data frame")
  err_input(rbind(bad), "data frame")
  # a Voronoi loss with its alignment or shift removed
  vl <- voronoi_loss(G_sig(), G_sig())
  vl$align <- numeric(0)
  err_input(print(vl), "`align`")
  vl <- voronoi_loss(G_sig(), G_sig())
  vl$shift <- NULL
  err_input(print(vl), "`shift`")
})

test_that("a fit whose parameter matrices lost their names still prints; a loss value must be a number", {
  fit <- fit_small(gate_sigmoid())
  bad <- fit
  bad$coefficients$eta <- unname(bad$coefficients$eta)
  expect_output(print(bad), "sigmoid gates")
  expect_identical(coef(bad, matrix = TRUE), coef(fit, matrix = TRUE))
  vl <- voronoi_loss(G_sig(), G_sig())
  expect_identical(as.double(vl), vl$value)
  vl$value <- data.frame(a = 1:3)
  err_input(as.double(vl), "`value`")
})

test_that("gbar_measure() refuses a noiseless sample too large to fit, before allocating it", {
  G0 <- mixing_measure(beta0 = 0.5, beta1 = 6, eta = rbind(c(8, -4)), expert = expert_sigmoid(),
                       gate = gate_sigmoid())
  expect_error(gbar_measure(G0, n = 1e8), "`n`", class = "lsmoe_error_input")
  expect_error(gbar_measure(G0, n = 1e7 + 1), "`n`", class = "lsmoe_error_input")
})

test_that("confint() rejects NA or empty parm with a classed error (fuzz seed 1, call 8901)", {
  set.seed(2)
  x <- runif(200)
  y <- ifelse(x < 0.5, 1 + x, 3 - 2 * x) + rnorm(200, sd = 0.1)
  f <- moe_lse(x, y, k = 2, expert = "linear", control = lse_control(n_starts = 3))
  expect_error(confint(f, parm = NA_integer_), "`parm`", class = "lsmoe_error_input")
  expect_error(confint(f, parm = integer(0)), "`parm`", class = "lsmoe_error_input")
})

test_that("print() and as.double() reject hand-edited Voronoi losses and identifiability checks", {
  # the unclassed errors the fuzzer (seed 1) found on hand-edited objects
  G0 <- mixing_measure(c(1, -1), c(0, 4), rbind(c(2, 0), c(-1, 1)), expert_linear(), gate_sigmoid())
  G <- mixing_measure(c(0.3, -1.1), c(0.05, 4.1), rbind(c(2.1, 0), c(-1, 1.1)), expert_linear(), gate_sigmoid())
  vls <- voronoi_loss_sigmoid(G, G0, "D2")
  edit <- function(obj, field, value) { obj[[field]] <- value; obj }
  for (e in list(list("type", c("a", "b")), list("type", new.env()), list("type", as.Date("2020-01-01")),
                 list("type", NA_character_), list("value", "a"), list("value", quote(x)), list("r", "a"),
                 list("breakdown", 1))) {
    bad <- edit(vls, e[[1]], e[[2]])
    err_object(capture.output(print(bad)), paste0("`", e[[1]], "`"))
  }
  err_object(as.double(edit(vls, "value", quote(x))), "`value`")
  err_object(capture.output(print(edit(vls, "breakdown", NULL))), "`breakdown`")
  err_object(capture.output(print(structure(1, class = "voronoi_loss_sigmoid"))), "list")
  expect_output(print(vls), "D2")
  expect_identical(as.double(vls), vls$value)
  ident <- check_identifiability(expert_linear(), rbind(c(1, 0), c(1, 0.5)), n_x = 200)
  err_object(capture.output(print(edit(ident, "gate", 2))), "`gate`")
  err_object(capture.output(print(edit(ident, "gate", list(name = NA_integer_)))), "`gate`")
  err_object(capture.output(print(edit(ident, "regime", "a"))), "`regime`")
  expect_output(print(ident), "identifiab")
})
