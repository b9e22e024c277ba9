# Shared by the test files that check classed errors and hand-edited objects (the fuzzing rounds of
# issue 12): err_input(), err_object(), a sigmoid-expert measure G_sig() and a small fit fit_small().

err_input <- function(expr, pattern) expect_error(expr, pattern, class = "lsmoe_error_input")

G_sig <- function() {
  mixing_measure(beta0 = c(-5, 0), beta1 = c(10, 0), eta = rbind(c(12, -9), c(-12, 3)), expert = expert_sigmoid())
}

fit_small <- function(gate = gate_softmax()) {
  set.seed(5)
  s <- simulate_moe(G_sig(), 80, noise_sd = 0.05)
  d <- data.frame(x = s$x[, 1], y = s$y)
  moe_lse(y ~ x, data = d, k = 2, expert = "sigmoid", gate = gate, control = lse_control(n_starts = 2, warn = FALSE))
}

# predict() outside the training inputs on purpose (comparisons with lm, overflow checks): the
# extrapolation warning (issue 27) is tested in test-methods.R, not in every such call.
quiet_extrapolation <- function(expr) {
  withCallingHandlers(expr, lsmoe_warning_extrapolation = function(w) invokeRestart("muffleWarning"))
}

err_object <- function(expr, pattern) {
  expect_error(expr, pattern, class = "lsmoe_error_fit_object")
}
