# conditions.R: the argument checks check_count() and check_number().

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
