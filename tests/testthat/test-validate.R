# validate.R: hand-edited fits, summaries, identifiability checks, rate studies and losses reaching the methods
# give classed errors naming the field (validate_fit() and friends; fuzzer findings of issue 12).

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
  s <- summary(fit)
  s$unidentified <- NA_character_  # the fuzzer's seed 404, call 5649
  err_object(print(s), "`unidentified`")
  s <- summary(fit)
  s$bound_flags <- c(TRUE, NA)
  err_object(print(s), "`bound_flags`")
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
  # a study whose column `fit` was edited by hand (issue 29): rbind() offsets the fit ids
  study <- rate_study(G_sig(), n = c(40, 80), reps = 1, control = lse_control(n_starts = 1, warn = FALSE), n_mc = 200)
  for (v in list("a", NA_character_, 1i, list(1, "a"), 1.5, -1, Inf)) {
    ed <- study
    ed$fit <- v
    err_input(rbind(ed, study), "column `fit`")
  }
  ed$fit <- "a"
  err_input(print(ed), "column `fit`")
  for (v in list(NA, NA_integer_, 3)) {
    ed$fit <- v
    expect_s3_class(rbind(ed, study), "rate_study")
  }
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

test_that("a fit's finish_steps must be NULL or a character vector", {
  set.seed(1)
  x <- runif(60)
  f <- moe_lse_fit(x, 2 * x + rnorm(60, sd = 0.1), k = 2, expert = "linear", control = lse_control(n_starts = 3))
  expect_identical(f$finish_steps, character(0))
  bad <- f
  bad$finish_steps <- 1:3
  expect_error(print(bad), class = "lsmoe_error_fit_object")
  bad$finish_steps <- c("a Newton polish", NA)
  expect_error(coef(bad), class = "lsmoe_error_fit_object")
  ok <- f
  ok$finish_steps <- "a Newton polish"
  expect_output(print(ok), "and a Newton polish", fixed = TRUE)
})
