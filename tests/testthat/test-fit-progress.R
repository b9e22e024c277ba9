# Progress of long fits (R/fit-progress.R, ProgressHook in src/glue.cpp; issue 27).

# `draw`: the handler draws a random number at every signal, as progressr's first load or a
# user's handler may: the fit must not see it.
collect_progress <- function(expr, draw = FALSE) {
  got <- list()
  value <- withCallingHandlers(expr, progression = function(c) {
    got[[length(got) + 1L]] <<- c
    if (draw) stats::runif(1)
  })
  list(value = value, conditions = got)
}

test_that("a long fit reports its stages and iterations; fit and generator are the same bits without progress", {
  set.seed(11)
  G <- mixing_measure(c(0, 1, -1), c(2, -2, 0), rbind(c(1, 0), c(-1, 1), c(2, 2)), expert = expert_tanh())
  sim <- simulate_moe(G, n = 3e4, noise_sd = 0.1)
  ctl <- lse_control(n_starts = 20, n_perturb = 5, warn = FALSE, threads = 1)
  withr::local_options(progressr.enable = TRUE, lsmoe.progress_after = 0)
  set.seed(3)
  on <- collect_progress(moe_lse_fit(sim$x, sim$y, k = 3, expert = expert_tanh(), control = ctl), draw = TRUE)
  seed_on <- .Random.seed
  types <- vapply(on$conditions, function(c) c$type, "")
  expect_identical(types[1], "initiate")
  expect_identical(types[length(types)], "finish")
  upd <- on$conditions[types == "update"]
  msgs <- vapply(upd, function(c) c$message, "")
  expect_true(any(grepl("^lsmoe fit, multistart: [0-9,]+ iterations, [0-9]+ s$", msgs)))
  # one step per stage: the multistart, the perturbation search, the finishing
  expect_equal(sum(vapply(upd, function(c) c$amount, 0)), 3)
  its <- as.numeric(gsub(",", "", sub("^.*: ([0-9,]+) iterations.*$", "\\1", msgs)))
  expect_true(all(diff(its) >= 0))
  expect_lte(max(its), sum(on$value$starts$iterations) + on$value$iterations)
  withr::local_options(lsmoe.progress = FALSE)
  set.seed(3)
  off <- collect_progress(moe_lse_fit(sim$x, sim$y, k = 3, expert = expert_tanh(), control = ctl))
  expect_length(off$conditions, 0)
  expect_identical(off$value$theta, on$value$theta)
  expect_identical(off$value$rss, on$value$rss)
  expect_identical(.Random.seed, seed_on)  # and the generator is where it would be without progress
})

test_that("a fit shorter than lsmoe.progress_after signals nothing", {
  set.seed(12)
  G <- mixing_measure(c(0, 1), c(2, -2), rbind(c(1, 0), c(-1, 1)), expert = expert_sigmoid())
  sim <- simulate_moe(G, n = 300, noise_sd = 0.1)
  withr::local_options(progressr.enable = TRUE, lsmoe.progress_after = 3600)
  got <- collect_progress(moe_lse_fit(sim$x, sim$y, k = 2, expert = expert_sigmoid(), control = lse_control(warn = FALSE)))
  expect_length(got$conditions, 0)
})

test_that("the progress state: nothing before `after`, then one step per stage", {
  withr::local_options(progressr.enable = TRUE, lsmoe.progress_after = 0)
  f <- function() {
    pg <- fit_progress()
    pg$add(10)
    pg$stage(2L)  # before the progressor exists: nothing signalled
    pg$hook(5)    # creates it: the step of the multistart, then the message
    pg$stage(3L)
    pg$done()
  }
  got <- collect_progress(f())$conditions
  types <- vapply(got, function(c) c$type, "")
  expect_identical(types, c("initiate", "update", "update", "update", "update", "finish"))
  amounts <- vapply(got[types == "update"], function(c) c$amount, 0)
  expect_identical(amounts, c(1, 0, 1, 1))
  expect_match(got[[3]]$message, "perturbation search: 15 iterations")
  withr::local_options(lsmoe.progress_after = 3600)
  g <- function() {
    pg <- fit_progress()
    pg$hook(5)
    pg$stage(3L)
    pg$done()
  }
  expect_length(collect_progress(g())$conditions, 0)
  # a fit that stops early (an error): close() finishes the progressor; after done() it does nothing
  withr::local_options(lsmoe.progress_after = 0)
  h <- function(finish) {
    pg <- fit_progress()
    pg$hook(5)
    if (finish) pg$done()
    pg$close()
    pg$close()
  }
  expect_identical(vapply(collect_progress(h(FALSE))$conditions, function(c) c$type, ""), c("initiate", "update", "finish"))
  expect_identical(vapply(collect_progress(h(TRUE))$conditions, function(c) c$type, ""),
                   c("initiate", "update", "update", "finish"))
})

test_that("bad progress options are classed errors at the fit", {
  set.seed(13)
  x <- matrix(runif(100), ncol = 1)
  y <- sin(3 * x[, 1]) + rnorm(100, sd = 0.1)
  for (bad in list(list(lsmoe.progress = "yes"), list(lsmoe.progress = NA), list(lsmoe.progress_after = -1),
                   list(lsmoe.progress_after = "2"), list(lsmoe.progress_after = c(1, 2)))) {
    withr::with_options(bad, expect_error(moe_lse_fit(x, y, k = 2, expert = expert_sigmoid()), class = "lsmoe_error_input"))
  }
})

test_that("tasks sent to workers carry lsmoe.progress = FALSE and no other progress option", {
  withr::local_options(lsmoe.progress = TRUE, lsmoe.progress_after = 0.5)
  o <- task_options()
  expect_false(o$lsmoe.progress)
  expect_false("lsmoe.progress_after" %in% names(o))
  withr::local_options(lsmoe.progress_after = 7)
  expect_identical(task_options(), o)  # a checkpoint's key does not depend on them
})
