# rate_study(checkpoint =): resumable studies (issue 29, item 1). The per-task random-number
# streams, the checkpoint directory and its checks, and studies stopped by SIGKILL, an interrupt
# and a worker's death that resume to the uninterrupted run's result.

# The measure, inputs and call shared by the tests and the child R sessions (as code, so that a
# child builds the same objects: a function `x` enters the checkpoint's digest by its code).
resume_setup <- c(
  "G0 <- mixing_measure(beta0 = c(-4, 0), beta1 = c(8, 0), eta = rbind(c(6, -2), c(-5, 3)), expert = expert_sigmoid())",
  "slow_x <- function(n) { Sys.sleep(0.4); matrix(stats::runif(n), ncol = 1) }",
  "run_study <- function(x, checkpoint = NULL) {",
  "  set.seed(21)",
  "  rate_study(G0, n = c(100, 200), reps = 4, losses = 'D1', align = 'moment', x = x, checkpoint = checkpoint)",
  "}"
)
eval(parse(text = resume_setup))
plain_x <- function(n) matrix(stats::runif(n), ncol = 1)  # slow_x's draws, without the sleep

# A study's values: every column but the timings, and the kept fits.
study_values <- function(st) {
  df <- as.data.frame(st)
  df$seconds <- NULL
  attr(df, "settings") <- NULL
  list(rows = df, fits = attr(st, "fits"))
}

# A child R session that runs `code` (after loading lsmoe and the shared setup, with this session's
# lsmoe options and library path) in the background; returns its process id, written by the child.
start_child <- function(code) {
  script <- tempfile(fileext = ".R")
  pid_file <- tempfile()
  opts <- lsmoe:::task_options()
  writeLines(c(
    sprintf(".libPaths(%s)", paste(deparse(.libPaths()), collapse = "")),
    "suppressPackageStartupMessages(library(lsmoe))",
    sprintf("options(%s)", paste(deparse(opts), collapse = "")),
    resume_setup,
    sprintf("writeLines(as.character(Sys.getpid()), '%s')", pid_file),
    code
  ), script)
  system2(file.path(R.home("bin"), "Rscript"), c("--vanilla", script), stdout = FALSE, stderr = FALSE, wait = FALSE)
  for (i in 1:600) {
    if (file.exists(pid_file) && length(readLines(pid_file)) == 1) return(as.integer(readLines(pid_file)))
    Sys.sleep(0.1)
  }
  skip("the child R session did not start within 60 s")
}

task_files <- function(dir) list.files(dir, pattern = "^task-[0-9]+\\.rds$")

wait_for <- function(cond, timeout = 60) {
  t0 <- Sys.time()
  while (!cond()) {
    if (as.numeric(difftime(Sys.time(), t0, units = "secs")) > timeout) return(FALSE)
    Sys.sleep(0.05)
  }
  TRUE
}

test_that("task_seeds() gives the streams of future.seed = TRUE, for any subset of the tasks", {
  skip_if_not_installed("future")
  old <- future::plan()
  on.exit(future::plan(old), add = TRUE)
  future::plan(future::sequential)
  withr::local_preserve_seed()
  kinds <- RNGkind()
  on.exit(RNGkind(kinds[1], kinds[2], kinds[3]), add = TRUE)  # set.seed() seeds the kind set last
  draw <- function(i) stats::runif(3)
  for (kind in c("Mersenne-Twister", "L'Ecuyer-CMRG")) {
    set.seed(4, kind = kind)
    full <- future.apply::future_lapply(1:6, draw, future.seed = TRUE)
    after_full <- .Random.seed
    set.seed(4, kind = kind)
    seeds <- lsmoe:::task_seeds(6)
    part <- future.apply::future_lapply(c(2L, 5L), draw, future.seed = seeds[c(2, 5)])
    expect_identical(part, full[c(2, 5)], label = kind)
    # the session's generator ends where future.seed = TRUE leaves it
    expect_identical(.Random.seed, after_full, label = kind)
    expect_identical(RNGkind()[1], kind)
  }
  # another seed, other streams
  set.seed(5)
  expect_false(identical(lsmoe:::task_seeds(6), seeds))
})

test_that("a study with a checkpoint equals one without, and a rerun computes only the missing tasks", {
  dir <- withr::local_tempdir()
  set.seed(21)
  a <- rate_study(G0, n = c(100, 200), reps = 2, losses = "D1", align = "moment", x = plain_x)
  rng_a <- .Random.seed
  set.seed(21)
  b <- rate_study(G0, n = c(100, 200), reps = 2, losses = "D1", align = "moment", x = plain_x, checkpoint = dir)
  expect_identical(study_values(b), study_values(a))
  expect_identical(.Random.seed, rng_a)
  expect_setequal(list.files(dir), c("meta.rds", sprintf("task-%06d.rds", 1:4)))
  meta <- readRDS(file.path(dir, "meta.rds"))
  expect_identical(meta$tasks, 4L)
  expect_match(meta$key, "^[0-9a-f]{32}$")
  # tasks 2 and 3 lost, a stray temporary file of a write cut off: the rerun computes 2 and 3 only
  file.remove(file.path(dir, sprintf("task-%06d.rds", 2:3)))
  writeLines("partial", file.path(dir, ".task-000002.rds-abc.tmp"))
  kept <- file.mtime(file.path(dir, sprintf("task-%06d.rds", c(1, 4))))
  Sys.sleep(1.1)  # mtime resolution
  withr::local_options(progressr.enable = TRUE)
  set.seed(21)
  ctr <- 0
  c2 <- withCallingHandlers(
    rate_study(G0, n = c(100, 200), reps = 2, losses = "D1", align = "moment", x = plain_x, checkpoint = dir),
    progression = function(p) if (identical(p$type, "update")) ctr <<- ctr + p$amount
  )
  expect_identical(study_values(c2), study_values(a))
  expect_identical(.Random.seed, rng_a)
  expect_equal(ctr, 4)  # progress: the 2 tasks loaded, then the 2 computed
  expect_identical(file.mtime(file.path(dir, sprintf("task-%06d.rds", c(1, 4)))), kept)
  expect_length(list.files(dir, all.files = TRUE, no.. = TRUE), 5)  # the stray file is removed
  # a rerun of a finished study loads every task: the same values, the same generator state
  set.seed(21)
  d <- rate_study(G0, n = c(100, 200), reps = 2, losses = "D1", align = "moment", x = plain_x, checkpoint = dir)
  expect_identical(study_values(d), study_values(a))
  expect_identical(.Random.seed, rng_a)
  # the label and keep_fits are not in the digest; threads neither
  set.seed(21)
  e <- rate_study(G0, n = c(100, 200), reps = 2, losses = "D1", align = "moment", x = plain_x, checkpoint = dir,
                  truth = "other", keep_fits = FALSE,
                  control = lse_control(n_starts = 2, standardize = FALSE, warn = FALSE, n_perturb = 0, threads = 2))
  expect_identical(e$value, a$value)
  expect_identical(unique(e$truth), "other")
  expect_null(attr(e, "fits"))
  # an unreadable task file is computed again, with a warning
  writeBin(as.raw(1:10), file.path(dir, "task-000003.rds"))
  set.seed(21)
  expect_warning(f <- rate_study(G0, n = c(100, 200), reps = 2, losses = "D1", align = "moment", x = plain_x,
                                 checkpoint = dir), class = "lsmoe_warning_checkpoint")
  expect_identical(study_values(f), study_values(a))
})

test_that("a checkpoint of another study or another seed is a classed error, never a mix", {
  dir <- withr::local_tempdir()
  set.seed(21)
  a <- rate_study(G0, n = c(100, 200), reps = 1, losses = "D1", align = "moment", checkpoint = dir)
  files <- file.mtime(list.files(dir, full.names = TRUE))
  set.seed(21)
  err_input(rate_study(G0, n = c(100, 200), reps = 2, losses = "D1", align = "moment", checkpoint = dir),
            "holds the finished tasks of another rate_study")
  set.seed(21)
  err_input(rate_study(G0, n = c(100, 200), reps = 1, losses = "D1", align = "moment", checkpoint = dir, jitter = 0.2),
            "its arguments differ")
  set.seed(21)
  err_input(rate_study(G0, n = c(100, 200), reps = 1, losses = "D1", align = "moment", checkpoint = dir, x = plain_x),
            "its arguments differ")
  set.seed(21)
  withr::with_options(list(lsmoe.simd = !lsmoe:::use_simd()),
                      err_input(rate_study(G0, n = c(100, 200), reps = 1, losses = "D1", align = "moment", checkpoint = dir),
                                "its arguments differ"))
  set.seed(22)
  err_input(rate_study(G0, n = c(100, 200), reps = 1, losses = "D1", align = "moment", checkpoint = dir),
            "from another random seed")
  expect_identical(file.mtime(list.files(dir, full.names = TRUE)), files)  # nothing written
  # not a directory, not a path, a foreign directory
  f <- withr::local_tempfile(lines = "x")
  err_input(rate_study(G0, n = c(100, 200), reps = 1, checkpoint = f), "is a file")
  err_input(rate_study(G0, n = c(100, 200), reps = 1, checkpoint = NA_character_), "`checkpoint` must be NULL")
  err_input(rate_study(G0, n = c(100, 200), reps = 1, checkpoint = c("a", "b")), "`checkpoint` must be NULL")
  err_input(rate_study(G0, n = c(100, 200), reps = 1, checkpoint = 1), "`checkpoint` must be NULL")
  err_input(rate_study(G0, n = c(100, 200), reps = 1, checkpoint = "/proc/no-such-dir"), "cannot be created")
  expect_silent(err_input(rate_study(G0, n = c(100, 200), reps = 1, checkpoint = strrep("z", 1e5)), "cannot be created"))
  other <- withr::local_tempdir()
  saveRDS(list(a = 1), file.path(other, "meta.rds"))
  err_input(rate_study(G0, n = c(100, 200), reps = 1, checkpoint = other), "not an lsmoe checkpoint")
  orphan <- withr::local_tempdir()
  saveRDS(1, file.path(orphan, "task-000001.rds"))
  err_input(rate_study(G0, n = c(100, 200), reps = 1, checkpoint = orphan), "no meta.rds")
})

test_that("a study killed with SIGKILL after some tasks resumes to the uninterrupted run's result", {
  skip_on_cran()
  skip_on_os("windows")
  dir <- withr::local_tempdir()
  # 8 tasks of about 0.4 s each in a child R session; killed once 3 tasks are on disk
  pid <- start_child(sprintf("st <- run_study(slow_x, checkpoint = '%s')", dir))
  on.exit(tools::pskill(pid, tools::SIGKILL), add = TRUE)
  if (!wait_for(function() length(task_files(dir)) >= 3)) skip("the child R session wrote no 3 tasks within 60 s")
  tools::pskill(pid, tools::SIGKILL)
  expect_true(wait_for(function() !dir.exists(sprintf("/proc/%d", pid)), timeout = 10))
  done <- task_files(dir)
  expect_gte(length(done), 3)
  expect_lt(length(done), 8)  # killed midway: the resume has tasks to compute
  kept <- file.mtime(file.path(dir, done))
  Sys.sleep(1.1)  # mtime resolution
  resumed <- run_study(slow_x, checkpoint = dir)
  rng_resumed <- .Random.seed
  # only the missing tasks ran: the finished ones were loaded, not written again
  expect_identical(file.mtime(file.path(dir, done)), kept)
  expect_length(task_files(dir), 8)
  full <- run_study(plain_x)
  expect_identical(study_values(resumed), study_values(full))
  expect_identical(rng_resumed, .Random.seed)
})

test_that("an interrupted study with a checkpoint says how to resume, and resumes", {
  skip_on_cran()
  skip_on_os("windows")
  dir <- withr::local_tempdir()
  out <- tempfile()
  # the child interrupts itself (SIGINT) once 2 tasks are on disk
  pid <- start_child(c(
    sprintf("system(sprintf('(while [ $(ls %s | grep -c \"^task-\") -lt 2 ]; do sleep 0.05; done; kill -INT %%d) >/dev/null 2>&1 &', Sys.getpid()))",
            dir),
    "msg <- NA_character_",
    sprintf("r <- tryCatch(withCallingHandlers(run_study(slow_x, checkpoint = '%s'),", dir),
    "  lsmoe_message_checkpoint = function(m) { msg <<- conditionMessage(m); invokeRestart('muffleMessage') }),",
    "  interrupt = function(e) 'interrupted')",
    sprintf("saveRDS(list(r = r, msg = msg), '%s')", out)
  ))
  on.exit(tools::pskill(pid, tools::SIGKILL), add = TRUE)
  if (!wait_for(function() file.exists(out), timeout = 120)) skip("the child R session did not finish within 120 s")
  res <- readRDS(out)
  expect_identical(res$r, "interrupted")
  done <- length(task_files(dir))
  expect_gte(done, 2)
  expect_lt(done, 8)
  expect_match(res$msg, sprintf("%d of 8 tasks are saved in the checkpoint directory", done))
  expect_match(res$msg, "Run the same call again")
  expect_identical(study_values(run_study(slow_x, checkpoint = dir)), study_values(run_study(plain_x)))
})

test_that("with 1 and 2 workers, with and without a checkpoint, and after a worker's death: the same study", {
  skip_on_cran()
  skip_on_os("windows")
  skip_if_not_installed("future")
  old <- future::plan()
  on.exit(future::plan(old), add = TRUE)
  main <- Sys.getpid()
  marker <- tempfile()
  # a worker that draws the inputs of the first n = 300 data set dies (SIGKILL), once
  killing_x <- local({
    main <- main
    marker <- marker
    function(n) {
      if (n == 300 && Sys.getpid() != main && !file.exists(marker)) {
        file.create(marker)
        tools::pskill(Sys.getpid(), tools::SIGKILL)
      }
      matrix(stats::runif(n), ncol = 1)
    }
  })
  run <- function(x = plain_x, checkpoint = NULL) {
    set.seed(31)
    rate_study(G0, n = c(200, 300), reps = 2, losses = "D1", align = "moment", x = x, checkpoint = checkpoint)
  }
  future::plan(future::sequential)
  a <- study_values(run())
  future::plan(future::multisession, workers = 2)
  dir <- withr::local_tempdir()
  expect_identical(study_values(run(checkpoint = dir)), a)
  dir2 <- withr::local_tempdir()
  err <- expect_error(run(killing_x, checkpoint = dir2), class = "lsmoe_error_stopped")
  expect_s3_class(err$parent, "FutureError")
  expect_match(conditionMessage(err), "of 4 tasks are saved in the checkpoint directory")
  expect_match(conditionMessage(err), "Run the same call again")
  expect_true(file.exists(marker))
  expect_lt(length(task_files(dir2)), 4)
  # a fresh set of workers (the plan again), then the same call resumes
  future::plan(future::sequential)
  future::plan(future::multisession, workers = 2)
  expect_identical(study_values(run(killing_x, checkpoint = dir2)), a)
})
