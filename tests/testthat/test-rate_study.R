# rate_study.R: rate_study(), estimate_rate() and plot(): tidy results, reproducibility, progress, plots
# and edge cases.

G0_sig <- function() {
  mixing_measure(beta0 = c(-4, 0), beta1 = c(8, 0), eta = rbind(c(6, -2), c(-5, 3)), expert = expert_sigmoid())
}

test_that("estimate_rate recovers a known slope within its own interval", {
  set.seed(20)
  n <- rep(round(10^seq(3, 5, length.out = 9)), each = 20)
  df <- data.frame(n = n, value = 3 * n^-0.5 * exp(rnorm(length(n), sd = 0.3)), loss = "D1")
  est <- estimate_rate(df, window = NULL)
  expect_equal(nrow(est), 2)
  for (m in c("replicates", "means")) {
    e <- est[est$method == m, ]
    expect_true(e$lower < -0.5 && -0.5 < e$upper, label = paste(m, "interval covers -0.5"))
    expect_lt(abs(e$slope + 0.5), 0.05)
  }
  expect_equal(est$n_sizes, c(9, 9))
  # the slope agrees with an independent lm() on the same points
  expect_equal(est$slope[1], unname(coef(lm(log(df$value) ~ log(df$n)))[2]))
  # and it is a different number for a different true rate
  df2 <- transform(df, value = n^-0.25 * exp(rnorm(length(n), sd = 0.3)))
  expect_lt(abs(estimate_rate(df2)$slope[1] + 0.25), 0.05)
})

test_that("estimate_rate rejects a single n and non-positive losses with classed errors", {
  expect_error(estimate_rate(data.frame(n = rep(100, 5), value = runif(5))), "two distinct", class = "lsmoe_error_input")
  expect_error(estimate_rate(data.frame(n = c(10, 100, 1000), value = c(1, 0, 0.1))), "zero or negative",
               class = "lsmoe_error_input")
  expect_error(estimate_rate(data.frame(n = c(10, 100, 1000), value = c(1, -1, 0.1))), "log",
               class = "lsmoe_error_input")
  expect_error(estimate_rate(list(n = 1)), "`study`", class = "lsmoe_error_input")
  expect_error(estimate_rate(data.frame(n = c(10, 100, 1000), value = c(1, 0.5, 0.1)), level = 1),
               "`level`", class = "lsmoe_error_input")
})

test_that("rate_study returns a tidy, flagged data frame", {
  set.seed(3)
  st <- rate_study(G0_sig(), n = c(300, 600), reps = 2, k = 3, losses = c("D1", "D2", "regression"))
  expect_s3_class(st, "rate_study")
  # D1 and D2 under both alignments, and the regression error: 5 rows per fit
  expect_equal(nrow(st), 2 * 2 * 5)
  expect_setequal(unique(st$loss), c("D1", "D2", "regression"))
  expect_setequal(unique(st$align), c("moment", "infimum", NA))
  expect_true(all(c("truth", "expert", "n", "replicate", "fit", "loss", "align", "value", "weight_term", "split_term",
                    "single_term", "cells", "rss", "converged", "iterations", "on_bound", "seconds") %in% names(st)))
  expect_true(all(st$value > 0))
  expect_identical(unique(st$expert), "sigmoid")
  expect_equal(attr(st, "settings")[[1]]$k, 3L)
  expect_equal(length(unique(st$fit)), 4)
  # the decomposition adds up to the loss, and the cell sizes add up to k
  v <- st[st$loss != "regression", ]
  expect_equal(v$weight_term + v$split_term + v$single_term, v$value, tolerance = 1e-12)
  expect_true(all(vapply(strsplit(v$cells, ","), function(z) sum(as.integer(z)), numeric(1)) == 3))
  expect_true(all(is.na(st$cells[st$loss == "regression"])))
  expect_output(print(st), "rate_study")
  # the rows are what the building blocks give for the same seed
  set.seed(3)
  est <- estimate_rate(st)
  expect_true(all(c("D1", "D2", "regression") %in% est$loss))
})

test_that("a tiny rate_study gives identical numbers sequentially and with 2 workers", {
  skip_if_not_installed("future")
  skip_on_cran()
  old <- future::plan()
  on.exit(future::plan(old), add = TRUE)
  future::plan(future::sequential)
  set.seed(11)
  a <- rate_study(G0_sig(), n = c(200, 400), reps = 2, start = "both")
  future::plan(future::multisession, workers = 2)
  set.seed(11)
  b <- rate_study(G0_sig(), n = c(200, 400), reps = 2, start = "both")
  cols <- c("n", "replicate", "loss", "value", "rss", "converged", "iterations")
  expect_identical(as.data.frame(a)[cols], as.data.frame(b)[cols])
  set.seed(12)
  c2 <- rate_study(G0_sig(), n = c(200, 400), reps = 2, start = "both")
  expect_false(identical(a$value, c2$value))
})

test_that("progress is signalled with and without progressr handlers", {
  skip_if_not_installed("progressr")
  # progressr reports only when enabled (by default only in interactive sessions)
  withr::local_options(progressr.enable = TRUE)
  set.seed(1)
  # without handlers: runs silently
  expect_silent(st <- rate_study(G0_sig(), n = c(200, 300), reps = 1))
  # with a handler: one progress update per (n, replicate) task
  count <- 0
  withCallingHandlers(
    rate_study(G0_sig(), n = c(200, 300), reps = 2),
    progression = function(cond) {
      if (identical(cond$type, "update")) count <<- count + 1
    }
  )
  expect_equal(count, 4)
})

test_that("rate_study rejects bad input with classed errors", {
  G0 <- G0_sig()
  err <- function(expr, pattern) expect_error(expr, pattern, class = "lsmoe_error_input")
  err(rate_study(G0, n = c(500, 200), reps = 2), "`n`")
  err(rate_study(G0, n = c(200, 200), reps = 2), "`n`")
  err(rate_study(G0, n = c(-1, 200), reps = 2), "`n`")
  err(rate_study(G0, n = c(200.5, 400), reps = 2), "`n`")
  err(rate_study(G0, n = c(200, 400), reps = 0), "`reps`")
  err(rate_study(G0, n = c(200, 400), reps = 2, k = 1), "`k`")
  err(rate_study(G0, n = c(200, 400), reps = 2, losses = c("D1", "D3")), "`losses`")
  err(rate_study(G0, n = c(200, 400), reps = 2, start = "truth"), "`start`")
  err(rate_study(G0, n = c(200, 400), reps = 2, noise_sd = -1), "`noise_sd`")
  err(rate_study("G0", n = c(200, 400), reps = 2), "`G0`")
  err(rate_study(G0, n = c(200, 400), reps = 2, align = "mean"), "`align`")
  err(rate_study(G0, n = c(200, 400), reps = 2, align = "infimum",
                 control = lse_control(bound_gate = Inf, warn = FALSE)), "bound_gate")
  err(rate_study(G0, n = c(200, 400), reps = 2, keep_fits = NA), "`keep_fits`")
  err(rate_study(G0, n = c(200, 400), reps = 2, truth = c("a", "b")), "`truth`")
  err(rate_study(G0, n = c(200, 400), reps = 2, losses = "D2", r = 1e10), "`r`")
})

test_that("plot.rate_study draws with base graphics and ggplot2", {
  set.seed(4)
  n <- rep(c(1e3, 1e4, 1e5), each = 4)
  st <- data.frame(expert = "sigmoid", k = 2, loss = rep(c("D1", "regression"), 6), n = n,
                   value = n^-0.5 * exp(rnorm(12, sd = 0.2)))
  class(st) <- c("rate_study", "data.frame")
  f <- tempfile(fileext = ".png")
  grDevices::png(f)
  expect_identical(plot(st, use_ggplot = FALSE), st)
  grDevices::dev.off()
  expect_gt(file.size(f), 0)
  # a `loss` that is not a character vector is a classed error (found by the fuzzer)
  for (bad in list(function(...) 1, 1, NA_character_, character(0))) {
    expect_error(plot(st, what = "loss", use_ggplot = FALSE, loss = bad), "`loss`", class = "lsmoe_error_input")
  }
  skip_if_not_installed("ggplot2")
  g <- plot(st)
  expect_s3_class(g, "ggplot")
  expect_setequal(unique(g$data$panel), c("D1", "regression"))
})

test_that("several D2 exponents give one loss per exponent, equal to voronoi_loss()", {
  G0 <- G0_sig()
  set.seed(21)
  st <- rate_study(G0, n = c(300, 500), reps = 1, losses = "D2", r = c(1, 2))
  expect_setequal(unique(st$loss), c("D2_r1", "D2_r2"))
  expect_error(rate_study(G0, n = c(300, 500), reps = 1, losses = "D2", r = c(1, 0.5)), "`r`",
               class = "lsmoe_error_input")
  expect_equal(nrow(st), 8)
  st <- st[st$align == "moment", ]
  v <- st$value[st$n == 300]
  expect_true(all(v > 0))
  # the same fit, so the same RSS on both rows; r = 1 and r = 2 differ unless every deviation is 0 or 1
  expect_equal(st$rss[st$n == 300][1], st$rss[st$n == 300][2])
  expect_false(isTRUE(all.equal(v[1], v[2])))
})

test_that("each row of a study is what the building blocks give for the same random numbers", {
  G0 <- G0_sig()
  ctl <- lse_control(n_starts = 2, warn = FALSE)
  set.seed(3)
  row <- lsmoe:::rate_study_task(G0, 300L, 3L, 0.1, c("D1", "D2", "regression"), "near_truth", ctl, NULL, 2, 0.1, 1e4,
                                 "moment")$rows
  set.seed(3)
  sim <- simulate_moe(G0, 300, 0.1)
  st <- lapply(1:2, function(s) lsmoe:::near_truth_start(G0, 3, 0.1))
  fit <- moe_lse(sim$x, sim$y, k = 3, expert = G0$expert, start = st, control = ctl)
  expect_equal(row$rss[1], fit$rss)
  expect_equal(row$value[1:2], c(voronoi_loss(fit, G0)$value, voronoi_loss(fit, G0, "D2")$value))
  # the regression error is a Monte Carlo estimate with its own draws: compare within its SE
  re <- regression_error(fit, G0, n_mc = 1e4)
  expect_lt(abs(row$value[3] - as.numeric(re)), 6 * attr(re, "se"))
})

test_that("estimate_rate drops rows with missing n and rejects non-numeric columns", {
  set.seed(2)
  s <- data.frame(n = rep(c(1e3, 1e4, 1e5), each = 10), value = exp(rnorm(30)))
  s$n[1] <- NA
  e <- estimate_rate(s)
  expect_equal(e$n_points[1], 29)
  expect_equal(e$n_dropped[1], 1)
  expect_equal(e$n_sizes[1], 3)
  expect_error(estimate_rate(data.frame(n = c("a", "b"), value = 1:2)), "numeric", class = "lsmoe_error_input")
  expect_error(estimate_rate(data.frame(n = numeric(0), value = numeric(0))), "at least one row",
               class = "lsmoe_error_input")
})

test_that("plot bars are mean -+ 2 SD, cut only where the lower end is not positive", {
  skip_if_not_installed("ggplot2")
  st <- data.frame(expert = "sigmoid", k = 2, loss = "D1", n = rep(c(100, 1000, 10000), each = 3),
                   value = c(1, 1.05, 0.95, 0.30, 0.32, 0.28, 0.01, 0.5, 0.02))
  class(st) <- c("rate_study", "data.frame")
  g <- plot(st)
  dd <- g$data[order(g$data$n), ]
  m <- tapply(st$value, st$n, mean); s <- tapply(st$value, st$n, sd)
  expect_equal(dd$lo[1:2], as.vector((m - 2 * s)[1:2]))
  expect_equal(dd$lo[3], 0.01)
  expect_equal(dd$hi, as.vector(m + 2 * s))
})

test_that("local slopes recover a broken power law within their intervals", {
  set.seed(30)
  n <- rep(round(10^seq(3, 5.5, by = 0.25)), each = 20)
  # slope -0.25 below n = 1e4 and -0.5 above, continuous at 1e4
  mu <- ifelse(n <= 1e4, 2 * n^-0.25, 2 * 1e4^-0.25 * (n / 1e4)^-0.5)
  df <- data.frame(n = n, value = mu * exp(rnorm(length(n), sd = 0.2)), loss = "D1")
  est <- estimate_rate(df)
  loc <- est[est$method == "local", ]
  # half-decade windows: [1e3, 10^3.5], [10^3.5, 1e4], [1e4, 10^4.5], [10^4.5, 1e5], [1e5, 10^5.5]
  expect_equal(nrow(loc), 5)
  expect_equal(loc$n_lo, round(10^c(3, 3.5, 4, 4.5, 5)))
  expect_equal(loc$n_hi, round(10^c(3.5, 4, 4.5, 5, 5.5)))
  truth <- ifelse(loc$n_hi <= 1e4, -0.25, -0.5)
  expect_true(all(loc$lower < truth & truth < loc$upper))
  # the intervals separate the two regimes: every window below 1e4 excludes -0.5 and above excludes -0.25
  expect_true(all(loc$upper[truth == -0.5] < -0.25))
  expect_true(all(loc$lower[truth == -0.25] > -0.5))
  # the global slope lies in between and its interval covers neither regime's slope
  g <- est[est$method == "replicates", ]
  expect_true(g$slope > -0.5 && g$slope < -0.25)
  expect_false(g$lower < -0.5 && -0.5 < g$upper)
  # each local slope is lm() on the window's points
  w <- df[df$n >= 1e4 & df$n <= round(10^4.5), ]
  expect_equal(loc$slope[3], unname(coef(lm(log(value) ~ log(n), data = w))[2]))
  expect_error(estimate_rate(df, window = 0), "`window`", class = "lsmoe_error_input")
})

test_that("kept fits reproduce the stored losses, and a study survives saveRDS/readRDS", {
  set.seed(31)
  G0 <- G0_sig()
  st <- rate_study(G0, n = c(300, 500), reps = 2, k = 3, losses = c("D1", "D2", "regression"), r = c(1, 2))
  fits <- rate_study_fits(st)
  expect_length(fits, 4)
  for (f in fits) {
    expect_s3_class(f$G, "mixing_measure")
    expect_equal(f$G$k, 3L)
    rows <- st[st$fit == f$fit & st$loss != "regression", ]
    for (i in seq_len(nrow(rows))) {
      type <- if (rows$loss[i] == "D1") "D1" else "D2"
      r <- if (rows$loss[i] == "D2_r1") 1 else 2
      L <- voronoi_loss(f$G, G0, type = type, r = r, align = rows$align[i],
                        bound_gate = attr(st, "settings")[[1]]$control$bound_gate)
      expect_equal(L$value, rows$value[i], tolerance = 1e-12)
      expect_identical(paste(L$cells$size, collapse = ","), rows$cells[i])
    }
  }
  # the same fit as moe_lse() gives: the rss of the kept measure's fit
  f1 <- fits[[1]]
  expect_equal(f1$n, 300L)

  # round trip through an .rds file, then estimate_rate() and plot() with no manual step
  path <- tempfile(fileext = ".rds")
  saveRDS(st, path)
  back <- readRDS(path)
  expect_s3_class(back, "rate_study")
  expect_identical(back, st)
  est <- estimate_rate(back, window = NULL)
  expect_setequal(unique(est$align), c("moment", "infimum", NA))
  png_file <- tempfile(fileext = ".png")
  grDevices::png(png_file)
  for (w in c("loss", "terms", "cells")) expect_identical(plot(back, what = w, use_ggplot = FALSE), back)
  expect_identical(plot(back, what = "local", window = 1, use_ggplot = FALSE), back)
  grDevices::dev.off()
  expect_equal(voronoi_loss(rate_study_fits(back, 2)[[1]]$G, G0)$value,
               back$value[back$fit == 2 & back$loss == "D1" & back$align == "moment"])

  # without kept fits: same losses, no measures
  set.seed(31)
  st0 <- rate_study(G0, n = c(300, 500), reps = 2, k = 3, losses = c("D1", "D2", "regression"), r = c(1, 2),
                    keep_fits = FALSE)
  expect_null(attr(st0, "fits"))
  expect_equal(st0$value[st0$loss != "regression"], st$value[st$loss != "regression"])
  expect_error(rate_study_fits(st0), "keep_fits", class = "lsmoe_error_input")
  expect_error(rate_study_fits(st, fit = 99), "`fit`", class = "lsmoe_error_input")
})

test_that("studies combine with rbind() and keep their attributes under row subsets", {
  set.seed(32)
  a <- rate_study(G0_sig(), n = c(300, 500), reps = 1, k = 2, losses = "D1", truth = "A")
  G0_lin <- mixing_measure(c(-4, 0), c(8, 0), rbind(c(1, 0), c(-1, 1)), expert_linear())
  b <- rate_study(G0_lin, n = c(300, 500), reps = 1, k = 3, losses = "D1", truth = "B")
  ab <- rbind(a, b)
  expect_s3_class(ab, "rate_study")
  expect_equal(nrow(ab), nrow(a) + nrow(b))
  expect_length(attr(ab, "settings"), 2)
  expect_identical(sort(unique(ab$fit)), 1:4)
  fits <- rate_study_fits(ab)
  expect_identical(vapply(fits, `[[`, "", "expert"), c("1" = "sigmoid", "2" = "sigmoid", "3" = "linear", "4" = "linear"))
  # every kept measure still reproduces its row
  for (f in fits) {
    row <- ab[ab$fit == f$fit & ab$align == "moment", ]
    expect_equal(voronoi_loss(f$G, f$G0)$value, row$value, tolerance = 1e-12)
  }
  sub <- ab[ab$truth == "B", ]
  expect_s3_class(sub, "rate_study")
  expect_identical(attr(sub, "fits"), attr(ab, "fits"))
  expect_identical(unique(sub$expert), "linear")
  est <- estimate_rate(ab, window = NULL)
  expect_setequal(unique(est$truth), c("A", "B"))
})

test_that("a column subset that drops n or value is a plain data frame and prints", {
  st <- data.frame(expert = "sigmoid", k = 2, loss = "D1", n = c(100, 1000), value = c(1, 0.3))
  class(st) <- c("rate_study", "data.frame")
  sub <- st[1, c("expert", "loss")]
  expect_identical(class(sub), "data.frame")
  expect_output(print(sub), "sigmoid")
  expect_s3_class(st[1, ], "rate_study")
})

test_that("local slopes are drawn at every window's midpoint when n exceeds 46341 (integer n)", {
  # rate_study() stores n as integers: n_lo * n_hi overflowed for the windows above n = 46341,
  # and their slopes were silently dropped from the plot
  set.seed(33)
  n <- rep(as.integer(round(10^seq(3, 6, by = 0.25))), each = 4)
  st <- data.frame(expert = "sigmoid", k = 3L, loss = "D1", n = n, value = n^-0.5 * exp(rnorm(length(n), sd = 0.2)))
  class(st) <- c("rate_study", "data.frame")
  n_windows <- sum(estimate_rate(st)$method == "local")
  expect_equal(n_windows, 6)
  f <- tempfile(fileext = ".png")
  grDevices::png(f)
  expect_no_warning(plot(st, what = "local", use_ggplot = FALSE))
  grDevices::dev.off()
  skip_if_not_installed("ggplot2")
  g <- plot(st, what = "local")
  mids <- ggplot2::layer_data(g, 3)$x  # layer 3: the pointranges
  expect_length(mids, n_windows)
  expect_true(all(is.finite(mids)))
  # the midpoints are the windows' geometric means, the last one sqrt(10^5.5 * 1e6)
  expect_equal(max(10^mids), sqrt(round(10^5.5) * 1e6), tolerance = 1e-9)
})

test_that("the stored study of the vignette is a rate_study whose kept fits reproduce its losses", {
  path <- system.file("extdata", "rates.rds", package = "lsmoe")
  skip_if(!nzchar(path), "stored study not installed")
  st <- readRDS(path)
  # readRDS alone gives a working object: class, attributes, short expert names
  expect_s3_class(st, "rate_study")
  expect_false(is.null(attr(st, "settings")))
  expect_false(is.null(attr(st, "fits")))
  expect_setequal(unique(st$expert), c("sigmoid", "tanh", "linear", "polynomial(2)"))
  expect_setequal(unique(st$truth), c("A", "B"))
  expect_lte(file.size(path), 2 * 2^20)
  est <- estimate_rate(st[st$truth == "A" & st$expert == "sigmoid" & st$k == 3, ])
  expect_true(all(c("replicates", "means", "local") %in% est$method))
  expect_true(all(is.finite(est$slope)))
  f <- tempfile(fileext = ".png")
  grDevices::png(f)
  sub <- st[st$truth == "B" & st$k == 3 & st$expert == "tanh", ]
  for (w in c("loss", "local", "terms", "cells")) expect_identical(plot(sub, what = w, use_ggplot = FALSE), sub)
  grDevices::dev.off()
  # a kept measure recomputes its stored losses, decomposition and cells: one fit per setting
  # (each atom in its nearer sign, as rate_study() compares them: sign_representative(); the
  # stored quadratic experts' losses were recomputed so, data-raw/rates-relosses.R)
  set.seed(34)
  fits <- attr(st, "fits")
  ids <- vapply(split(fits$fit, fits$setting), function(v) v[sample.int(length(v), 1)], 0)
  bound <- attr(st, "settings")[[1]]$control$bound_gate
  for (f in rate_study_fits(st, ids)) {
    rows <- st[st$fit == f$fit & st$loss != "regression", ]
    for (i in seq_len(nrow(rows))) {
      type <- if (rows$loss[i] == "D1") "D1" else "D2"
      r <- if (rows$loss[i] == "D2_r1") 1 else 2
      G <- lsmoe:::sign_representative(f$G, f$G0)
      tm <- voronoi_loss(G, f$G0, type = type, r = r, align = rows$align[i], bound_gate = bound, terms = TRUE)
      expect_equal(attr(tm, "value"), rows$value[i], tolerance = 1e-10)
      expect_equal(c(sum(tm$weight), sum(tm$split), sum(tm$single)),
                   c(rows$weight_term[i], rows$split_term[i], rows$single_term[i]), tolerance = 1e-10)
      expect_identical(paste(tm$cell_size, collapse = ","), rows$cells[i])
    }
  }
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

# ---- the noise axis, certified fits, small noise, interrupts (issue 25; issue 30 item 5) --------

G0_B <- function(expert = expert_sigmoid()) {
  mixing_measure(c(0.5, 0), c(3, 0), rbind(c(5, -2), c(-7, -4.5)), expert = expert)
}
unif_pm1 <- function(n) matrix(stats::runif(n, -1, 1), ncol = 1)

test_that("a study over n and noise levels records noise_sd and n_eff on every row", {
  set.seed(50)
  st <- rate_study(G0_sig(), n = c(300, 600), reps = 2, noise_sd = c(0.1, 0.05), losses = "D1", align = "moment")
  expect_equal(nrow(st), 2 * 2 * 2)
  expect_identical(names(st)[5:9], c("n", "noise_sd", "n_eff", "replicate", "fit"))
  # the grid: replicate fastest, then noise level, then n
  expect_identical(st$n, rep(c(300L, 600L), each = 4))
  expect_identical(st$noise_sd, rep(rep(c(0.1, 0.05), each = 2), 2))
  expect_identical(st$fit, 1:8)
  # n_eff = n (noise_ref / noise_sd)^2 with the largest noise level as the default reference
  expect_equal(st$n_eff, st$n * (0.1 / st$noise_sd)^2)
  expect_equal(attr(st, "settings")[[1]]$noise_ref, 0.1)
  expect_identical(attr(st, "settings")[[1]]$noise_sd, c(0.1, 0.05))
  # each task's data has its own noise level: an exact-specified fit's RSS / n is about sigma^2
  expect_true(all(abs(st$rss / (st$n * st$noise_sd^2) - 1) < 0.25))
  # an explicit reference
  set.seed(50)
  s2 <- rate_study(G0_sig(), n = 300, reps = 1, noise_sd = c(0.1, 0.05), losses = "D1", align = "moment",
                   noise_ref = 0.2)
  expect_equal(s2$n_eff, c(1200, 4800))
  expect_equal(attr(s2, "settings")[[1]]$noise_ref, 0.2)
  # one noise level: n_eff = n, and the rows are those of the same call before the noise axis
  set.seed(51)
  one <- rate_study(G0_sig(), n = c(300, 600), reps = 2, losses = "D1", align = "moment")
  expect_identical(one$n_eff, as.double(one$n))
  set.seed(51)
  ref <- lsmoe:::rate_study_task(G0_sig(), 300L, 2L, 0.1, "D1", "near_truth",
                                 lse_control(n_starts = 2, standardize = FALSE, warn = FALSE, n_perturb = 0),
                                 NULL, 2, 0.1, 1e4, "moment")
  expect_identical(is.numeric(ref$rows$value), TRUE)
  # noise level 0: no effective sample size; no positive noise level: no reference
  expect_identical(lsmoe:::n_eff_of(c(100, 100), c(0, 0.1), 0.1), c(NA, 100))
  expect_identical(lsmoe:::check_noise_ref(NULL, 0), NA_real_)
  expect_identical(lsmoe:::check_noise_ref(NULL, c(0.01, 0.3, 0)), 0.3)
  expect_output(print(st), "noise_sd: 0.10, 0.05; n_eff 300 to 2400 (reference noise level 0.1)", fixed = TRUE)
})

test_that("rate_study rejects bad noise levels and reference noise levels with classed errors", {
  G0 <- G0_sig()
  for (bad in list(c(0.1, 0.1), c(0.1, -0.01), c(0.1, NA), c(0.1, Inf), "0.1", numeric(0), matrix(0.1, 1, 1),
                   list(0.1))) {
    err_input(rate_study(G0, n = c(200, 400), reps = 1, noise_sd = bad), "`noise_sd`")
  }
  for (bad in list(0, -1, c(0.1, 0.2), NA_real_, Inf, "0.1")) {
    err_input(rate_study(G0, n = c(200, 400), reps = 1, noise_ref = bad), "`noise_ref`")
  }
  err_input(rate_study(G0, n = c(200, 400), reps = 1, start = "certify"), "certified")
  err_input(rate_study(G0, n = c(200, 400), reps = 1, noise_sd = c(1e-300, 0.1)), "overflows")
  err_input(rate_study(G0, n = c(200, 400), reps = 1, noise_ref = 1e300), "overflows")
})

test_that("estimate_rate() and plot() regress on n_eff, and on n per noise level", {
  set.seed(52)
  sd <- rep(0.1 * 10^-seq(0, 2, by = 0.5), each = 20)
  d <- data.frame(expert = "sigmoid", k = 2, loss = "D1", n = 1000L, noise_sd = sd, n_eff = 1000 * (0.1 / sd)^2)
  d$value <- 2 * d$n_eff^-0.5 * exp(rnorm(nrow(d), sd = 0.2))
  class(d) <- c("rate_study", "data.frame")
  est <- estimate_rate(d, axis = "n_eff", window = 1)
  g <- est[est$method == "replicates", ]
  expect_identical(g$axis, "n_eff")
  expect_true(g$lower < -0.5 && -0.5 < g$upper)
  expect_lt(abs(g$slope + 0.5), 0.05)
  expect_equal(c(g$n_lo, g$n_hi, g$n_sizes), c(1000, 1e7, 5))
  expect_equal(g$slope, unname(coef(lm(log(value) ~ log(n_eff), data = d))[2]))
  expect_true(is.na(g$noise_sd))
  # local windows on n_eff: one per decade from 1e3 to 1e7
  loc <- est[est$method == "local", ]
  expect_equal(loc$n_lo, 10^(3:6))
  expect_equal(loc$n_hi, 10^(4:7))
  # on n, each noise level has one n: no slope
  err_input(estimate_rate(d), "two distinct sample sizes n")
  # a grid of n and noise levels: one slope on n per noise level
  d2 <- d[d$noise_sd %in% unique(sd)[c(1, 3)], ]
  d2b <- transform(d2, n = 10000L, n_eff = 10 * n_eff, value = value / sqrt(10))
  d3 <- rbind(as.data.frame(d2), as.data.frame(d2b))
  e3 <- estimate_rate(d3, window = NULL)
  expect_setequal(e3$noise_sd, unique(sd)[c(1, 3)])
  expect_true(all(abs(e3$slope + 0.5) < 0.1))
  # a data frame with several noise levels and no n_eff cannot use the n_eff axis
  err_input(estimate_rate(d[c("n", "noise_sd", "value")], axis = "n_eff"), "n_eff")
  err_input(estimate_rate(d, axis = "neff"), "`axis`")
  # a study from before the noise axis: its n_eff is n
  old <- data.frame(expert = "sigmoid", k = 2, loss = "D1", n = rep(c(100, 1000, 1e4), each = 3),
                    value = exp(rnorm(9)))
  expect_equal(estimate_rate(old, axis = "n_eff")$slope, estimate_rate(old)$slope)
  # plots follow the axis
  f <- tempfile(fileext = ".png")
  grDevices::png(f)
  expect_identical(plot(d, axis = "n_eff", use_ggplot = FALSE), d)
  expect_identical(plot(d, what = "local", axis = "n_eff", window = 1, use_ggplot = FALSE), d)
  grDevices::dev.off()
  err_input(plot(d, axis = "neff", use_ggplot = FALSE), "`axis`")
  skip_if_not_installed("ggplot2")
  p <- plot(d, axis = "n_eff")
  expect_identical(p$labels$x, "effective sample size n_eff")
  expect_equal(range(10^ggplot2::layer_data(p, 1)$x), c(1000, 1e7))
  p3 <- plot(structure(d3, class = c("rate_study", "data.frame")))
  expect_setequal(unique(p3$data$setting), c("sigmoid, k = 2, sd 0.1", "sigmoid, k = 2, sd 0.01"))
})

test_that("old studies combine with noise-axis studies; different references warn", {
  set.seed(53)
  old <- rate_study(G0_sig(), n = c(300, 500), reps = 1, losses = "D1", align = "moment")
  # a study made before the noise axis: no noise columns, settings without noise_ref
  old <- structure(as.data.frame(old)[setdiff(names(old), c("noise_sd", "n_eff"))], class = class(old),
                   settings = lapply(attr(old, "settings"), function(s) s[setdiff(names(s), "noise_ref")]),
                   fits = attr(old, "fits"))
  expect_output(print(old), "rate_study")
  expect_equal(estimate_rate(old, axis = "n_eff", window = NULL)$slope, estimate_rate(old, window = NULL)$slope)
  new <- rate_study(G0_sig(), n = 300, reps = 1, noise_sd = c(0.1, 0.05), losses = "D1", align = "moment")
  ab <- expect_no_warning(rbind(old, new))
  expect_equal(ab$noise_sd, c(0.1, 0.1, 0.1, 0.05))
  expect_equal(ab$n_eff, c(300, 500, 300, 1200))
  expect_identical(names(ab)[5:7], c("n", "noise_sd", "n_eff"))
  expect_length(rate_study_fits(ab), 4)
  other <- rate_study(G0_sig(), n = 300, reps = 1, noise_sd = c(0.1, 0.05), losses = "D1", align = "moment",
                      noise_ref = 0.05)
  expect_warning(rbind(new, other), "reference noise levels", class = "lsmoe_warning_noise_ref")
  # the stored study of the vignette still estimates on both axes
  path <- system.file("extdata", "rates.rds", package = "lsmoe")
  skip_if(!nzchar(path), "stored study not installed")
  st <- readRDS(path)
  sub <- st[st$truth == "A" & st$expert == "sigmoid" & st$k == 3 & st$loss == "D1", ]
  expect_equal(estimate_rate(sub, axis = "n_eff")$slope, estimate_rate(sub)$slope)
})

test_that("split starts cover every placement of the surplus atoms and share each atom's weight", {
  expect_identical(lsmoe:::split_placements(2, 1), list(1L, 2L))
  expect_identical(lsmoe:::split_placements(3, 2), list(c(1L, 1L), c(1L, 2L), c(1L, 3L), c(2L, 2L), c(2L, 3L), c(3L, 3L)))
  expect_identical(lsmoe:::split_placements(2, 0), list(integer(0)))
  G0 <- G0_sig()
  st <- lsmoe:::split_starts(G0, 4, jitter = 0)
  expect_length(st, 3)  # (1, 1), (1, 2), (2, 2)
  w <- function(s, atoms) sum(exp(s$beta0[atoms]))
  # atom 1 with two extra copies: three atoms of weight exp(-4) / 3 each
  expect_equal(st[[1]]$beta0, c(-4, 0, -4, -4) - log(c(3, 1, 3, 3)))
  expect_equal(w(st[[1]], c(1, 3, 4)), exp(-4))
  expect_equal(st[[2]]$beta0, c(-4, 0, -4, 0) - log(2))
  expect_equal(st[[3]]$eta, G0$eta[c(1, 2, 2, 2), ])
  # jittered: copies differ
  set.seed(54)
  sj <- lsmoe:::split_starts(G0, 3, jitter = 0.1)
  expect_false(isTRUE(all.equal(sj[[1]]$eta[1, ], sj[[1]]$eta[3, ])))
})

test_that("certified fits are the best of near-truth, split and global fits, reported as LSE and local", {
  G0 <- G0_sig()
  ctl <- lse_control(n_starts = 2, standardize = FALSE, warn = FALSE, n_perturb = 0)
  set.seed(55)
  st <- rate_study(G0, n = c(300, 600), reps = 2, k = 3, losses = c("D1", "regression"), align = "moment",
                   start = "certified")
  expect_s3_class(st, "rate_study")
  expect_equal(nrow(st), 4 * 2 * 2)  # fits x estimates x losses
  expect_identical(names(st)[10], "estimate")
  expect_true(all(c("kind", "won", "rss_gap", "rss_near_truth", "rss_split", "rss_global", "value_near_truth",
                    "value_split", "value_global") %in% names(st)))
  rss <- as.matrix(st[c("rss_near_truth", "rss_split", "rss_global")])
  lse <- st[st$estimate == "lse", ]
  loc <- st[st$estimate == "local", ]
  expect_equal(lse$rss, unname(apply(rss[st$estimate == "lse", ], 1, min)))
  expect_equal(loc$rss, unname(apply(rss[st$estimate == "local", 1:2], 1, min)))
  expect_equal(lse$rss_gap, loc$rss - lse$rss)
  expect_true(all(lse$rss_gap >= 0))
  expect_identical(lse$kind, lse$won)
  expect_true(all(loc$kind %in% c("near_truth", "split")))
  # each row's value is its kind's value
  vals <- as.matrix(st[c("value_near_truth", "value_split", "value_global")])
  expect_equal(st$value, vals[cbind(seq_len(nrow(st)), match(st$kind, c("near_truth", "split", "global")))])
  expect_output(print(st), "certified fits: the LSE came from")
  # the kept fits of every kind reproduce their losses
  for (kd in c("near_truth", "split", "global", "lse", "local")) {
    for (f in rate_study_fits(st, c(1, 4), estimate = kd)) {
      row <- st[st$fit == f$fit & st$loss == "D1", ][1, ]
      want <- if (kd %in% c("lse", "local")) st$value[st$fit == f$fit & st$loss == "D1" & st$estimate == kd] else
        row[[paste0("value_", kd)]]
      expect_equal(voronoi_loss(f$G, f$G0)$value, want, tolerance = 1e-10)
    }
  }
  err_input(rate_study_fits(st, 1, estimate = "best"), "`estimate`")
  # the rows are what the building blocks give for the same random numbers: data, near-truth
  # starts, split starts, then the global search with lse_control()'s defaults in the study's box
  set.seed(56)
  task <- lsmoe:::rate_study_task(G0, 300L, 3L, 0.1, "D1", "certified", ctl, NULL, 2, 0.1, 1e4, "moment",
                                  lsmoe:::certified_global_control(ctl))
  set.seed(56)
  sim <- simulate_moe(G0, 300, 0.1)
  near <- lapply(1:2, function(s) lsmoe:::near_truth_start(G0, 3, 0.1))
  f_near <- moe_lse(sim$x, sim$y, k = 3, expert = G0$expert, start = near, control = ctl)
  f_split <- moe_lse(sim$x, sim$y, k = 3, expert = G0$expert, start = lsmoe:::split_starts(G0, 3, 0.1), control = ctl)
  f_glob <- moe_lse(sim$x, sim$y, k = 3, expert = G0$expert,
                    control = lse_control(standardize = FALSE, warn = FALSE))
  r1 <- task$rows[1, ]
  expect_equal(c(r1$rss_near_truth, r1$rss_split, r1$rss_global), c(f_near$rss, f_split$rss, f_glob$rss))
  expect_equal(c(r1$value_near_truth, r1$value_split, r1$value_global),
               vapply(list(f_near, f_split, f_glob), function(f) voronoi_loss(f, G0)$value, 0))
  # exact-specified: no split kind; the local fit is the near-truth fit
  set.seed(57)
  ex <- rate_study(G0, n = 300, reps = 2, losses = "D1", align = "moment", start = "certified")
  expect_true(all(is.na(ex$rss_split)) && all(is.na(ex$value_split)))
  expect_true(all(ex$kind[ex$estimate == "local"] == "near_truth"))
  expect_length(rate_study_fits(ex, estimate = "global"), 2)
  err_input(rate_study_fits(ex, 1, estimate = "split"), "split")
  # a non-certified study has only its one fit
  err_input(rate_study_fits(rate_study(G0, n = 300, reps = 1, losses = "D1", align = "moment"), estimate = "local"),
            "local")
  # estimate_rate() keeps the two estimates apart
  est <- estimate_rate(st, window = NULL)
  expect_setequal(est$estimate, c("lse", "local"))
})

test_that("a certified study over noise levels gives identical numbers sequentially and with 2 workers", {
  skip_if_not_installed("future")
  skip_on_cran()
  old <- future::plan()
  on.exit(future::plan(old), add = TRUE)
  run <- function() {
    set.seed(58)
    rate_study(G0_sig(), n = c(200, 300), reps = 1, k = 3, noise_sd = c(0.1, 0.03), losses = "D1", align = "moment",
               start = "certified")
  }
  future::plan(future::sequential)
  a <- run()
  future::plan(future::multisession, workers = 2)
  b <- run()
  cols <- c("n", "noise_sd", "n_eff", "estimate", "value", "rss", "kind", "rss_near_truth", "rss_split", "rss_global")
  expect_identical(as.data.frame(a)[cols], as.data.frame(b)[cols])
  expect_identical(attr(a, "fits"), attr(b, "fits"))
})

test_that("compare_n_eff() gives medians with order-statistic intervals and flags disagreement", {
  set.seed(59)
  v1 <- exp(rnorm(20))
  v2 <- exp(rnorm(20))
  d <- data.frame(loss = "D1", n = rep(c(1000, 250, 1000), each = 20), noise_sd = rep(c(0.1, 0.05, 0.05), each = 20),
                  value = c(v1, v2, v2 / 50))
  d$n_eff <- d$n * (0.1 / d$noise_sd)^2
  cmp <- compare_n_eff(d)
  expect_equal(nrow(cmp), 2)  # n_eff = 1000 is reached twice; 4000 once (no group)
  expect_equal(cmp$n, c(1000, 250))
  expect_equal(cmp$median, c(median(v1), median(v2)))
  # l = qbinom(0.025, 20, 1/2) = 6: the 6th and 15th smallest values
  expect_equal(cmp$lower, c(sort(v1)[6], sort(v2)[6]))
  expect_equal(cmp$upper, c(sort(v1)[15], sort(v2)[15]))
  expect_equal(cmp$ratio, c(1, median(v2) / median(v1)))
  expect_identical(cmp$agree, rep(sort(v1)[6] <= sort(v2)[15] && sort(v2)[6] <= sort(v1)[15], 2))
  # coverage of the interval: at least 95% (exactly 1 - 2 P(B <= 5), B ~ Binomial(20, 1/2))
  expect_gt(1 - 2 * pbinom(5, 20, 0.5), 0.95)
  # two points of one n_eff whose medians differ 50-fold disagree
  bad <- d[c(1:20, 41:60), ]
  bad$n_eff <- 1000
  cb <- compare_n_eff(bad)
  expect_identical(cb$agree, c(FALSE, FALSE))
  # groups are formed within `tol` decades; too few values give no interval
  near <- transform(d[1:40, ], n_eff = rep(c(1000, 1020), each = 20))
  expect_equal(nrow(compare_n_eff(near)), 2)
  err_input(compare_n_eff(near, tol = 0.001), "reached by two")
  few <- d[c(1:5, 21:25), ]
  cf <- compare_n_eff(few)
  expect_true(all(is.na(cf$lower)) && all(is.na(cf$agree)))
  err_input(compare_n_eff(d, level = 1), "`level`")
  err_input(compare_n_eff(d, tol = -1), "`tol`")
  err_input(compare_n_eff(list(n = 1)), "`study`")
  err_input(compare_n_eff(data.frame(n = c(10, 20), value = 1:2, noise_sd = c(0.1, 0.2))), "n_eff")
  err_input(compare_n_eff(transform(d, value = NaN)), "no row with a finite loss")
})

test_that("on a small study, equal n_eff reached by n and by the noise level give the same losses", {
  # truth B of data-raw/rates.R, exact-specified sigmoid experts; n_eff = 2000 and 8000 (reference
  # sigma 0.02) are each reached by n = 2000 and by n = 500 at half the noise level
  set.seed(60)
  st <- rate_study(G0_B(), n = c(500, 2000), reps = 8, noise_sd = c(0.02, 0.01, 0.005), losses = c("D1", "regression"),
                   align = "moment", x = unif_pm1)
  cmp <- compare_n_eff(st)
  expect_equal(nrow(cmp), 8)  # 2 losses x 2 groups x 2 pairs
  expect_setequal(cmp$n_eff, c(2000, 8000))
  expect_true(all(cmp$agree))
  expect_true(all(cmp$ratio > 0.5 & cmp$ratio < 2))
  # not a trivial agreement: at one n, a quarter of the noise level shrinks the regression error about 4-fold
  med <- function(n, s) median(st$value[st$loss == "regression" & st$n == n & st$noise_sd == s])
  expect_gt(med(500, 0.02) / med(500, 0.005), 2.5)
  # and the slope on n_eff is the regression error's -1/2
  e <- estimate_rate(st[st$loss == "regression", ], axis = "n_eff", window = NULL)
  expect_true(e$lower[1] < -0.5 && -0.5 < e$upper[1])
})

test_that("small noise: an exact-specified fit's error scales like sigma over three decades", {
  # the same design and the same standard normal draws, scaled: the least squares estimate is
  # theta* + sigma (J'J)^-1 J' xi + O(sigma^2), so its error falls 10-fold per decade of sigma when
  # the stopping rules reach the optimum (a relative RSS test alone could stop early at tiny RSS)
  G0 <- G0_sig()
  set.seed(61)
  n <- 2000
  x <- matrix(runif(n), ncol = 1)
  f0 <- as.vector(predict(G0, x))
  xi <- rnorm(n)
  start <- list(beta0 = G0$beta0 + rnorm(2, sd = 0.1), beta1 = G0$beta1 + rnorm(2, sd = 0.1),
                eta = G0$eta + rnorm(4, sd = 0.1))
  theta <- function(G) c(G$beta0[1] - G$beta0[2], G$beta1[1, 1] - G$beta1[2, 1], t(G$eta))
  sigmas <- 10^-(3:6)
  controls <- list(study = lse_control(n_starts = 1, standardize = FALSE, warn = FALSE, n_perturb = 0),
                   rates_script = lse_control(n_starts = 1, max_iter = 300, ftol = 1e-8, xtol = 1e-8, bound_gate = 20,
                                              bound_expert = 20, bound_output = 20, standardize = FALSE, warn = FALSE))
  for (nm in names(controls)) {
    res <- vapply(sigmas, function(s) {
      fit <- moe_lse(x, f0 + s * xi, k = 2, expert = G0$expert, start = list(start), control = controls[[nm]])
      G <- as_mixing_measure(fit)
      c(err = sqrt(sum((theta(G) - theta(G0))^2)), D1 = voronoi_loss(G, G0)$value,
        rss_ratio = fit$rss / (s^2 * sum(xi^2)), converged = fit$converged)
    }, numeric(4))
    expect_true(all(res["converged", ] == 1), label = nm)
    # below the truth's RSS (the optimum is), by about p / n of it
    expect_true(all(res["rss_ratio", ] < 1 & res["rss_ratio", ] > 1 - 20 / n), label = nm)
    # a 10-fold smaller error per decade of sigma (measured: 1.498e-1, 1.4815e-2, 1.4802e-3,
    # 1.4801e-4 with either control; at sigma = 1e-2, 2.91, the linearisation does not hold yet)
    ratios <- res["err", -4] / res["err", -1]
    expect_true(all(abs(ratios / 10 - 1) < 0.02), label = paste(nm, paste(signif(ratios, 4), collapse = ", ")))
    expect_true(all(abs(res["D1", -4] / res["D1", -1] / 10 - 1) < 0.02), label = nm)
    expect_lt(res["err", 4], 1e-3)
  }
})

test_that("the worker reset leaves other plans alone and passes values through", {
  skip_if_not_installed("future")
  old <- future::plan()
  on.exit(future::plan(old), add = TRUE)
  future::plan(future::sequential)
  expect_identical(lsmoe:::with_worker_reset(1 + 1), 2)
  expect_silent(expect_false(lsmoe:::reset_busy_workers()))
  expect_true(inherits(future::plan("next"), "sequential"))
  # an error is not an interrupt: it goes on, the plan untouched
  expect_error(lsmoe:::with_worker_reset(stop("boom")), "boom")
  expect_true(inherits(future::plan("next"), "sequential"))
})

test_that("an interrupted study under multisession leaves fresh workers, and the next call runs", {
  skip_on_cran()
  skip_on_os("windows")
  skip_if_not_installed("future")
  skip_if_not_installed("future.apply")
  # a child R session: it interrupts itself (SIGINT) 4 s into a study whose tasks each sleep 20 s
  script <- tempfile(fileext = ".R")
  out <- tempfile()
  writeLines(c(
    "suppressPackageStartupMessages({library(lsmoe); library(future)})",
    "plan(multisession, workers = 2)",
    "pids <- function() sort(unlist(future.apply::future_lapply(1:2, function(i) Sys.getpid())))",
    "before <- pids()",
    "G0 <- mixing_measure(c(-4, 0), c(8, 0), rbind(c(6, -2), c(-5, 3)), expert = expert_sigmoid())",
    "slow_x <- function(n) { Sys.sleep(20); matrix(stats::runif(n), ncol = 1) }",
    "system(sprintf('(sleep 4; kill -INT %d) >/dev/null 2>&1 &', Sys.getpid()))",
    "msg <- NA_character_",
    "r <- tryCatch(withCallingHandlers(rate_study(G0, n = c(50, 100), reps = 2, x = slow_x, losses = 'D1', align = 'moment'),",
    "  lsmoe_message_workers = function(m) { msg <<- conditionMessage(m); invokeRestart('muffleMessage') }),",
    "  interrupt = function(e) 'interrupted')",
    "after <- pids()",
    "st <- rate_study(G0, n = c(50, 100), reps = 1, losses = 'D1', align = 'moment')",
    "alive <- vapply(before, function(p) file.exists(sprintf('/proc/%d', p)) || !is.na(tools::psnice(p)), NA)",
    sprintf("saveRDS(list(r = r, msg = msg, before = before, after = after, study = inherits(st, 'rate_study'), plan = class(plan('next'))), '%s')", out)
  ), script)
  env <- c(paste0("R_LIBS=", paste(.libPaths(), collapse = .Platform$path.sep)))
  system2(file.path(R.home("bin"), "Rscript"), c("--vanilla", script), env = env, stdout = FALSE, stderr = FALSE,
          timeout = 120)
  skip_if(!file.exists(out), "the child R session did not finish")
  res <- readRDS(out)
  expect_identical(res$r, "interrupted")
  expect_match(res$msg, "replaced by fresh ones")
  # new worker processes: the next future did not have to wait for the busy ones
  expect_length(intersect(res$before, res$after), 0)
  expect_true(res$study)
  expect_true("multisession" %in% res$plan)
})

test_that("fitted atoms of even polynomial experts are compared with the truth in their nearer sign", {
  G0 <- G0_B(expert_polynomial(2))
  flipped <- mixing_measure(G0$beta0, G0$beta1, G0$eta * c(-1, 1), expert_polynomial(2))
  x <- matrix(seq(-1, 1, length.out = 50))
  expect_equal(predict(flipped, x), predict(G0, x))  # the same regression function
  expect_gt(voronoi_loss(flipped, G0)$value, 10)
  rep <- lsmoe:::sign_representative(flipped, G0)
  expect_equal(rep$eta, G0$eta)
  expect_equal(voronoi_loss(rep, G0)$value, 0)
  # a fitted atom near -eta* of the other atom takes that sign: nearest true eta over all atoms
  G <- mixing_measure(G0$beta0, G0$beta1, rbind(-G0$eta[2, ] + 0.1, G0$eta[2, ]), expert_polynomial(2))
  expect_equal(lsmoe:::sign_representative(G, G0)$eta[1, ], G0$eta[2, ] - 0.1)
  # odd degree and other families: unchanged
  G3 <- mixing_measure(G0$beta0, G0$beta1, -G0$eta, expert_polynomial(3))
  expect_identical(lsmoe:::sign_representative(G3, G0_B(expert_polynomial(3))), G3)
  Gs <- mixing_measure(G0$beta0, G0$beta1, -G0$eta, expert_sigmoid())
  expect_identical(lsmoe:::sign_representative(Gs, G0_B()), Gs)
  # in a study: the losses and the kept measure use the representative
  set.seed(62)
  ctl <- lse_control(n_starts = 1, standardize = FALSE, warn = FALSE, n_perturb = 0)
  task <- lsmoe:::rate_study_task(G0, 400L, 2L, 0.01, "D1", "near_truth", ctl, unif_pm1, 2, 0.1, 1e4, "moment")
  set.seed(62)
  sim <- simulate_moe(G0, 400, 0.01, x = unif_pm1)
  st <- lapply(1, function(s) lsmoe:::near_truth_start(G0, 2, 0.1))
  st[[1]]$eta[1, ] <- -st[[1]]$eta[1, ]  # the same start with atom 1's sign flipped: the same fit up to sign
  fit <- moe_lse(sim$x, sim$y, k = 2, expert = G0$expert, start = st, control = ctl)
  expect_equal(fit$rss, task$rows$rss, tolerance = 1e-8)
  expect_gt(voronoi_loss(fit, G0)$value, 10)
  expect_equal(task$rows$value, voronoi_loss(lsmoe:::sign_representative(as_mixing_measure(fit), G0), G0)$value,
               tolerance = 1e-6)
  expect_lt(task$rows$value, 0.1)
})

test_that("the stored noise-axis study, once run, spans n_eff 1e3 to 1e10 with certified fits", {
  path <- system.file("extdata", "rates-noise.rds", package = "lsmoe")
  skip_if(!nzchar(path), "data-raw/rates-noise.R has not been run yet")
  st <- readRDS(path)
  expect_s3_class(st, "rate_study")
  expect_setequal(unique(st$expert), c("sigmoid", "tanh", "linear", "polynomial(2)"))
  expect_setequal(unique(st$estimate), c("lse", "local"))
  expect_lte(min(st$n_eff), 1e3 * 1.01)
  expect_gte(max(st$n_eff), 1e10 / 1.01)
  expect_true(all(st$rss_gap >= 0, na.rm = TRUE))
  sub <- st[st$truth == "B" & st$expert == "sigmoid" & st$k == 3 & st$loss == "D1" & st$align == "moment", ]
  est <- estimate_rate(sub, axis = "n_eff")
  expect_true(all(is.finite(est$slope)))
  expect_true(nrow(compare_n_eff(sub)) > 0)
})

test_that("a noise grid at one n plots on n (points, lines where a noise level has two n) and on n_eff", {
  set.seed(63)
  grid <- data.frame(n = 1000L, noise_sd = rep(0.1 * 10^-(0:3 / 2), each = 5))
  real <- data.frame(n = rep(c(100L, 300L), each = 5), noise_sd = 0.1)
  d <- rbind(grid, real)
  d$n_eff <- d$n * (0.1 / d$noise_sd)^2
  d <- data.frame(expert = "sigmoid", k = 2L, loss = "D1", d, value = d$n_eff^-0.5 * exp(rnorm(nrow(d), sd = 0.1)))
  class(d) <- c("rate_study", "data.frame")
  f <- tempfile(fileext = ".png")
  grDevices::png(f)
  for (ax in c("n", "n_eff")) expect_identical(plot(d, axis = ax, use_ggplot = FALSE), d)
  expect_identical(plot(d, what = "local", window = 1, use_ggplot = FALSE), d)
  grDevices::dev.off()
  skip_if_not_installed("ggplot2")
  g <- plot(d)
  lines <- g$layers[[3]]$data
  expect_identical(unique(lines$setting), "sigmoid, k = 2, sd 0.1")  # the one noise level with three n
  expect_equal(range(lines$n), c(100, 1000))
  expect_length(unique(g$data$setting), 4)
  g2 <- plot(d, axis = "n_eff")
  expect_identical(unique(g2$layers[[3]]$data$setting), "sigmoid, k = 2")
  expect_equal(range(g2$layers[[3]]$data$n), c(100, 1e6))
})
