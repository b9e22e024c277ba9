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
  set.seed(34)
  fits <- attr(st, "fits")
  ids <- vapply(split(fits$fit, fits$setting), function(v) v[sample.int(length(v), 1)], 0)
  bound <- attr(st, "settings")[[1]]$control$bound_gate
  for (f in rate_study_fits(st, ids)) {
    rows <- st[st$fit == f$fit & st$loss != "regression", ]
    for (i in seq_len(nrow(rows))) {
      type <- if (rows$loss[i] == "D1") "D1" else "D2"
      r <- if (rows$loss[i] == "D2_r1") 1 else 2
      tm <- voronoi_loss(f$G, f$G0, type = type, r = r, align = rows$align[i], bound_gate = bound, terms = TRUE)
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
