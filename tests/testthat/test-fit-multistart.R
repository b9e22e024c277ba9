# fit-multistart.R: the starts stage: given starts, and screening on subsamples before finishing.

test_that("a user start is used as given and a list of starts gives one fit per start", {
  sim <- sim_sigmoid2(n = 500, d = 1, noise_sd = 0.05, seed = 3)
  tr <- sim$truth
  fit <- moe_lse(sim$x, sim$y, k = 2, start = tr, control = lse_control(max_iter = 1, warn = FALSE))
  expect_equal(nrow(fit$starts), 1)
  # one iteration from the truth cannot move far from the RSS at the truth
  rss_truth <- sum((sim$y - ref_fG(sim$x, tr$beta0, tr$beta1, tr$eta, expert_sigmoid()))^2)
  expect_lte(fit$rss, rss_truth)
  expect_gt(fit$rss, 0.95 * rss_truth)
  fit2 <- moe_lse(sim$x, sim$y, k = 2, start = list(tr, tr))
  expect_equal(nrow(fit2$starts), 2)
  expect_equal(fit2$starts$rss[1], fit2$starts$rss[2])
})

test_that("by default every start is finished on data with at most screen_rows rows, 3 otherwise", {
  set.seed(11)
  x <- runif(300)
  y <- sin(6 * x) + rnorm(300, sd = 0.1)
  set.seed(1)
  # (the multistart alone: n_perturb = 0)
  f <- moe_lse(x, y, k = 2, expert = "linear", control = lse_control(n_starts = 8, n_perturb = 0))
  expect_false(any(f$starts$status == 13L))
  expect_true(all(is.finite(f$starts$rss)))
  set.seed(1)
  g <- moe_lse(x, y, k = 2, expert = "linear", control = lse_control(n_starts = 8, n_finish = 8, n_perturb = 0))
  expect_identical(f$rss, g$rss)
  expect_identical(f$starts$rss, g$starts$rss)
  set.seed(1)
  h <- moe_lse(x, y, k = 2, expert = "linear", control = lse_control(n_starts = 8, screen_rows = 100, n_perturb = 0))
  expect_equal(sum(h$starts$status != 13L), 3)
  expect_null(lse_control()$n_finish)
})
