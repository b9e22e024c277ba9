# An independent R implementation of the model, used to check the C++ core.

ref_phi <- function(expert, z) {
  switch(expert$name,
    sigmoid = 1 / (1 + exp(-z)), tanh = tanh(z), linear = z, polynomial = z^expert$degree,
    relu = pmax(0, z), gelu = z * pnorm(z), constant = rep(1, length(z))
  )
}

# f_G(x) for x (n x d) and parameters beta0 (k), beta1 (k x d), eta (k x q).
ref_fG <- function(x, beta0, beta1, eta, expert, parts = FALSE) {
  x <- as.matrix(x)
  d <- ncol(x)
  k <- length(beta0)
  L <- sweep(x %*% t(beta1), 2, beta0, "+")
  L <- L - apply(L, 1, max)
  W <- exp(L) / rowSums(exp(L))
  H <- vapply(seq_len(k), function(j) {
    e <- eta[j, ]
    if (expert$name == "constant") return(rep(e[1], nrow(x)))
    v <- ref_phi(expert, drop(x %*% e[seq_len(d)]) + e[d + 1])
    if (expert$output_weight) v <- e[d + 2] * v
    v
  }, numeric(nrow(x)))
  H <- matrix(H, nrow = nrow(x))
  f <- rowSums(W * H)
  if (parts) list(f = f, gate = W, experts = H) else f
}

ref_f_theta <- function(theta, x, expert, k) {
  d <- ncol(x)
  p <- lsmoe:::unpack_theta(theta, k, d, lsmoe:::expert_q(expert, d))
  ref_fG(x, p$beta0, p$beta1, p$eta, expert)
}

# Simulated data from a k = 2 sigmoid mixture (test truths chosen well conditioned).
sim_sigmoid2 <- function(n, d, noise_sd, seed, L = 2) {
  set.seed(seed)
  x <- matrix(runif(n * d, -L, L), n, d, dimnames = list(NULL, paste0("x", seq_len(d))))
  if (d == 1) {
    truth <- list(beta0 = c(0.3, 0), beta1 = matrix(c(3, 0), 2, 1), eta = rbind(c(2.5, -4), c(2.5, 3)))
  } else {
    truth <- list(beta0 = c(-0.4, 0), beta1 = rbind(c(2, -2), c(0, 0)), eta = rbind(c(0.5, 1.5, 0.5), c(-2, -2, 0)))
  }
  y <- ref_fG(x, truth$beta0, truth$beta1, truth$eta, expert_sigmoid()) + rnorm(n, sd = noise_sd)
  list(x = x, y = y, truth = truth)
}

all_experts <- function() {
  list(
    sigmoid = expert_sigmoid(), sigmoid_c = expert_sigmoid(TRUE), tanh = expert_tanh(),
    tanh_c = expert_tanh(TRUE), linear = expert_linear(), poly2 = expert_polynomial(2),
    poly3 = expert_polynomial(3), relu = expert_relu(), relu_c = expert_relu(TRUE),
    gelu = expert_gelu(), gelu_c = expert_gelu(TRUE), constant = expert_constant()
  )
}
