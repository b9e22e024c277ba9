# fit-core.R: the one C++ call of the fit (core_fit()) and the fused pass through cpp_*(): f_G, the Jacobian,
# J'J and J'r against references; threads and the SIMD build; the LM optimum, bounds, restart, reciprocal weights.

random_theta <- function(k, d, expert) {
  q <- lsmoe:::expert_q(expert, d)
  p <- lsmoe:::n_free_params(k, d, q)
  th <- rnorm(p, sd = 1.5)
  if (expert$name == "polynomial") th[-seq_len((k - 1) * (d + 1))] <- rnorm(k * q, sd = 0.7)
  th
}

test_that("the fused pass gives J'J, J'r and the RSS of the dense Jacobian, weighted or not", {
  set.seed(11)
  for (nm in names(all_experts())) {
    e <- all_experts()[[nm]]
    for (d in c(1, 3)) {
      k <- 1 + (d + nchar(nm)) %% 3
      n <- 700  # not a multiple of the block size
      x <- matrix(runif(n * d, -1.5, 1.5), n, d)
      y <- rnorm(n)
      th <- random_theta(k, d, e)
      dense <- lsmoe:::cpp_residuals(x, y, th, e, as.integer(k))
      # the dense reference itself against the R implementation of f_G
      expect_equal(dense$residuals, ref_f_theta(th, x, e, k) - y, tolerance = 1e-12)
      w <- runif(n, 0, 3)
      # both builds of the pass: AVX2 (where the CPU has it) and portable
      for (ww in list(numeric(0), w)) for (simd in c(TRUE, FALSE)) {
        sw <- if (length(ww)) sqrt(ww) else rep(1, n)
        ne <- lsmoe:::cpp_normal_equations(x, y, ww, th, e, as.integer(k), 1L, "softmax", simd)
        J <- dense$jacobian * sw
        r <- dense$residuals * sw
        scale <- max(1, abs(crossprod(J)))
        lab <- paste(nm, d, if (simd) "simd" else "portable")
        expect_lt(max(abs(ne$JtJ - crossprod(J))) / scale, 1e-12, label = paste(lab, "JtJ"))
        expect_lt(max(abs(ne$Jtr - crossprod(J, r))) / max(1, abs(crossprod(J, r))), 1e-12, label = paste(lab, "Jtr"))
        expect_equal(ne$rss, sum(r^2), tolerance = 1e-12, label = paste(lab, "rss"))
      }
    }
  }
})

test_that("J'r is half the gradient of the RSS (central differences)", {
  set.seed(12)
  for (nm in c("sigmoid", "tanh_c", "gelu", "poly2", "linear")) {
    e <- all_experts()[[nm]]
    x <- matrix(runif(300 * 2, -1, 1), 300, 2)
    y <- rnorm(300)
    w <- runif(300)
    th <- random_theta(3, 2, e)
    ne <- lsmoe:::cpp_normal_equations(x, y, w, th, e, 3L)
    rss <- function(t) lsmoe:::cpp_normal_equations(x, y, w, t, e, 3L)$rss
    num <- vapply(seq_along(th), function(i) {
      h <- 1e-6 * max(1, abs(th[i]))
      tp <- th; tp[i] <- tp[i] + h
      tm <- th; tm[i] <- tm[i] - h
      (rss(tp) - rss(tm)) / (4 * h)
    }, numeric(1))
    expect_lt(max(abs(num - ne$Jtr)) / max(1, abs(ne$Jtr)), 1e-6, label = nm)
  }
})

test_that("the LM optimum is at least as good as minpack.lm::nls.lm's from the same start", {
  skip_if_not_installed("minpack.lm")
  ex <- all_experts()
  # every family, d = 1 and 3, k = 1 to 4 (ReLU, piecewise linear, at d = 1 where the kinks of
  # the RSS surface do not separate the two optimizers' paths)
  cases <- data.frame(
    expert = c("sigmoid", "sigmoid_c", "tanh", "tanh_c", "linear", "poly2", "poly3", "relu", "relu_c", "gelu", "gelu_c", "constant"),
    d = c(1, 3, 3, 1, 3, 1, 1, 1, 1, 3, 1, 3),
    k = c(4, 2, 3, 2, 4, 2, 1, 2, 1, 2, 3, 3), stringsAsFactors = FALSE)
  worse <- character(0)
  for (i in seq_len(nrow(cases))) {
    set.seed(100 + i)
    e <- ex[[cases$expert[i]]]
    d <- cases$d[i]
    k <- cases$k[i]
    n <- 600
    x <- matrix(runif(n * d, -1, 1), n, d)
    th_true <- random_theta(k, d, e)
    y <- ref_f_theta(th_true, x, e, k) + rnorm(n, sd = 0.05)
    th0 <- th_true + rnorm(length(th_true), sd = 0.05)  # inside the basin of the truth
    q <- lsmoe:::expert_q(e, d)
    st <- lsmoe:::unpack_theta(th0, k, d, q)
    ctl <- lse_control(ftol = 1e-12, xtol = 1e-12, max_iter = 2000, bound_gate = Inf, bound_expert = Inf,
                       bound_output = Inf, standardize = (i %% 2 == 0), warn = FALSE)
    ours <- moe_lse(x, y, k = k, expert = e, start = st, control = ctl)
    fn <- function(t) lsmoe:::cpp_residuals(x, y, t, e, as.integer(k))$residuals
    jac <- function(t) lsmoe:::cpp_residuals(x, y, t, e, as.integer(k))$jacobian
    ref <- suppressWarnings(minpack.lm::nls.lm(th0, fn = fn, jac = jac,
                              control = minpack.lm::nls.lm.control(maxiter = 1000, ftol = 1e-12, ptol = 1e-12)))
    rss_ref <- sum(fn(ref$par)^2)
    expect_true(is.finite(ours$rss))
    if (ours$rss > rss_ref * (1 + 1e-8)) {
      worse <- c(worse, sprintf("%s d=%d k=%d: %.10g vs %.10g", cases$expert[i], d, k, ours$rss, rss_ref))
      # a different basin from the same start: ours must still be a local optimum that nls.lm,
      # started there, cannot improve
      again <- suppressWarnings(minpack.lm::nls.lm(ours$theta, fn = fn, jac = jac,
                                control = minpack.lm::nls.lm.control(maxiter = 1000, ftol = 1e-12, ptol = 1e-12)))
      expect_gte(sum(fn(again$par)^2), ours$rss * (1 - 1e-8))
    }
  }
  # from the same start, at least 10 of the 12 problems end at least as low as nls.lm
  expect_lte(length(worse), 2)
})

test_that("the fused pass and the fits are bit-identical for 1, 2 and 4 threads", {
  # exactly the threads asked for, whatever the machine's load (else a busy machine runs 1 thread)
  withr::local_options(lsmoe.adapt_threads = FALSE)
  set.seed(13)
  n <- 40000  # 10 chunks of 4096 rows: 4 threads each get at least two
  x <- matrix(runif(n * 2), n, 2)
  y <- rnorm(n)
  th <- random_theta(3, 2, expert_sigmoid())
  for (simd in c(TRUE, FALSE)) {
    ne <- lapply(c(1L, 2L, 4L), function(t) {
      lsmoe:::cpp_normal_equations(x, y, numeric(0), th, expert_sigmoid(), 3L, t, "softmax", simd, adapt_threads = FALSE)
    })
    expect_identical(ne[[1]], ne[[2]])
    expect_identical(ne[[1]], ne[[3]])
    # with the load-aware count (the default), whatever it is now
    expect_identical(ne[[1]], lsmoe:::cpp_normal_equations(x, y, numeric(0), th, expert_sigmoid(), 3L, 2L, "softmax", simd))
  }
  sim <- sim_sigmoid2(n = 30000, d = 1, noise_sd = 0.1, seed = 3)
  for (simd in c(TRUE, FALSE)) {
    old <- options(lsmoe.simd = simd)
    fits <- lapply(c(1, 2, 4), function(t) {
      set.seed(7)
      moe_lse(sim$x, sim$y, k = 2, expert = "sigmoid", control = lse_control(n_starts = 8, threads = t))
    })
    set.seed(7)
    adaptive <- withr::with_options(list(lsmoe.adapt_threads = TRUE), {
      moe_lse(sim$x, sim$y, k = 2, expert = "sigmoid", control = lse_control(n_starts = 8, threads = 2))
    })
    options(old)
    expect_identical(fits[[1]]$theta, fits[[2]]$theta)
    expect_identical(fits[[1]]$theta, fits[[3]]$theta)
    expect_identical(fits[[1]]$starts, fits[[3]]$starts)
    expect_identical(fits[[1]]$theta, adaptive$theta)
    expect_identical(fits[[1]]$starts, adaptive$starts)
  }
})

test_that("a pass uses no more threads than the machine's free cores", {
  tfl <- function(requested, online, running, own) lsmoe:::cpp_threads_for_load(requested, online, running, own)
  expect_identical(tfl(2L, 2L, 1L, 1L), 2L)   # idle: only this thread runs
  expect_identical(tfl(2L, 2L, 2L, 2L), 2L)   # the pass's own thread, still spinning, is not load
  expect_identical(tfl(2L, 2L, 2L, 1L), 1L)   # one other runnable task on 2 cores
  expect_identical(tfl(2L, 2L, 9L, 2L), 1L)   # a loaded machine
  expect_identical(tfl(4L, 2L, 1L, 1L), 2L)   # no more than the online CPUs
  expect_identical(tfl(8L, 16L, 11L, 1L), 6L) # 10 others on 16 CPUs
  expect_identical(tfl(1L, 2L, 1L, 1L), 1L)
  expect_identical(tfl(3L, -1L, 5L, 1L), 3L)  # unknown (not Linux): the threads asked for
  expect_identical(tfl(3L, 2L, 5L, -1L), 3L)
  expect_identical(tfl(2L, 2L, 1L, 3L), 2L)   # the two counts read a moment apart
  L <- lsmoe:::cpp_cpu_load()
  expect_named(L, c("online", "running", "own"))
  skip_if_not(file.exists("/proc/loadavg") && Sys.info()[["sysname"]] == "Linux", "the load is read on Linux only")
  expect_gte(L[["online"]], 1L)
  expect_gte(L[["own"]], 1L)  # the calling thread is runnable
  expect_gte(L[["running"]], 1L)
  # a process that keeps a core busy is seen as load: its task is runnable at every moment
  pid <- as.integer(system("sh -c 'while :; do :; done' >/dev/null 2>&1 & echo $!", intern = TRUE))
  on.exit(tools::pskill(pid, tools::SIGKILL), add = TRUE)
  Sys.sleep(0.2)
  seen <- vapply(1:5, function(i) { L <- lsmoe:::cpp_cpu_load(); L[["running"]] - L[["own"]] }, numeric(1))
  expect_true(all(seen >= 1))
})

test_that("options(lsmoe.adapt_threads) must be TRUE or FALSE", {
  withr::local_options(lsmoe.adapt_threads = "no")
  sim <- sim_sigmoid2(n = 200, d = 1, noise_sd = 0.1, seed = 3)
  expect_error(moe_lse(sim$x, sim$y, k = 2, expert = "sigmoid", control = lse_control(n_starts = 2)),
               class = "lsmoe_error_input")
})

test_that("the AVX2 and portable builds of the pass agree to rounding and reach the same optimum", {
  skip_if(lsmoe:::cpp_simd_kernel() != "avx2", "this CPU has no AVX2 and FMA: only the portable build runs")
  set.seed(15)
  n <- 9000  # two chunks and a partial block
  x <- matrix(runif(2 * n, -1.5, 1.5), n, 2)
  y <- rnorm(n)
  w <- runif(n, 0, 2)
  for (gate in c("softmax", "sigmoid")) {
    for (nm in names(all_experts())) {
      e <- all_experts()[[nm]]
      k <- 3L
      p <- lsmoe:::n_free_params(k, 2, lsmoe:::expert_q(e, 2), gate)
      th <- rnorm(p, sd = 1.2)
      a <- lsmoe:::cpp_normal_equations(x, y, w, th, e, k, 2L, gate, TRUE)
      b <- lsmoe:::cpp_normal_equations(x, y, w, th, e, k, 2L, gate, FALSE)
      lab <- paste(gate, nm)
      expect_lt(abs(a$rss - b$rss) / b$rss, 1e-13, label = paste(lab, "rss"))
      expect_lt(max(abs(a$JtJ - b$JtJ)) / max(abs(b$JtJ)), 1e-13, label = paste(lab, "JtJ"))
      expect_lt(max(abs(a$Jtr - b$Jtr)) / max(abs(b$Jtr)), 1e-12, label = paste(lab, "Jtr"))
      fa <- lsmoe:::cpp_fitted(x, th, e, k, 1L, gate, TRUE)
      fb <- lsmoe:::cpp_fitted(x, th, e, k, 1L, gate, FALSE)
      expect_lt(max(abs(fa - fb)) / max(1, abs(fb)), 1e-13, label = paste(lab, "fitted"))
    }
  }
  # one start on the bench-like problem: the same optimum from both builds
  sim <- sim_sigmoid2(n = 20000, d = 1, noise_sd = 0.1, seed = 4)
  st <- list(beta0 = c(0.5, 0), beta1 = matrix(c(2.5, 0), 2, 1), eta = rbind(c(2, -3.5), c(2, 2.5)))
  fit <- function(simd) {
    old <- options(lsmoe.simd = simd)
    on.exit(options(old))
    moe_lse(sim$x, sim$y, k = 2, expert = "sigmoid", start = st, control = lse_control(n_starts = 1, ftol = 1e-12, xtol = 1e-12))
  }
  fa <- fit(TRUE)
  fb <- fit(FALSE)
  expect_identical(c(fa$kernel, fb$kernel), c("avx2", "portable"))
  expect_lt(abs(fa$rss - fb$rss) / fb$rss, 1e-10)
  expect_lt(max(abs(fa$theta - fb$theta)), 1e-4)
})

test_that("AVX instructions occur only in the AVX2 build's own functions", {
  # the portable code must run on any x86-64 CPU: no function outside the AVX2 build's renamed
  # namespaces (lsmoe_avx2, lsmoe_avx2_eigen, and the anonymous one of kernel_avx2.cpp) may hold
  # a VEX-encoded instruction, e.g. a standard-library template compiled under the target pragma
  so <- system.file("libs", paste0("lsmoe", .Platform$dynlib.ext), package = "lsmoe")
  skip_if(!nzchar(Sys.which("objdump")) || !file.exists(so), "no objdump or no installed shared object")
  skip_if(lsmoe:::cpp_simd_kernel() != "avx2", "no AVX2 build on this machine")
  dis <- system2("objdump", c("-d", "-C", "--no-show-raw-insn", shQuote(so)), stdout = TRUE)
  head <- grepl("^[0-9a-f]+ <.*>:$", dis)
  fn <- dis[head][pmax(1, cumsum(head))]
  vex <- !head & grepl("\tv[a-z0-9]+[ \t]", dis)
  with_vex <- unique(fn[vex])
  expect_gt(length(with_vex), 10)  # the check sees the AVX2 build
  expect_identical(with_vex[!grepl("lsmoe_avx2|anonymous namespace", with_vex)], character(0))
})

test_that("options(lsmoe.simd) must be TRUE or FALSE", {
  old <- options(lsmoe.simd = "yes")
  on.exit(options(old))
  expect_error(moe_lse(runif(50), runif(50), k = 1, expert = expert_linear()), class = "lsmoe_error_input")
  options(lsmoe.simd = NA)
  expect_error(moe_lse(runif(50), runif(50), k = 1, expert = expert_linear()), class = "lsmoe_error_input")
  options(lsmoe.simd = FALSE)
  expect_identical(moe_lse(runif(50), runif(50), k = 1, expert = expert_linear())$kernel, "portable")
})

test_that("LSMOE_SIMD gives the default of options(lsmoe.simd); the option wins (issue 30)", {
  withr::local_options(lsmoe.simd = NULL)
  fit <- function() moe_lse(runif(50), runif(50), k = 1, expert = expert_linear())$kernel
  for (v in c("false", "FALSE", "0", "no", " False ")) {
    withr::local_envvar(LSMOE_SIMD = v)
    expect_identical(fit(), "portable", label = v)
  }
  for (v in c("true", "1", "yes", "")) {
    withr::local_envvar(LSMOE_SIMD = v)
    expect_identical(fit(), lsmoe:::cpp_simd_kernel(), label = v)
  }
  withr::local_envvar(LSMOE_SIMD = "maybe")
  err <- tryCatch(fit(), error = identity)
  expect_s3_class(err, "lsmoe_error_input")
  expect_match(conditionMessage(err), "LSMOE_SIMD", fixed = TRUE)
  withr::local_envvar(LSMOE_SIMD = "false")
  withr::local_options(lsmoe.simd = TRUE)
  expect_identical(fit(), lsmoe:::cpp_simd_kernel())
})

test_that("a best fit stopped by the iteration limit is restarted once and then converges", {
  # faithful, k = 2, output-weighted tanh experts: the best start crawls to the iteration limit
  # (one expert tends to a linear function, another to a step); from where it stopped, a run
  # with fresh damping and scaling converges (the Newton polish, which would end the crawl too, is
  # off here)
  e <- expert_tanh(output_weight = TRUE)
  set.seed(1)
  # (in (a, b, c) coordinates, where this was found: reciprocal_weight = FALSE)
  a <- moe_lse(eruptions ~ waiting, data = faithful, k = 2, expert = e,
               control = lse_control(restart = FALSE, warn = FALSE, reciprocal_weight = FALSE, n_perturb = 0,
                                     polish = FALSE))
  skip_if(a$converged, "on this machine the fit converges without the restart")
  expect_identical(a$status, 10L)
  set.seed(1)
  # (no convergence warning; the search warning is muffled: the restarted start is the only one at
  # its RSS)
  expect_no_warning(b <- withCallingHandlers(
    moe_lse(eruptions ~ waiting, data = faithful, k = 2, expert = e,
            control = lse_control(reciprocal_weight = FALSE, n_perturb = 0, polish = FALSE)),
    lsmoe_warning_search = function(w) invokeRestart("muffleWarning")))
  expect_true(b$converged)
  expect_lte(b$rss, a$rss)
  expect_gt(b$iterations, a$control$max_iter)  # both runs counted
  expect_gt(b$evaluations, a$evaluations)
  expect_identical(b$best_start, a$best_start)
  # the restart only continues the fit: the other starts are unchanged
  expect_identical(b$starts[-b$best_start, ], a$starts[-a$best_start, ])
})

test_that("a race finishes starts in rungs: early finishers unchanged, the worse half dropped", {
  # the race (core_fit(race =), lsmoe::fit_multi) of the re-anchored refits
  set.seed(5)
  x <- matrix(runif(600, -1, 1), 600, 1)
  y <- ifelse(x[, 1] > 0, 2 * x[, 1], -x[, 1]) + rnorm(600, sd = 0.1)
  e <- expert_tanh()
  ctl <- lse_control(max_iter = 60, warn = FALSE)
  prob <- lsmoe:::fit_problem(x, y, numeric(0), 3L, e, "softmax", ctl)
  starts <- matrix(rnorm(prob$p * 6, sd = 1.5), prob$p)
  plain <- lsmoe:::core_fit(prob, starts, 6L, restart = FALSE)
  raced <- lsmoe:::core_fit(prob, starts, 6L, restart = FALSE, race = 4L)
  quick <- which(plain$start_iterations <= 4)
  slow <- which(plain$start_iterations > 4)
  skip_if(length(slow) < 3, "fewer than 3 starts need more than the first rung")
  # a start that stops within the first rung is the same fit, to the bit
  expect_identical(raced$start_rss[quick], plain$start_rss[quick])
  expect_identical(raced$start_iterations[quick], plain$start_iterations[quick])
  # of the others, only the better half of each rung goes on: some stop early at the limit status
  dropped <- slow[raced$start_status[slow] == 10L & raced$start_iterations[slow] < 60]
  expect_gte(length(dropped), floor(length(slow) / 2))
  expect_true(all(raced$start_iterations <= 60))
  expect_lt(sum(raced$start_iterations), sum(plain$start_iterations))
  # the fit is the best start, and its RSS is not above any start's first rung
  expect_identical(raced$rss, min(raced$start_rss))
  expect_true(all(is.finite(raced$start_rss)))
  # a first rung of max_iter iterations is no race: the same fits as without
  same <- lsmoe:::core_fit(prob, starts, 6L, restart = FALSE, race = 60L)
  expect_identical(same$start_rss, plain$start_rss)
  expect_identical(same$theta, plain$theta)
})

test_that("projected bounds reach an optimum on a bound, hold it exactly and satisfy the KKT sign", {
  # A hard switch between x = 0.45 and x = 0.55 (no data in between): the RSS falls as the gating
  # slope grows, so with bound_gate = 5 the optimum has the slope on its bound.
  set.seed(3)
  x <- c(runif(150, 0, 0.45), runif(150, 0.55, 1))
  y <- ifelse(x < 0.5, 1 + x, 3 - 2 * x) + rnorm(300, sd = 0.05)
  st <- list(list(beta0 = c(-1, 0), beta1 = matrix(c(2, 0), 2, 1), eta = rbind(c(1, 1), c(-2, 3))))
  ctl <- function(m) lse_control(n_starts = 1, bound_gate = 5, bound_expert = 100, bound_output = 100,
                                 standardize = FALSE, bounds_method = m, warn = FALSE, max_iter = 2000)
  fp <- moe_lse(x, y, k = 2, expert = "linear", start = st, control = ctl("projection"))
  ft <- moe_lse(x, y, k = 2, expert = "linear", start = st, control = ctl("transform"))
  expect_true(fp$converged)
  expect_gte(fp$on_bound, 1)
  cf <- fp$coefficients
  b1 <- cf$beta1[1, 1]
  expect_identical(abs(b1), 5)  # held exactly on the bound
  expect_lte(fp$rss, ft$rss * (1 + 1e-8))
  expect_lte(fp$iterations, ft$iterations)
  # KKT: moving the slope back inside the box does not lower the RSS
  rss_at <- function(b) {
    G <- mixing_measure(cf$beta0, matrix(c(b, cf$beta1[2, 1]), 2, 1), cf$eta, expert = expert_linear())
    sum((y - predict(G, matrix(x)))^2)
  }
  expect_gt(rss_at(b1 - sign(b1) * 1e-4), fp$rss)
  expect_error(lse_control(bounds_method = "clamp"), "bounds_method", class = "lsmoe_error_input")
})

test_that("with no bound active, projection and transform reach the same optimum", {
  G <- mixing_measure(beta0 = c(-2, 0), beta1 = matrix(c(4, 0), 2, 1), eta = rbind(c(1, 1), c(-2, 3)),
                      expert = expert_linear())
  set.seed(5)
  x <- matrix(runif(2000))
  y <- predict(G, x) + rnorm(2000, sd = 0.2)
  set.seed(1)
  fp <- moe_lse(x, y, k = 2, expert = "linear")
  set.seed(1)
  ft <- moe_lse(x, y, k = 2, expert = "linear", control = lse_control(bounds_method = "transform"))
  expect_equal(fp$on_bound, 0)
  expect_equal(fp$rss, ft$rss, tolerance = 1e-8)
  expect_equal(fitted(fp), fitted(ft), tolerance = 1e-5)
})

test_that("reciprocal output weights: the wrapped pass gives the chain rule's J'J and J'r", {
  # theta = (a, b, c) with c = 1 / s: J'J and J'r in (a, b, s) against central differences of the
  # dense reference's weighted residuals, both gates, d = 1 and 3, both builds of the pass
  set.seed(21)
  e <- expert_tanh(output_weight = TRUE)
  for (gate in c("softmax", "sigmoid")) for (d in c(1, 3)) {
    k <- if (d == 1) 3L else 2L
    n <- 500
    x <- matrix(runif(n * d, -1.5, 1.5), n, d)
    y <- rnorm(n)
    w <- runif(n, 0, 2)
    p <- lsmoe:::n_free_params(k, d, d + 2, gate)
    phi <- rnorm(p)
    ic <- lsmoe:::output_weight_index(k, d, gate)
    # the output weights' positions, found by packing marked values
    eta <- cbind(matrix(0, k, d + 1), 1000 + seq_len(k))
    packed <- lsmoe:::cpp_pack(rep(0, k), matrix(0, k, d), eta, e, gate)$theta
    expect_identical(as.integer(ic), match(1000 + seq_len(k), packed))
    phi[ic] <- runif(k, 0.2, 2)
    res <- function(ph) {
      th <- lsmoe:::from_reciprocal(ph, k, d, gate)
      lsmoe:::cpp_residuals(x, y, th, e, k, gate)$residuals * sqrt(w)
    }
    J <- vapply(seq_len(p), function(i) {
      h <- 1e-6 * max(1, abs(phi[i]))
      a <- phi; a[i] <- a[i] + h
      b <- phi; b[i] <- b[i] - h
      (res(a) - res(b)) / (2 * h)
    }, numeric(n))
    r <- res(phi)
    for (simd in c(TRUE, FALSE)) {
      ne <- lsmoe:::cpp_normal_equations(x, y, w, phi, e, k, 1L, gate, simd, TRUE)
      lab <- paste(gate, d, simd)
      expect_equal(ne$rss, sum(r^2), tolerance = 1e-12, label = lab)
      expect_lt(max(abs(ne$JtJ - crossprod(J))) / max(abs(ne$JtJ)), 1e-7, label = paste(lab, "JtJ"))
      expect_lt(max(abs(ne$Jtr - crossprod(J, r))) / max(abs(ne$Jtr)), 1e-7, label = paste(lab, "Jtr"))
    }
  }
  x <- matrix(runif(40), 40, 1)
  expect_error(lsmoe:::cpp_normal_equations(x, rnorm(40), numeric(0), rnorm(5), expert_sigmoid(TRUE), 2L, 1L,
                                            "softmax", TRUE, TRUE), "output-weighted tanh")
})

test_that("reciprocal output weights reach the linear limit on the bound where (a, b, c) crawls", {
  # airquality, k = 2, output-weighted tanh experts: the best fit sends both experts towards
  # linear functions (|c| up to bound_output on the standardised scale, a and b small). From
  # the same 50 starts (same seed, no perturbation search), the fit with s = 1 / c converges with both weights held on the
  # bound; the fit in (a, b, c) does not converge within max_iter and ends higher.
  aq <- stats::na.omit(airquality)
  e <- expert_tanh(output_weight = TRUE)
  set.seed(1)
  r <- moe_lse(Ozone ~ Temp + Wind, data = aq, k = 2, expert = e, control = lse_control(restart = FALSE, n_perturb = 0))
  set.seed(1)
  a <- moe_lse(Ozone ~ Temp + Wind, data = aq, k = 2, expert = e,
               control = lse_control(restart = FALSE, warn = FALSE, reciprocal_weight = FALSE, n_perturb = 0,
                                     polish = FALSE))
  expect_true(r$converged)
  expect_lt(r$rss, a$rss)
  sy <- sqrt(mean(aq$Ozone^2))  # the standardisation of output-weighted experts
  cw <- unname(r$coefficients$eta[, "c"])
  expect_true(all(cw > 0))  # the sign is carried by (a, b)
  expect_equal(cw, rep(20 * sy, 2), tolerance = 1e-12)
  expect_true(all(r$bound_flags[lsmoe:::output_weight_index(2, 2)]))
  # on the standardised scale: the RSS there is the fit's, a weight moved inside the bound
  # raises it (KKT), and nls.lm started at the estimates, in (a, b, c) within the same box,
  # does not improve them
  sc <- lsmoe:::fit_scales(r$x, r$y, NULL, e, TRUE, "softmax")
  xs <- sweep(sweep(r$x, 2, sc$mx), 2, sc$sx, "/")
  ys <- r$y / sc$sy
  fn <- function(t) lsmoe:::cpp_residuals(xs, ys, t, e, 2L)$residuals
  th <- lsmoe:::transform_params(r$coefficients, sc, e, inverse = TRUE)
  th <- lsmoe:::pack_theta(th$beta0, th$beta1, th$eta)
  ic <- lsmoe:::output_weight_index(2, 2)
  expect_equal(sum(fn(th)^2) * sc$sy^2, r$rss, tolerance = 1e-10)
  for (j in ic) {
    inside <- th
    inside[j] <- inside[j] * (1 - 1e-4)
    expect_gt(sum(fn(inside)^2), sum(fn(th)^2))
  }
  skip_if_not_installed("minpack.lm")
  b <- lsmoe:::theta_bounds(2, 2, e, lse_control())
  again <- suppressWarnings(minpack.lm::nls.lm(th, lower = b$lower, upper = b$upper, fn = fn,
                            control = minpack.lm::nls.lm.control(maxiter = 1000, ftol = 1e-12, ptol = 1e-12)))
  expect_gte(sum(fn(again$par)^2), sum(fn(th)^2) * (1 - 1e-8))
})

test_that("the C++ regression function matches an independent R implementation", {
  set.seed(10)
  for (nm in names(all_experts())) {
    e <- all_experts()[[nm]]
    for (d in c(1, 3)) for (k in 1:3) {
      x <- matrix(runif(40 * d, -1, 1), 40, d)
      q <- lsmoe:::expert_q(e, d)
      theta <- rnorm(lsmoe:::n_free_params(k, d, q))
      p <- lsmoe:::unpack_theta(theta, k, d, q)
      got <- lsmoe:::cpp_predict(x, p$beta0, p$beta1, p$eta, e)
      ref <- ref_fG(x, p$beta0, p$beta1, p$eta, e, parts = TRUE)
      expect_equal(drop(got$response), ref$f, tolerance = 1e-12, label = paste(nm, d, k))
      expect_equal(got$gate, ref$gate, tolerance = 1e-12)
      expect_equal(got$experts, ref$experts, tolerance = 1e-12)
    }
  }
})

test_that("the analytic Jacobian equals a finite-difference Jacobian for every family, k and d", {
  set.seed(11)
  for (nm in names(all_experts())) {
    e <- all_experts()[[nm]]
    for (d in c(1, 3)) for (k in 1:3) {
      n <- 30
      x <- matrix(runif(n * d, -1, 1), n, d)
      y <- rnorm(n)
      q <- lsmoe:::expert_q(e, d)
      theta <- rnorm(lsmoe:::n_free_params(k, d, q))
      J <- lsmoe:::cpp_residuals(x, y, theta, e, k)$jacobian
      h <- 1e-6
      Jfd <- vapply(seq_along(theta), function(s) {
        tp <- theta; tm <- theta
        tp[s] <- tp[s] + h; tm[s] <- tm[s] - h
        (ref_f_theta(tp, x, e, k) - ref_f_theta(tm, x, e, k)) / (2 * h)
      }, numeric(n))
      rel <- max(abs(J - Jfd)) / max(1, max(abs(J)))
      expect_lt(rel, 1e-6, label = sprintf("%s d=%d k=%d relative error", nm, d, k))
    }
  }
})

test_that("the residuals and RSS are f - y and its squared norm", {
  set.seed(12)
  x <- matrix(runif(50), 50, 1)
  y <- rnorm(50)
  theta <- rnorm(lsmoe:::n_free_params(2, 1, 2))
  r <- lsmoe:::cpp_residuals(x, y, theta, expert_sigmoid(), 2L)
  f <- ref_f_theta(theta, x, expert_sigmoid(), 2)
  expect_equal(drop(r$residuals), f - y, tolerance = 1e-12)
  expect_equal(r$rss, sum((f - y)^2), tolerance = 1e-12)
})

test_that("the gate and f_G stay finite for logits of magnitude 1e4", {
  x <- matrix(c(-1, 0, 1), 3, 1)
  for (e in list(expert_sigmoid(), expert_linear(), expert_tanh(TRUE))) {
    q <- lsmoe:::expert_q(e, 1)
    eta <- matrix(rep(c(1, 0.5, 2)[seq_len(q)], 3), 3, q, byrow = TRUE)
    out <- lsmoe:::cpp_predict(x, c(1e4, -1e4, 0), matrix(c(1e4, -1e4, 0), 3, 1), eta, e)
    expect_true(all(is.finite(out$gate)))
    expect_true(all(is.finite(out$response)))
    expect_equal(rowSums(out$gate), rep(1, 3), tolerance = 1e-12)
    # logits: 1e4 (1 + x), -1e4 (1 - x), 0. Component 1 wins wherever x > -1; at x = -1 all
    # three logits are 0 and the gate splits evenly.
    expect_equal(out$gate[, 1], c(1 / 3, 1, 1))
    theta <- lsmoe:::pack_theta(c(1e4, -1e4, 0), matrix(c(1e4, -1e4, 0), 3, 1), eta)
    J <- lsmoe:::cpp_residuals(x, rep(0, 3), theta, e, 3L)$jacobian
    expect_true(all(is.finite(J)))
  }
})

test_that("the core's on-bound flags follow the rule: within a relative 1e-4 of a finite bound", {
  lower <- c(-50, -50, -Inf, 1e-4, -20, -1e6)
  upper <- c(50, 50, 20, 5, Inf, 1e6)
  theta <- c(-49.999, 49.99, 20 - 1e-5, 1e-4 + 5e-5, -19.99, 1e6 - 50)
  expected <- (is.finite(lower) & theta - lower <= 1e-4 * pmax(1, abs(lower))) |
    (is.finite(upper) & upper - theta <= 1e-4 * pmax(1, abs(upper)))
  expect_identical(lsmoe:::on_bound_flags(theta, list(lower = lower, upper = upper)), expected)
  expect_identical(expected, c(TRUE, FALSE, TRUE, TRUE, FALSE, TRUE))
  expect_error(lsmoe:::cpp_bound_flags(theta[1:2], lower, upper))
})

# J'J and J'r (and their parts of the RSS) from two passes: a relative 1e-12 on each entry of J'J
# against sqrt(J'J_aa J'J_bb) (the Cauchy-Schwarz bound of its size) and on J'r against its
# largest entry.
expect_same_normal_equations <- function(a, b, what) {
  sc <- sqrt(outer(diag(a$JtJ), diag(a$JtJ)))
  expect_lte(max(abs(a$JtJ - b$JtJ) / pmax(sc, .Machine$double.xmin)), 1e-12, label = paste(what, "J'J"))
  expect_lte(max(abs(a$Jtr - b$Jtr)) / max(abs(a$Jtr), .Machine$double.xmin), 1e-12, label = paste(what, "J'r"))
  expect_equal(a$rss, b$rss, tolerance = 1e-14, info = what)
}

test_that("the structured and rank-update accumulations of J'J equal the dot products (issue 26)", {
  set.seed(26)
  n <- 700  # not a multiple of the block size
  for (nm in names(all_experts())) for (gate in c("softmax", "sigmoid")) for (d in c(1, 5, 32)) {
    e <- all_experts()[[nm]]
    k <- 3
    q <- lsmoe:::expert_q(e, d)
    p <- (if (gate == "softmax") k - 1 else k) * (d + 1) + k * q
    x <- matrix(runif(n * d, -1.5, 1.5), n, d) / sqrt(d)
    y <- rnorm(n)
    th <- rnorm(p, sd = 0.7)
    w <- runif(n, 0, 3)
    for (ww in list(numeric(0), w)) for (simd in c(TRUE, FALSE)) {
      ne <- function(acc) lsmoe:::cpp_normal_equations(x, y, ww, th, e, k, 1L, gate, simd, FALSE, acc)
      dots <- ne("dots")
      expect_identical(dots$accumulation, "dots")
      what <- sprintf("%s, %s gate, d = %d, %s, simd %s", nm, gate, d, if (length(ww)) "weighted" else "unweighted", simd)
      for (acc in c("structured", "rank_update")) {
        other <- ne(acc)
        expect_identical(other$accumulation, acc)
        expect_same_normal_equations(dots, other, paste(acc, what))
      }
    }
  }
  # the automatic choice: the dot products below p = 32, the structured product from d = 3
  x <- matrix(runif(100 * 32), 100, 32)
  auto <- function(x, k) lsmoe:::cpp_normal_equations(x, runif(nrow(x)), numeric(0), rep(0, (2 * k - 1) * (ncol(x) + 1)),
                                                       expert_sigmoid(), k)$accumulation
  expect_identical(auto(x[, 1, drop = FALSE], 3), "dots")
  expect_identical(auto(x[, 1:2], 3), "dots")
  expect_identical(auto(x, 9), "structured")
  expect_identical(auto(x[, 1, drop = FALSE], 15), "rank_update")
})

test_that("the structured and rank-update accumulations give the same bits for 1, 2 and 4 threads", {
  set.seed(27)
  n <- 40000  # 10 chunks of 4096 rows: 4 threads each get at least two
  for (case in list(list(d = 32, k = 3, acc = "structured"), list(d = 1, k = 15, acc = "rank_update"))) {
    x <- matrix(runif(n * case$d), n, case$d) / sqrt(case$d)
    y <- rnorm(n)
    w <- runif(n, 0, 2)
    th <- rnorm((2 * case$k - 1) * (case$d + 1), sd = 0.7)
    for (simd in c(TRUE, FALSE)) {
      ne <- lapply(c(1L, 2L, 4L), function(t) {
        lsmoe:::cpp_normal_equations(x, y, w, th, expert_sigmoid(), as.integer(case$k), t, "softmax", simd,
                                     adapt_threads = FALSE)
      })
      expect_identical(ne[[1]]$accumulation, case$acc)
      expect_identical(ne[[1]], ne[[2]])
      expect_identical(ne[[1]], ne[[3]])
    }
  }
})

test_that("a d = 32, k = 9 fit (p = 561) recovers its truth from a near-truth start", {
  set.seed(28)
  d <- 32
  k <- 9
  beta1 <- matrix(rnorm(k * d, 0, 2), k, d)
  beta1[k, ] <- 0
  beta0 <- -as.vector(beta1 %*% rep(0.5, d)) + rnorm(k, 0, 0.5)
  beta0[k] <- 0
  a <- matrix(rnorm(k * d, 0, 1.5), k, d)
  truth <- list(beta0 = beta0, beta1 = beta1, eta = cbind(a, -as.vector(a %*% rep(0.5, d)) + rnorm(k)))
  G <- do.call(mixing_measure, truth)
  s <- simulate_moe(G, n = 6000, noise_sd = 0.01)
  start <- lapply(truth, function(v) v + rnorm(length(v), 0, 0.05 * pmax(1, abs(v))))
  start$beta0[k] <- 0
  start$beta1[k, ] <- 0
  fit <- moe_lse_fit(s$x, s$y, k = k, expert = expert_sigmoid(), start = start,
                     control = lse_control(n_perturb = 0, warn = FALSE))
  expect_true(fit$converged)
  expect_lte(fit$rss, sum((s$y - s$f)^2))
  # the regression function is recovered to the precision of p = 561 parameters from n = 6000
  # observations (mean squared error about noise_sd^2 p / n), and the experts' parameters to a
  # small fraction of their size
  expect_lt(mean((fitted(fit) - s$f)^2), 2 * 0.01^2 * 561 / 6000)
  cf <- fit$coefficients
  th_fit <- lsmoe:::cpp_pack(cf$beta0, cf$beta1, cf$eta, expert_sigmoid())$theta
  th_true <- lsmoe:::cpp_pack(truth$beta0, truth$beta1, truth$eta, expert_sigmoid())$theta
  gate_rows <- seq_len((k - 1) * (d + 1))
  rel_err <- abs(th_fit - th_true) / pmax(1, abs(th_true))
  expect_lt(median(rel_err[-gate_rows]), 0.05)
  expect_lt(median(rel_err[gate_rows]), 0.1)
})
