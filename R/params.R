# Parameter bookkeeping shared by the fitter, the methods and the theory functions.
# User-facing parameters: beta0 (length k), beta1 (k x d), eta (k x q).
# The C++ core's free vector theta (lsmoe::Layout in inst/include/lsmoe), with kg gated
# components (kg = k - 1 for the softmax gate, whose last component is anchored at 0; kg = k for
# the sigmoid gate, which has no anchoring):
# [beta0_1..beta0_kg] [beta1 kg x d, column-major] [eta as q x k, column-major].
# `gate` is a moe_gate, a gate name, or NULL (softmax).

# Positions in theta: beta0 (kg), beta1 (kg x d), eta (k x q, row j the component j), gating
# (the kg (d + 1) gating parameters) and p, the number of free parameters.
theta_layout <- function(k, d, q, gate = NULL) {
  kg <- gated_components(k, gate)
  ng <- kg * (d + 1)
  list(kg = kg, beta0 = seq_len(kg), beta1 = matrix(kg + seq_len(kg * d), kg, d), gating = seq_len(ng),
       eta = t(matrix(ng + seq_len(k * q), q, k)), p = as.integer(ng + k * q))
}

n_free_params <- function(k, d, q, gate = NULL) theta_layout(k, d, q, gate)$p

pack_theta <- function(beta0, beta1, eta, gate = NULL) {
  k <- length(beta0)
  if (gate_name(gate) == "sigmoid") return(c(beta0, as.vector(beta1), as.vector(t(eta))))
  b0 <- (beta0 - beta0[k])[-k]
  b1 <- sweep(beta1, 2, beta1[k, ])[-k, , drop = FALSE]
  c(b0, as.vector(b1), as.vector(t(eta)))
}

unpack_theta <- function(theta, k, d, q, gate = NULL) {
  lay <- theta_layout(k, d, q, gate)
  b1 <- matrix(theta[lay$beta1], lay$kg, d)
  list(
    beta0 = if (lay$kg == k) theta[lay$beta0] else c(theta[lay$beta0], 0),
    beta1 = if (lay$kg == k) b1 else rbind(b1, matrix(0, 1, d)),
    eta = matrix(theta[lay$eta], k, q)
  )
}

# Re-anchoring (lse_control(), "Re-anchoring"): the k - 1 other anchorings of a softmax-gated
# theta. Component j (j < k) becomes the anchored last component, the others keep their order;
# every gate difference, hence the regression function, is unchanged, but the box holds the
# gating parameters relative to the anchor, so a gate difference that is held at a bound under
# one anchor may be free under another. Returns a p x (k - 1) matrix, clamped into the box b.
reanchor_thetas <- function(theta, k, d, q, b, gate = "softmax") {
  par <- unpack_theta(theta, k, d, q, gate)
  m <- vapply(seq_len(k - 1), function(j) {
    o <- c(seq_len(k)[-j], j)
    pack_theta(par$beta0[o], par$beta1[o, , drop = FALSE], par$eta[o, , drop = FALSE], gate)
  }, numeric(length(theta)))
  matrix(pmin(pmax(m, b$lower), b$upper), nrow = length(theta))
}

# Whether re-anchoring may change a fit: the control asks for it, the gate is softmax with k >= 3
# components (with k = 2 the other anchoring negates the gate, and the box is symmetric) under a
# finite bound_gate, and a gating parameter of the fit is on its bound.
reanchor_applies <- function(control, k, d, gate, bound_flags) {
  isTRUE(control$reanchor) && gate_name(gate) == "softmax" && k >= 3 && is.finite(control$bound_gate) &&
    any(bound_flags[theta_layout(k, d, 1L, gate)$gating])
}

# Lower/upper bounds of theta from the control's bound groups. With `reciprocal = TRUE`, the box
# of the fit's coordinates where every output weight c of a tanh expert is replaced by s = 1 / |c|
# (uses_reciprocal()): 1 / bound_output <= s <= 1 / c_min (see reciprocal_c_min()).
theta_bounds <- function(k, d, expert, control, gate = NULL, reciprocal = FALSE, c_min = NULL) {
  groups <- c(rep("gate", length(theta_layout(k, d, 1L, gate)$gating)), rep(expert_bound_groups(expert, d), k))
  b <- c(gate = control$bound_gate, expert = control$bound_expert, output = control$bound_output)[groups]
  lower <- -unname(b)
  upper <- unname(b)
  if (reciprocal) {
    ic <- output_weight_index(k, d, gate)
    lower[ic] <- 1 / control$bound_output
    upper[ic] <- 1 / c_min
  }
  list(lower = lower, upper = upper)
}

# Reciprocal output weights (lse_control(), "Reciprocal output weights"; ReciprocalWeightProblem
# in inst/include/lsmoe/reciprocal.hpp): an output-weighted tanh expert c tanh(a'x + b) is fitted as
# tanh(a'x + b) / s with s = 1 / |c| (tanh is odd: the sign of c moves into a and b), under a
# bound_output of at most 1e50 (J'J in s grows like c^4: it stays finite).
uses_reciprocal <- function(expert, control) {
  !isFALSE(control$reciprocal_weight) && expert_trait(expert, "reciprocal") && isTRUE(expert$output_weight) &&
    control$bound_output <= 1e50
}

# Positions in theta of the output weights c (one per component; the last expert parameter).
output_weight_index <- function(k, d, gate = NULL) theta_layout(k, d, d + 2L, gate)$eta[, d + 2]

# The smallest |c| of the box with reciprocal output weights: 1e-4 times the smaller of
# bound_output and the root mean square of the response y the fit runs on (1 after the
# standardisation), so that an expert can shrink far below the response's scale.
reciprocal_c_min <- function(y, bound_output) {
  ry <- sqrt(mean(y^2))
  if (!is.finite(ry) || ry <= 0) ry <- 1
  1e-4 * min(bound_output, ry)
}

# theta (a vector or the columns of a p x S matrix) to the fit's coordinates: each c < 0 flips
# the sign of its (a, b), and s = 1 / |c|, with |c| taken within [c_min, bound_output]. The
# conversion is the core's (lsmoe::to_reciprocal() in inst/include/lsmoe/reciprocal.hpp, which the
# fit's ReciprocalWeightProblem uses too), so it is written once; R only keeps the shape.
to_reciprocal <- function(theta, k, d, gate, bound_output, c_min) {
  m <- as.matrix(theta)
  storage.mode(m) <- "double"
  m[] <- cpp_to_reciprocal(m, k, d, gate_name(gate), bound_output, c_min)
  if (is.matrix(theta)) m else drop(m)
}

# The fit's coordinates (s > 0) back to theta: c = 1 / s (lsmoe::from_reciprocal()).
from_reciprocal <- function(phi, k, d, gate) {
  m <- as.matrix(phi)
  storage.mode(m) <- "double"
  m[] <- cpp_from_reciprocal(m, k, d, gate_name(gate))
  if (is.matrix(phi)) m else drop(m)
}

# Validate a user start list(beta0, beta1, eta) and return it in canonical shapes.
check_start <- function(start, k, d, q, arg = "start") {
  if (!is.list(start) || !all(c("beta0", "beta1", "eta") %in% names(start))) {
    lsmoe_abort(sprintf("`%s` must be a list with components beta0, beta1 and eta.", arg), arg = arg)
  }
  beta0 <- start$beta0
  beta1 <- start$beta1
  eta <- start$eta
  if (is.numeric(beta1) && is.null(dim(beta1)) && d == 1) beta1 <- matrix(beta1, ncol = 1)
  if (is.numeric(eta) && is.null(dim(eta)) && q == 1) eta <- matrix(eta, ncol = 1)
  ok <- is.numeric(beta0) && length(beta0) == k &&
    is.numeric(beta1) && is.matrix(beta1) && all(dim(beta1) == c(k, d)) &&
    is.numeric(eta) && is.matrix(eta) && all(dim(eta) == c(k, q))
  if (!ok) {
    lsmoe_abort(sprintf(paste0("`%s` has the wrong shape: expected beta0 of length %d, beta1 a %d x %d matrix ",
                               "and eta a %d x %d matrix (one row per component)."), arg, k, k, d, k, q), arg = arg)
  }
  if (any(!is.finite(c(beta0, beta1, eta)))) {
    lsmoe_abort(sprintf("`%s` must have finite values only.", arg), arg = arg)
  }
  list(beta0 = as.numeric(beta0), beta1 = unname(beta1) + 0, eta = unname(eta) + 0)
}
