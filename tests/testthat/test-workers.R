# workers.R: lsmoe's options travel with each task to future workers (issue 30, item 4).

test_that("task_options() holds the lsmoe.* options and lsmoe.simd as resolved", {
  withr::local_options(lsmoe.simd = NULL, lsmoe.some_setting = 3, other.option = 1)
  withr::local_envvar(LSMOE_SIMD = "false")
  o <- lsmoe:::task_options()
  expect_identical(o, list(lsmoe.progress = FALSE, lsmoe.simd = FALSE, lsmoe.some_setting = 3))  # no progress in tasks
  withr::local_envvar(LSMOE_SIMD = NA)
  expect_identical(lsmoe:::task_options()$lsmoe.simd, TRUE)
  withr::local_options(lsmoe.simd = "yes")
  expect_error(lsmoe:::task_options(), class = "lsmoe_error_input")
})

test_that("with_task_options() sets the options for the task only", {
  withr::local_options(lsmoe.simd = TRUE, lsmoe.some_setting = NULL)
  seen <- lsmoe:::with_task_options(list(lsmoe.simd = FALSE, lsmoe.some_setting = "a"),
                                    list(getOption("lsmoe.simd"), getOption("lsmoe.some_setting")))
  expect_identical(seen, list(FALSE, "a"))
  expect_identical(getOption("lsmoe.simd"), TRUE)
  expect_null(getOption("lsmoe.some_setting"))
  # restored on an error too
  expect_error(lsmoe:::with_task_options(list(lsmoe.simd = FALSE), stop("boom")), "boom")
  expect_identical(getOption("lsmoe.simd"), TRUE)
})

test_that("options(lsmoe.simd = FALSE) reaches 2 multisession workers: the same study and bootstrap as sequentially", {
  # without the options on each task, the workers ran the AVX2 build: values differed by about
  # 1e-10 relative from a sequential run with the portable build
  skip_if_not_installed("future")
  skip_on_cran()
  withr::local_options(lsmoe.simd = FALSE)
  old <- future::plan()
  on.exit(future::plan(old), add = TRUE)
  G0 <- mixing_measure(beta0 = c(-4, 0), beta1 = c(8, 0), eta = rbind(c(6, -2), c(-5, 3)), expert = expert_sigmoid())
  fit <- fit_small()
  run <- function() {
    set.seed(11)
    list(study = as.data.frame(rate_study(G0, n = c(200, 400), reps = 1, start = "both")),
         boot = confint(fit, method = "boot", nboot = 10, seed = 4))
  }
  future::plan(future::sequential)
  a <- run()
  future::plan(future::multisession, workers = 2)
  b <- run()
  cols <- c("n", "replicate", "loss", "value", "rss", "converged", "iterations")
  expect_identical(a$study[cols], b$study[cols])
  expect_identical(a$boot, b$boot)
})
