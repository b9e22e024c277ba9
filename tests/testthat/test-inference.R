# inference.R: vcov(), confint(), predict(se.fit), sigma()/df.residual()/logLik() and anova() (issue 9).

test_that("vcov() is sigma^2 (J'WJ)^-1 with a finite-difference Jacobian, and HC0 the sandwich", {
  sim <- sim_sigmoid2(n = 1500, d = 1, noise_sd = 0.1, seed = 21)
  set.seed(1)
  w <- runif(1500, 0.5, 2)
  fit <- moe_lse_fit(sim$x, sim$y, weights = w, k = 2, expert = "sigmoid", start = sim$truth, control = lse_control(n_starts = 1))
  th <- fit$theta
  J <- vapply(seq_along(th), function(j) {
    h <- 1e-6
    up <- replace(th, j, th[j] + h)
    dn <- replace(th, j, th[j] - h)
    (ref_f_theta(up, sim$x, expert_sigmoid(), 2) - ref_f_theta(dn, sim$x, expert_sigmoid(), 2)) / (2 * h)
  }, numeric(1500))
  r <- sim$y - ref_f_theta(th, sim$x, expert_sigmoid(), 2)
  s2 <- sum(w * r^2) / (1500 - length(th))
  bread <- solve(crossprod(J * sqrt(w)))
  expect_equal(unname(vcov(fit)), s2 * bread, tolerance = 1e-6)
  expect_equal(unname(vcov(fit, type = "HC0")), bread %*% crossprod(J * (w * r)) %*% bread, tolerance = 1e-6)
  expect_equal(unname(vcov(fit, type = "HC1")), unname(vcov(fit, type = "HC0")) * 1500 / (1500 - 6), tolerance = 1e-12)
  expect_identical(rownames(vcov(fit)), names(coef(fit)))
  expect_identical(colnames(vcov(fit)), names(coef(fit)))
})

test_that("k = 1 linear experts reproduce lm: vcov, sigma, df, logLik, AIC, BIC, confint, predict se", {
  set.seed(22)
  d <- data.frame(a = runif(120), b = runif(120))
  d$y <- 1 + d$a - 2 * d$b + rnorm(120, sd = 0.2)
  f <- moe_lse(y ~ a + b, data = d, k = 1, expert = "linear")
  l <- lm(y ~ a + b, data = d)
  o <- c(2, 3, 1)  # lm: (Intercept), a, b; moe_lse: a.a, a.b, b
  expect_equal(unname(vcov(f)), unname(vcov(l)[o, o]), tolerance = 1e-6)
  expect_equal(sigma(f), sigma(l), tolerance = 1e-8)
  expect_equal(df.residual(f), df.residual(l))
  expect_equal(logLik(f), logLik(l), tolerance = 1e-8)
  expect_equal(attr(logLik(f), "df"), attr(logLik(l), "df"))
  expect_equal(AIC(f), AIC(l), tolerance = 1e-8)
  expect_equal(BIC(f), BIC(l), tolerance = 1e-8)
  se <- sqrt(diag(vcov(l)))[o]
  expect_equal(unname(confint(f)), unname(confint(l)[o, ]), tolerance = 1e-6)  # t quantiles, as confint.lm
  expect_equal(unname(confint(f)), unname(cbind(coef(l)[o] - qt(0.975, df.residual(l)) * se, coef(l)[o] + qt(0.975, df.residual(l)) * se)),
               tolerance = 1e-6)
  nd <- data.frame(a = c(0.1, 0.5, 2), b = c(0.3, 0.9, -1))
  pf <- quiet_extrapolation(predict(f, nd, se.fit = TRUE))
  pl <- predict(l, nd, se.fit = TRUE)
  expect_equal(pf$fit, pl$fit, tolerance = 1e-6)  # names included, as lm's
  expect_equal(pf$se.fit, pl$se.fit, tolerance = 1e-6)
  ci <- quiet_extrapolation(predict(f, nd, interval = "confidence", level = 0.9))
  expect_equal(unname(ci[, "upr"] - ci[, "fit"]), qt(0.95, df.residual(l)) * unname(pl$se.fit), tolerance = 1e-6)
  pi <- quiet_extrapolation(predict(f, nd, interval = "prediction"))
  expect_equal(unname(pi[, "upr"] - pi[, "fit"]), qt(0.975, df.residual(l)) * sqrt(unname(pl$se.fit)^2 + sigma(l)^2), tolerance = 1e-6)
  # HC0 against the textbook sandwich for lm
  X <- model.matrix(l)
  B <- solve(crossprod(X))
  hc0 <- B %*% crossprod(X * residuals(l)) %*% B
  expect_equal(unname(vcov(f, type = "HC0")), unname(hc0[o, o]), tolerance = 1e-6)
  s <- summary(f)
  expect_equal(unname(s$coefficients[, "Std. Error"]), unname(se), tolerance = 1e-6)
  expect_equal(unname(s$coefficients[, "t value"]), unname(coef(l)[o] / se), tolerance = 1e-6)
  # p-values from the t distribution on n - p degrees of freedom, as lm's (and nls's)
  expect_equal(unname(s$coefficients[, "Pr(>|t|)"]), unname(summary(l)$coefficients[o, "Pr(>|t|)"]), tolerance = 1e-6)
  expect_equal(s$sigma, sigma(l), tolerance = 1e-8)
})

test_that("sigma(), df.residual(), logLik() and AIC() count the same p free parameters", {
  sim <- sim_sigmoid2(n = 500, d = 2, noise_sd = 0.1, seed = 23)
  fit <- moe_lse_fit(sim$x, sim$y, k = 2, expert = "sigmoid", start = sim$truth, control = lse_control(n_starts = 1))
  p <- length(coef(fit))
  expect_equal(p, 3 + 2 * 3)  # (k - 1)(d + 1) gate + k (d + 1) expert parameters; anchored zeros not counted
  expect_equal(df.residual(fit), 500 - p)
  expect_equal(sigma(fit), sqrt(deviance(fit) / (500 - p)))
  expect_equal(attr(logLik(fit), "df"), p + 1)
  expect_equal(AIC(fit), -2 * as.numeric(logLik(fit)) + 2 * (p + 1))
  expect_equal(BIC(fit), -2 * as.numeric(logLik(fit)) + log(500) * (p + 1))
  expect_equal(summary(fit)$sigma, sigma(fit))
  expect_equal(nrow(vcov(fit)), p)
})

test_that("estimates on a bound and unidentified directions give NA with a classed warning", {
  sim <- sim_sigmoid2(n = 2000, d = 1, noise_sd = 0.05, seed = 9)
  set.seed(1)
  fb <- moe_lse_fit(sim$x, sim$y, k = 2, expert = "sigmoid", control = lse_control(bound_gate = 1, bound_expert = 2, warn = FALSE))
  onb <- lsmoe:::theta_on_bound(fb)
  expect_equal(sum(onb), fb$on_bound)
  expect_gt(fb$on_bound, 0)
  expect_warning(V <- vcov(fb), class = "lsmoe_warning_inference")
  expect_true(all(is.na(V[onb, ])) && all(is.na(V[, onb])))
  expect_true(all(is.finite(V[!onb, !onb])))
  expect_warning(ci <- confint(fb), class = "lsmoe_warning_inference")
  expect_true(all(is.na(ci[onb, ])))
  # two identical linear experts under a flat gate: the gate's Jacobian columns are zero and the
  # experts' are equal, so nothing is identified (the estimate is set by hand: an optimiser moves off it)
  set.seed(2)
  x <- runif(300)
  y <- 1 + x + rnorm(300, sd = 0.1)
  fu <- moe_lse_fit(cbind(x = x), y, k = 2, expert = "linear", control = lse_control(n_starts = 1, warn = FALSE))
  fu$theta <- lsmoe:::pack_theta(c(0, 0), matrix(0, 2, 1), rbind(c(1, 1), c(1, 1)))
  fu$coefficients <- lsmoe:::unpack_theta(fu$theta, 2, 1, 2)
  fu$residuals <- y - (1 + x)
  fu$rss <- sum(fu$residuals^2)
  expect_warning(Vu <- vcov(fu), "unidentified", class = "lsmoe_warning_inference")
  expect_true(all(is.na(diag(Vu))))
  expect_warning(s <- summary(fu), class = "lsmoe_warning_inference")
  expect_true(all(is.na(s$coefficients[, "Std. Error"])))
  # the same fit with a well-separated pair of experts has every standard error
  st2 <- list(beta0 = c(0, 0), beta1 = matrix(c(8, 0), 2), eta = rbind(c(1, 1), c(-1, 2)))
  y2 <- ref_fG(cbind(x), c(-4, 0), matrix(c(8, 0), 2), rbind(c(1, 1), c(-1, 2)), expert_linear()) + rnorm(300, sd = 0.05)
  st2 <- list(beta0 = c(-4, 0), beta1 = matrix(c(8, 0), 2), eta = rbind(c(1, 1), c(-1, 2)))
  f2 <- moe_lse_fit(cbind(x = x), y2, k = 2, expert = "linear", start = st2, control = lse_control(n_starts = 1))
  expect_true(all(is.finite(diag(vcov(f2)))))
})

test_that("Monte Carlo: reported standard errors match the spread of the estimates; Wald coverage", {
  # Exact-specified k = 2 sigmoid truth, 100 replicates at n = 2000, fitted from the truth (one
  # start keeps the labels). data-raw/vcov-montecarlo.R runs the full study (500 replicates at
  # n = 2e4). Tolerances from the Monte Carlo error at 100 replicates: the SD/SE ratio has
  # relative standard error about 1 / sqrt(200) = 7%, so each ratio must be within 25% (3.5 SE);
  # coverage pooled over the 6 parameters (600 intervals, positively correlated) must be within
  # 0.90-0.99 (about 3 binomial SE of 0.95 for 100 independent replicates on each side).
  truth <- sim_sigmoid2(n = 10, d = 1, noise_sd = 0.1, seed = 1)$truth
  theta0 <- lsmoe:::pack_theta(truth$beta0, truth$beta1, truth$eta)
  ctl <- lse_control(n_starts = 1, warn = FALSE)
  res <- lapply(1:100, function(r) {
    sim <- sim_sigmoid2(n = 2000, d = 1, noise_sd = 0.1, seed = 1000 + r)
    fit <- moe_lse_fit(sim$x, sim$y, k = 2, expert = "sigmoid", start = truth, control = ctl)
    ci <- confint(fit)
    list(est = coef(fit), se = sqrt(diag(vcov(fit))), cover = ci[, 1] <= theta0 & theta0 <= ci[, 2])
  })
  est <- do.call(rbind, lapply(res, `[[`, "est"))
  se <- do.call(rbind, lapply(res, `[[`, "se"))
  cover <- do.call(rbind, lapply(res, `[[`, "cover"))
  ratio <- apply(est, 2, sd) / colMeans(se)
  expect_true(all(abs(ratio - 1) < 0.25), label = paste("SD/SE ratios", paste(round(ratio, 3), collapse = " ")))
  expect_gte(mean(cover), 0.90)
  expect_lte(mean(cover), 0.99)
  # the estimates are centred on the truth (bias well below the spread)
  expect_true(all(abs(colMeans(est) - theta0) < 0.5 * apply(est, 2, sd)))
})

test_that("parametric-bootstrap intervals agree with Wald intervals on a regular fit and are seeded", {
  skip_if_not_installed("future.apply")
  sim <- sim_sigmoid2(n = 1000, d = 1, noise_sd = 0.1, seed = 25)
  fit <- moe_lse_fit(sim$x, sim$y, k = 2, expert = "sigmoid", start = sim$truth, control = lse_control(n_starts = 1))
  b1 <- confint(fit, method = "boot", nboot = 100, seed = 7)
  b2 <- confint(fit, method = "boot", nboot = 100, seed = 7)
  expect_identical(b1, b2)
  expect_equal(attr(b1, "nboot_ok"), 100L)
  wald <- confint(fit)
  width_ratio <- (b1[, 2] - b1[, 1]) / (wald[, 2] - wald[, 1])
  expect_true(all(width_ratio > 0.7 & width_ratio < 1.3), label = paste(round(width_ratio, 2), collapse = " "))
  set.seed(3); b3 <- confint(fit, parm = "expert1:beta0", method = "boot", nboot = 20)
  set.seed(3); b4 <- confint(fit, parm = 1, method = "boot", nboot = 20)
  expect_identical(unname(b3), unname(b4))
  expect_error(confint(fit, parm = "nope"), "nope", class = "lsmoe_error_input")
  expect_error(confint(fit, method = "likelihood"), "`method`", class = "lsmoe_error_input")
})

test_that("predict(se.fit) is the delta method with a finite-difference gradient", {
  sim <- sim_sigmoid2(n = 800, d = 1, noise_sd = 0.1, seed = 26)
  fit <- moe_lse_fit(sim$x, sim$y, k = 2, expert = "sigmoid", start = sim$truth, control = lse_control(n_starts = 1))
  nd <- matrix(c(-1.5, 0, 0.7), ncol = 1, dimnames = list(NULL, "x1"))
  th <- fit$theta
  G <- vapply(seq_along(th), function(j) {
    h <- 1e-6
    (ref_f_theta(replace(th, j, th[j] + h), nd, expert_sigmoid(), 2) -
       ref_f_theta(replace(th, j, th[j] - h), nd, expert_sigmoid(), 2)) / (2 * h)
  }, numeric(3))
  se <- sqrt(rowSums((G %*% vcov(fit)) * G))
  p <- predict(fit, nd, se.fit = TRUE)
  expect_equal(p$se.fit, se, tolerance = 1e-6)
  expect_equal(p$residual.scale, sigma(fit))
  expect_equal(p$df, df.residual(fit))
  expect_error(predict(fit, nd, type = "gate", se.fit = TRUE), "type", class = "lsmoe_error_input")
  expect_error(predict(fit, nd, interval = "both"), "`interval`", class = "lsmoe_error_input")
})

test_that("anova() tabulates fits, tests nested same-k fits with F, and none across k", {
  set.seed(27)
  d <- data.frame(x = runif(400), z = runif(400))
  d$y <- ifelse(d$x < 0.5, 1 + 2 * d$x, 3 - 2 * d$x) + 0.3 * d$z + rnorm(400, sd = 0.1)
  set.seed(1); f1 <- moe_lse(y ~ x, data = d, k = 2, expert = "linear")
  set.seed(1); f2 <- update(f1, . ~ . + z)
  set.seed(1); f3 <- update(f2, k = 3)
  a <- anova(f1, f2, f3)
  expect_s3_class(a, "anova")
  expect_equal(a$RSS, c(deviance(f1), deviance(f2), deviance(f3)))
  expect_equal(a$Params, c(length(coef(f1)), length(coef(f2)), length(coef(f3))))
  expect_equal(a$AIC, c(AIC(f1), AIC(f2), AIC(f3)))
  expect_equal(a$BIC, c(BIC(f1), BIC(f2), BIC(f3)))
  dfn <- length(coef(f2)) - length(coef(f1))
  expect_equal(dfn, 3)  # one gate slope and one expert slope per expert
  Fv <- ((deviance(f1) - deviance(f2)) / dfn) / (deviance(f2) / (400 - length(coef(f2))))
  expect_equal(a$F[2], Fv)
  expect_equal(a$`Pr(>F)`[2], pf(Fv, dfn, 400 - length(coef(f2)), lower.tail = FALSE))
  expect_true(is.na(a$F[3]))
  expect_match(paste(attr(a, "heading"), collapse = "\n"), "not chi-squared")
  expect_output(print(a), "Res.Df")
  expect_identical(rownames(a), c("f1", "f2", "f3"))
  expect_identical(rownames(anova(f1, update(f1, . ~ . + z))), c("f1", "update(f1, . ~ . + z)"))
  d2 <- d
  d2$y <- d2$y + 1
  expect_error(anova(f1, moe_lse(y ~ x, data = d2, k = 2, expert = "linear")), "same response",
               class = "lsmoe_error_input")
})

test_that("confint() rejects NA or empty parm with a classed error (fuzz seed 1, call 8901)", {
  set.seed(2)
  x <- runif(200)
  y <- ifelse(x < 0.5, 1 + x, 3 - 2 * x) + rnorm(200, sd = 0.1)
  f <- moe_lse(x, y, k = 2, expert = "linear", control = lse_control(n_starts = 3))
  expect_error(confint(f, parm = NA_integer_), "`parm`", class = "lsmoe_error_input")
  expect_error(confint(f, parm = integer(0)), "`parm`", class = "lsmoe_error_input")
})

test_that("hatvalues(), rstandard() and cooks.distance() of k = 1 linear experts are lm's, with weights and NA", {
  aq <- datasets::airquality
  aq$w <- rep(c(1, 2, 0.5), length.out = nrow(aq))
  set.seed(4)
  f <- moe_lse(Ozone ~ Temp + Wind, data = aq, k = 1, expert = "linear", weights = w, na.action = na.exclude,
               control = lse_control(n_starts = 2))
  l <- lm(Ozone ~ Temp + Wind, data = aq, weights = w, na.action = na.exclude)
  expect_equal(hatvalues(f), hatvalues(l), tolerance = 1e-8)
  expect_equal(rstandard(f), rstandard(l), tolerance = 1e-7)
  # (lm's cooks.distance() names the rows dropped by na.exclude NA; the values are compared)
  expect_equal(unname(cooks.distance(f)), unname(cooks.distance(l)), tolerance = 1e-7)
  expect_identical(names(cooks.distance(f)), names(hatvalues(l)))
})

test_that("leverages of a nonlinear fit are the Gauss-Newton hat matrix's diagonal: in [0, 1], summing to p", {
  G <- mixing_measure(beta0 = c(-3, 0), beta1 = c(6, 0), eta = rbind(c(4, -1), c(-4, 3)), expert = expert_sigmoid())
  set.seed(36)
  sim <- simulate_moe(G, n = 200, noise_sd = 0.1)
  fit <- moe_lse(sim$x, sim$y, k = 2, expert = expert_sigmoid(),
                 start = list(beta0 = G$beta0, beta1 = G$beta1, eta = G$eta),
                 control = lse_control(n_starts = 1, warn = FALSE))
  skip_if(fit$on_bound > 0, "an estimate on a bound: fewer free parameters")
  h <- hatvalues(fit)
  expect_true(all(h >= 0 & h <= 1))
  expect_equal(sum(h), length(coef(fit)), tolerance = 1e-8)
  # against the hat matrix built from finite-difference Jacobian columns
  th <- fit$theta
  fth <- function(t) lsmoe:::cpp_fitted(fit$x, t, fit$expert, fit$k, 1L, "softmax", FALSE)
  J <- vapply(seq_along(th), function(j) { e <- replace(numeric(length(th)), j, 1e-6); (fth(th + e) - fth(th - e)) / 2e-6 },
              numeric(200))
  H <- J %*% solve(crossprod(J), t(J))
  expect_equal(unname(h), diag(H), tolerance = 1e-5)
  s <- sigma(fit)
  expect_equal(unname(rstandard(fit)), unname(residuals(fit)) / (s * sqrt(1 - diag(H))), tolerance = 1e-5)
  expect_equal(unname(cooks.distance(fit)), unname(residuals(fit))^2 * diag(H) / (length(th) * s^2 * (1 - diag(H))^2),
               tolerance = 1e-4)
  expect_error(hatvalues(structure(list(), class = "moe_lse")), class = "lsmoe_error_input")
})

# ---- Inference at the bounds (issue 27, item 2) ----------------------------------------------------

# k = 2 output-weighted tanh experts whose first expert is the line 1 + 0.8 x (the limit c -> Inf)
# and the second 3 tanh(2x - 0.5), gated by plogis(-6x); fitted from near the truth (as
# data-raw/coverage-bounds.R), so that expert1:c ends on bound_output.
fit_linear_limit <- function(n = 1000, seed = 1, ...) {
  set.seed(seed)
  x <- runif(n, -1, 1)
  g <- plogis(-6 * x)
  d <- data.frame(x = x, y = g * (1 + 0.8 * x) + (1 - g) * 3 * tanh(2 * x - 0.5) + rnorm(n, sd = 0.3))
  st <- list(beta0 = c(0, 0), beta1 = matrix(c(-6, 0), 2, 1), eta = rbind(c(0.08, 0.1, 10), c(2, -0.5, 3)))
  moe_lse(y ~ x, data = d, k = 2, expert = expert_tanh(output_weight = TRUE), start = st,
          control = lse_control(n_starts = 1, warn = FALSE), ...)
}

# The messages of the warnings of class lsmoe_warning_inference that `expr` gives (any other warning
# is an error of the test).
inference_warnings <- function(expr) {
  ws <- character(0)
  withCallingHandlers(expr, lsmoe_warning_inference = function(w) {
    ws <<- c(ws, conditionMessage(w))
    invokeRestart("muffleWarning")
  })
  ws
}

test_that("summary() marks estimates on a bound [b], as fit$bound_flags, and says what each bound means", {
  fit <- fit_linear_limit()
  expect_true(fit$bound_flags[names(coef(fit)) == "expert1:c"])
  expect_warning(s <- summary(fit), class = "lsmoe_warning_inference")
  expect_identical(unname(s$bound_flags), fit$bound_flags)
  expect_identical(names(s$bound_flags), names(coef(fit)))
  expect_identical(s$bounds$parameter, names(coef(fit))[fit$bound_flags])
  expect_true(all(is.na(s$coefficients[fit$bound_flags, "Std. Error"])))
  expect_true(all(is.finite(s$coefficients[!fit$bound_flags, "Std. Error"])))
  m <- s$bounds$meaning[s$bounds$parameter == "expert1:c"]
  expect_match(m, "linear limit c -> Inf", fixed = TRUE)
  expect_identical(s$bounds$control[s$bounds$parameter == "expert1:c"], "bound_output")
  out <- capture.output(print(s))
  # the rows of the table carry [b] exactly for the flagged estimates
  for (p in names(coef(fit))) {
    marked <- any(startsWith(trimws(out), paste(p, "[b]")))
    expect_identical(marked, unname(s$bound_flags[p]), info = p)
  }
  expect_true(any(grepl("[b] On a bound of the box (treated as fixed", out, fixed = TRUE)))
  # tidy() carries the same flags, and no standard error where they are set
  td <- suppressWarnings(tidy(fit))
  expect_identical(td$on_bound, unname(s$bound_flags))
  expect_identical(td$unidentified, unname(s$unidentified))
  expect_true(all(is.na(td$std.error[td$on_bound | td$unidentified])))
  expect_true(all(is.finite(td$std.error[!(td$on_bound | td$unidentified)])))
  expect_true(any(grepl("lse_control(bound_gate =, bound_expert =, bound_output =)", out, fixed = TRUE)))
  # the meanings are wrapped to the console's width, the parameter on the first line
  expect_match(paste(out, collapse = " "), "expert1:c +output weight at bound_output .*linear limit")
  foot <- seq(grep("[b] On a bound", out, fixed = TRUE) + 1, grep("^Residual standard error", out) - 2)
  expect_true(all(nchar(out[foot]) <= getOption("width")))
  # print() names them too
  expect_true(any(grepl("estimate(s) on a bound: expert1:c", capture.output(print(fit)), fixed = TRUE)))
})

test_that("the footnote's meaning follows the box an estimate reached: gate, nonlinearity, output weight", {
  sim <- sim_sigmoid2(n = 2000, d = 1, noise_sd = 0.05, seed = 9)
  set.seed(1)
  fb <- moe_lse_fit(sim$x, sim$y, k = 2, expert = "sigmoid", control = lse_control(bound_gate = 1, bound_expert = 2, warn = FALSE))
  expect_warning(s <- summary(fb), class = "lsmoe_warning_inference")
  expect_identical(unname(s$bound_flags), fb$bound_flags)
  b <- s$bounds
  expect_identical(nrow(b), fb$on_bound)
  expect_true(all(b$group[grepl("beta", b$parameter)] == "gate"))
  expect_true(all(grepl("hard switch", b$meaning[grepl("beta1", b$parameter)])))
  expect_true(all(grepl("step", b$meaning[grepl(":a\\.", b$parameter)])))
  expect_true(all(b$control == paste0("bound_", b$group)))
  # every flag, set by hand on the tanh fit: each parameter's box and meaning
  fit <- fit_linear_limit()
  all_flags <- rep(TRUE, length(coef(fit)))
  m <- lsmoe:::bound_meanings(fit, all_flags)
  expect_identical(m$parameter, names(coef(fit)))
  expect_identical(m$group, c("gate", "gate", rep(c("expert", "expert", "output"), 2)))
  expect_match(m$meaning[m$parameter == "expert1:beta1.x"], "hard switch in `x`")
  expect_match(m$meaning[m$parameter == "expert2:a.x"], "step in `x`")
  # expert 2 is far from linear over the data: its c at the bound is not the linear limit
  expect_match(m$meaning[m$parameter == "expert2:c"], "gate and output weight trade off")
  # a tiny output weight is the other end of the reciprocal box: an expert that vanishes
  f0 <- fit
  f0$theta[names(coef(fit)) == "expert2:c"] <- 1e-6
  expect_match(lsmoe:::bound_meanings(f0, all_flags)$meaning[8], "vanishes")
  # a summary without the new fields (saved by an older version) still prints
  s2 <- suppressWarnings(summary(fit))
  s2$bound_flags <- s2$unidentified <- s2$bounds <- NULL
  expect_output(print(s2), "Free parameters")
})

test_that("predict() gives finite intervals with many estimates on a bound, and falls back without free ones", {
  fit <- fit_linear_limit()
  nd <- data.frame(x = c(-0.9, -0.3, 0, 0.4, 0.95))
  pr <- suppressWarnings(predict(fit, nd, interval = "prediction"))
  expect_true(all(is.finite(pr)))
  ci <- suppressWarnings(predict(fit, nd, interval = "confidence"))
  expect_true(all(is.finite(ci)) && all(ci[, "upr"] > ci[, "lwr"]))
  # every parameter held by hand on a bound: the delta method would give 0, so the standard errors
  # are those of parametric-bootstrap refits, seeded
  fa <- fit
  fa$bound_flags[] <- TRUE
  fa$on_bound <- length(fa$theta)
  ws <- inference_warnings(p1 <- predict(fa, nd, interval = "confidence", se.fit = TRUE, nboot = 40, seed = 3))
  expect_true(any(grepl("parametric-bootstrap refits", ws)))
  expect_true(all(is.finite(p1$fit)) && all(p1$se.fit > 0))
  p2 <- suppressWarnings(predict(fa, nd, interval = "confidence", se.fit = TRUE, nboot = 40, seed = 3))
  expect_identical(p1, p2)
  # the bootstrap's standard errors are of the delta method's order where it exists
  pd <- suppressWarnings(predict(fit, nd, se.fit = TRUE))
  expect_true(all(p1$se.fit / pd$se.fit > 0.3 & p1$se.fit / pd$se.fit < 3))
  # a fit without its data cannot be refitted: confidence limits NA, prediction limits from sigma alone
  fm <- fit_linear_limit(model = FALSE)
  fm$bound_flags[] <- TRUE
  fm$on_bound <- length(fm$theta)
  ws <- inference_warnings(pm <- predict(fm, nd, interval = "prediction"))
  expect_true(any(grepl("residual standard deviation alone", ws)))
  expect_equal(unname(pm[, "upr"] - pm[, "fit"]), rep(qt(0.975, df.residual(fm)) * sigma(fm), 5))
  cm <- suppressWarnings(predict(fm, nd, interval = "confidence"))
  expect_true(all(is.na(cm[, c("lwr", "upr")])))
})

test_that("an input far from 0 does not make slopes and intercepts unidentified (VIFs of centred inputs)", {
  set.seed(4)
  x <- runif(400)
  y <- ifelse(x < 0.5, 1 + 2 * x, 3 - 2 * x) + rnorm(400, sd = 0.1)
  st <- list(beta0 = c(-10, 0), beta1 = matrix(c(20, 0), 2, 1), eta = rbind(c(-2, 3), c(2, 1)))
  f0 <- moe_lse(y ~ x, data = data.frame(x = x, y = y), k = 2, expert = "linear", start = st,
                control = lse_control(n_starts = 1, warn = FALSE))
  # the same data with the input shifted by 1e4: in the user's parameters the Jacobian columns of
  # each slope and its intercept are collinear to 1e-9 (VIF about 1e9 > 1 / tol)
  st1 <- st
  st1$beta0 <- st$beta0 - 1e4 * st$beta1[, 1]
  st1$eta[, 2] <- st$eta[, 2] - 1e4 * st$eta[, 1]
  f1 <- moe_lse(y ~ x, data = data.frame(x = x + 1e4, y = y), k = 2, expert = "linear", start = st1,
                control = lse_control(n_starts = 1, warn = FALSE))
  expect_equal(f1$rss, f0$rss, tolerance = 1e-6)
  expect_silent(V1 <- vcov(f1))
  expect_true(all(is.finite(V1)))
  slopes <- c("expert1:beta1.x", "expert1:a.x", "expert2:a.x")
  expect_equal(sqrt(diag(V1))[slopes], sqrt(diag(vcov(f0)))[slopes], tolerance = 1e-4)
  # the intercept at x = 0 is 1e4 away from the data: its standard error is the slope's times about 1e4
  expect_equal(unname(sqrt(V1["expert1:a.x", "expert1:a.x"]) * 1e4 / sqrt(V1["expert1:b", "expert1:b"])), 1, tolerance = 1e-3)
  # and the standard errors of predictions are those of the unshifted fit
  nd <- data.frame(x = c(0.2, 0.5, 0.8))
  expect_equal(predict(f1, nd + 1e4, se.fit = TRUE)$se.fit, predict(f0, nd, se.fit = TRUE)$se.fit, tolerance = 1e-4,
               ignore_attr = TRUE)
  # the same with the fit's cross-products (model = FALSE), kept in the parameters of the centred
  # inputs: as accurate as from the data (kept in the user's parameters, they lost about
  # cond(J'WJ), 1e9 here, times the rounding and agreed to 1e-4 only)
  f2 <- update(f1, model = FALSE)
  expect_true(isTRUE(attr(f2$crossprods, "centred")))
  expect_equal(vcov(f2), V1, tolerance = 1e-8)
  # a fit of an earlier version, with the cross-products in the user's parameters, still works
  old <- f2
  D <- lsmoe:::centring_map(f1)
  Di <- solve(D)
  old$crossprods <- list(JtWJ = crossprod(Di, f2$crossprods$JtWJ %*% Di), meat = crossprod(Di, f2$crossprods$meat %*% Di))
  expect_equal(vcov(old), V1, tolerance = 1e-3)
})

test_that("predict() checks nboot and seed even when the bootstrap fallback is not needed", {
  set.seed(2)
  x <- matrix(runif(200, -1, 1), 200, 1)
  y <- ifelse(x[, 1] > 0, 2 * x[, 1], -x[, 1]) + rnorm(200, sd = 0.1)
  f <- moe_lse(x, y, k = 2, control = lse_control(n_starts = 3, warn = FALSE))
  nd <- data.frame(x = c(-0.5, 0.5))
  expect_error(predict(f, newdata = nd, interval = "confidence", nboot = 2), class = "lsmoe_error_input")
  expect_error(predict(f, newdata = nd, nboot = NA), class = "lsmoe_error_input")
  expect_error(predict(f, newdata = nd, seed = -1), class = "lsmoe_error_input")
  expect_error(predict(f, newdata = nd, seed = "a"), class = "lsmoe_error_input")
  expect_equal(nrow(predict(f, newdata = nd, interval = "confidence")), 2L)
})

# confint(method = "profile") (R/profile.R)
test_that("profile intervals equal lm's for a linear model and MASS's nls profile for a nonlinear one", {
  set.seed(5)
  n <- 300
  x <- runif(n)
  d1 <- data.frame(x = x, y = 1 + 2 * x + rnorm(n, sd = 0.3))
  f1 <- moe_lse(y ~ x, data = d1, k = 1, expert = "linear")
  expect_equal(unname(confint(f1, method = "profile")), unname(confint(lm(y ~ x, d1))[2:1, ]), tolerance = 1e-6)
  skip_if_not_installed("MASS")
  set.seed(7)
  n <- 400
  x <- runif(n)
  g <- plogis(10 * (x - 0.5))
  d <- data.frame(x = x, y = g * (1 + 2 * x) + (1 - g) * (3 - 2 * x) + rnorm(n, sd = 0.1))
  set.seed(1)
  f2 <- moe_lse(y ~ x, data = d, k = 2, expert = "linear")
  cf <- unname(coef(f2))
  fn <- stats::nls(y ~ plogis(g1 * x + g0) * (a1 * x + b1) + plogis(-(g1 * x + g0)) * (a2 * x + b2), data = d,
                   start = list(g0 = cf[1], g1 = cf[2], a1 = cf[3], b1 = cf[4], a2 = cf[5], b2 = cf[6]),
                   control = stats::nls.control(maxiter = 1000))
  expect_equal(deviance(fn), deviance(f2), tolerance = 1e-8)  # the same least squares estimate
  ref <- suppressMessages(MASS:::confint.nls(fn))
  pr <- confint(f2, method = "profile")
  # within 0.2% of each interval's width (MASS interpolates its profile by a spline)
  expect_lt(max(abs(pr - ref) / (ref[, 2] - ref[, 1])), 2e-3)
  # and not the Wald intervals: the profile of the first expert's slope is asymmetric
  wald <- confint(f2)
  expect_gt(max(abs(wald - ref) / (ref[, 2] - ref[, 1])), 0.1)
  # parm selects rows
  expect_equal(confint(f2, parm = "expert2:b", method = "profile"), pr["expert2:b", , drop = FALSE])
})

test_that("profile intervals: NA on a bound, classed errors without data and a warning off the optimum", {
  fit <- fit_linear_limit()
  on <- fit$bound_flags
  pr <- suppressWarnings(confint(fit, method = "profile"))
  expect_true(all(is.na(pr[on, ])))
  expect_true(all(is.finite(pr[names(coef(fit)) == "expert2:b", ])))
  est <- coef(fit)
  ok <- is.finite(pr[, 1]) & is.finite(pr[, 2])
  expect_true(all(pr[ok, 1] < est[ok] & est[ok] < pr[ok, 2]))
  expect_error(confint(fit_linear_limit(model = FALSE), method = "profile"), class = "lsmoe_error_no_data")
  expect_error(confint(fit, method = "likelihood"), class = "lsmoe_error_input")
  # a fit stopped far from its optimum: the refit from the estimate finds a smaller RSS
  set.seed(3)
  x <- runif(300)
  y <- ifelse(x < 0.5, 1 + 2 * x, 3 - 2 * x) + rnorm(300, sd = 0.1)
  st <- list(beta0 = c(0, 0), beta1 = matrix(c(1, 0), 2, 1), eta = rbind(c(0, 1), c(0, 2)))
  rough <- moe_lse(y ~ x, data = data.frame(x, y), k = 2, start = st, control = lse_control(max_iter = 1, warn = FALSE))
  expect_warning(bad <- confint(rough, method = "profile"), class = "lsmoe_warning_inference")
  expect_true(all(is.na(bad)))
})
