# A short seeded run of the fuzzer (tools/fuzz.R; the long run is `make fuzz`). tools/ is not in
# the built package, so this runs from a source checkout only (make test), never on CRAN.

fuzz_env <- function() {
  path <- test_path("..", "..", "tools", "fuzz.R")
  skip_if_not(file.exists(path), "tools/fuzz.R is only in a source checkout")
  env <- new.env()
  sys.source(path, envir = env)
  env
}

test_that("the fuzzer draws the same calls for the same seed", {
  skip_on_cran()
  skip_on_os("windows")
  env <- fuzz_env()
  fields <- list(G = c("beta0", "eta", "expert$degree"), fit = c("coefficients", "coefficients$eta", "rss"))
  tab <- env$FUZZ_TABLE[c("mixing_measure", "simulate_moe", "moe_lse")]
  for (nm in names(tab)) tab[[nm]]$untabled <- character()
  a <- env$draw_calls(tab, fields, 50, seed = 3)
  b <- env$draw_calls(tab, fields, 50, seed = 3)
  c <- env$draw_calls(tab, fields, 50, seed = 4)
  code <- function(x) vapply(x, `[[`, "", "code")
  expect_identical(code(a), code(b))
  expect_false(identical(code(a), code(c)))
  # every drawn call parses, and edited objects are recognised as such
  for (cl in code(a)) expect_silent(parse(text = cl))
  expect_identical(vapply(a, `[[`, TRUE, "edited"), grepl("fz_(edit|make|reclass)\\(", code(a)))
})

test_that("a short seeded fuzz run: no crash, no hang, and the machinery catches each failure kind", {
  skip_on_cran()
  skip_on_os("windows")
  path <- test_path("..", "..", "tools", "fuzz.R")
  skip_if_not(file.exists(path), "tools/fuzz.R is only in a source checkout")
  # a fresh R process: the children are forked from it, and this one may already hold an OpenMP
  # thread pool (forking one is not safe)
  rds <- tempfile(fileext = ".rds")
  lib <- dirname(find.package("lsmoe"))
  # exit status 1 is expected: the self-test injects a crash and a hang
  out <- suppressWarnings(system2(file.path(R.home("bin"), "Rscript"),
                 c("--vanilla", shQuote(path), "--calls", "300", "--seed", "12", "--timeout", "60", "--self-test",
                   "--quiet", "--show", "3", "--lib", shQuote(lib), "--save", shQuote(rds)),
                 stdout = TRUE, stderr = TRUE))
  if (!file.exists(rds)) fail(paste(c("the fuzzer did not run:", utils::tail(out, 10)), collapse = "\n"))
  res <- readRDS(rds)
  entry <- vapply(res$calls, `[[`, "", "entry")
  own <- entry != "self_test"
  # the injected failures are detected and attributed to their calls
  st <- res$outcome[!own]
  expect_identical(st, c("crash", "hang", "nonfinite_silent", "other_ordinary"))
  expect_true(any(grepl("crashes +1$", out)))
  # the package: 300 calls, no crash, no hang
  expect_identical(sum(own), 300L)
  expect_identical(sum(res$outcome[own] %in% c("crash", "hang")), 0L)
  expect_gt(sum(res$outcome[own] == "classed"), 30)
  expect_gt(sum(res$outcome[own] == "ok"), 30)
  # the whole package: no silent NaN/Inf, and no unclassed error from an ordinary input
  bad <- own & res$outcome %in% c("nonfinite_silent", "nonfinite_edited", "other_ordinary")
  expect_identical(vapply(res$calls[bad], `[[`, "", "code"), character(0))
  # the table covers every exported function and S3 method of the installed package, each with
  # a fixture of its class (otherwise the fuzzer notes it and falls back on generic values)
  expect_identical(grep("not in the table|no fixture|not in the package any more", res$notes, value = TRUE), character(0))
})
