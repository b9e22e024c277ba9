# Start strategies for the least squares fitter. All randomness comes from R's RNG.

# sample.int(n, size) (without replacement): the same values from the same draws of R's
# generator, without the vector of all n integers that R's draw allocates where it does not hash
# (n <= 1e7): 40 MB at n = 1e7, for each random row of a start (cpp_sample_int()).
sample_index <- function(n, size) {
  if (n > 1e7 && size <= n / 2) return(sample.int(n, size))  # R hashes: no such vector
  cpp_sample_int(n, size)
}

# Scales of the starts: list(mx, sx, my, sy), the inputs' means and standard deviations (1 for a
# constant input) and the response's. One column at a time (apply() would copy x twice).
data_scales <- function(x, y) c(data_scales_x(x), data_scales_y(y))
data_scales_x <- function(x) {
  # var() of a 1-column matrix is var() of its column, bit for bit, without extracting it
  sds <- if (ncol(x) == 1) sqrt(stats::var(x)[1]) else vapply(seq_len(ncol(x)), function(j) stats::sd(x[, j]), 0)
  sx <- stats::setNames(sds, colnames(x))
  sx[!is.finite(sx) | sx <= 0] <- 1
  list(mx = colMeans(x), sx = sx)
}
data_scales_y <- function(y) {
  sy <- stats::sd(y)
  if (!is.finite(sy) || sy <= 0) sy <- max(1, abs(mean(y)))
  list(my = mean(y), sy = sy)
}

# Random expert parameters (k x q) on the scale of the data. A ridge's slopes inside a
# nonlinearity are N(0, 9 / (d sx^2)) per input, so that the ridge a'x varies over the data about as
# much at every d (variance ~ 1 / fan-in, LeCun et al. 1998): slopes N(0, 9 / sx^2) put a random
# tanh or GELU ridge of d = 5 inputs in saturation over most of the data (bench/NOTES.md).
random_eta <- function(x, y, k, expert, sc) {
  d <- ncol(x)
  q <- expert_q(expert, d)
  t(matrix(vapply(seq_len(k), function(j) {
    x0 <- x[sample_index(nrow(x), 1L), ]
    switch(if (is_ridge(expert)) expert_trait(expert, "response") else "constant",
      constant = y[sample_index(length(y), 1L)],
      affine = {
        a <- stats::rnorm(d, 0, sc$sy / sc$sx)
        c(a, sc$my - sum(a * sc$mx) + stats::rnorm(1, 0, sc$sy))
      },
      power = {
        s <- max(abs(y))^(1 / expert$degree)
        a <- stats::rnorm(d, 0, s / sc$sx) / d
        c(a, stats::rnorm(1, 0, s))
      },
      {
        a <- stats::rnorm(d, 0, 3 / sc$sx / sqrt(d))
        c(a, -sum(a * x0), if (expert$output_weight) stats::rnorm(1, 0, 2 * sc$sy))
      }
    )
  }, numeric(q)), nrow = q))
}

# Random gating parameters of one component, c(beta0, beta1): slopes N(0, 4 / (d sx^2)) (the same
# rule as random_eta()'s ridges), the logit's zero near a randomly chosen row.
random_gate_row <- function(x, sc) {
  b1 <- stats::rnorm(ncol(x), 0, 2 / sc$sx / sqrt(ncol(x)))
  c(-sum(b1 * x[sample_index(nrow(x), 1L), ]) + stats::rnorm(1), b1)
}

random_start <- function(x, y, k, expert, sc = data_scales(x, y), gate = "softmax") {
  d <- ncol(x)
  beta1 <- matrix(0, k, d)
  beta0 <- numeric(k)
  for (j in seq_len(gated_components(k, gate))) {
    g <- random_gate_row(x, sc)
    beta0[j] <- g[1]
    beta1[j, ] <- g[-1]
  }
  eta <- random_eta(x, y, k, expert, sc)
  list(beta0 = beta0, beta1 = beta1, eta = eta)
}

# A perturbed start for the perturbation search (lse_control(), "Perturbation search"): the fit
# theta (packed) with one component, chosen at random, given new random gating parameters, new
# random expert parameters, or both (each with probability 1/3), drawn as random_start() draws
# them. Under the softmax gate the anchored last component's new logit is subtracted from the
# others when packing (the same gate).
perturb_theta <- function(theta, x, y, k, expert, sc, gate = "softmax") {
  d <- ncol(x)
  par <- unpack_theta(theta, k, d, expert_q(expert, d), gate)
  j <- sample.int(k, 1)
  part <- sample.int(3, 1)  # 1: gate and expert, 2: gate, 3: expert
  if (part != 3) {
    g <- random_gate_row(x, sc)
    par$beta0[j] <- g[1]
    par$beta1[j, ] <- g[-1]
  }
  if (part != 2) par$eta[j, ] <- random_eta(x, y, 1, expert, sc)
  pack_theta(par$beta0, par$beta1, par$eta, gate)
}

# Expert parameters (k x q) of a partition of the rows (cluster: labels 1..k): each part's least
# squares expert (a short fit from two random starts; exact for linear experts).
part_experts <- function(x, y, cluster, k, expert, control, sc) {
  q <- expert_q(expert, ncol(x))
  eta <- matrix(0, k, q)
  one <- lse_control(max_iter = 100, n_finish = 2, bound_gate = control$bound_gate, bound_expert = control$bound_expert,
                     bound_output = control$bound_output, standardize = FALSE, warn = FALSE,
                     reciprocal_weight = !isFALSE(control$reciprocal_weight))
  for (j in seq_len(k)) {
    rows <- cluster == j
    xj <- x[rows, , drop = FALSE]
    yj <- y[rows]
    st <- matrix(vapply(1:2, function(s) random_eta(xj, yj, 1, expert, sc), numeric(q)), nrow = q)
    fit <- core_fit(fit_problem(xj, yj, numeric(0), 1L, expert, "softmax", one), st, one$n_finish)
    eta[j, ] <- if (all(is.finite(fit$theta))) fit$theta else st[, 1]
  }
  eta
}

# Data-driven start: k-means partition of standardised x; per-part least squares expert;
# a softmax gate that selects the nearest centre (logits -||z - m_j||^2 / (2 s^2)), or sigmoid
# gates from logistic regressions of each part's indicator on x (see sigmoid_gate_start()).
data_start <- function(x, y, k, expert, control, sc = data_scales(x, y), gate = "softmax") {
  d <- ncol(x)
  q <- expert_q(expert, d)
  if (nrow(x) > 5000) {  # k-means and the per-part fits on a subsample
    rows <- sample_index(nrow(x), 5000L)
    x <- x[rows, , drop = FALSE]
    y <- y[rows]
  }
  z <- sweep(sweep(x, 2, sc$mx), 2, sc$sx, "/")
  km <- if (k == 1) list(cluster = rep(1L, nrow(x)), centers = matrix(colMeans(z), 1), tot.withinss = sum(scale(z, scale = FALSE)^2))
        else tryCatch(suppressWarnings(stats::kmeans(z, centers = k, iter.max = 50)), error = function(e) NULL)
  if (is.null(km) || any(tabulate(km$cluster, k) < max(q + 1, 3))) return(random_start(x, y, k, expert, sc, gate))
  s2 <- max(km$tot.withinss / (nrow(x) * d), 1e-6)
  C <- km$centers
  beta1 <- sweep(C / s2, 2, sc$sx, "/")
  beta0 <- -rowSums(C^2) / (2 * s2) - drop(beta1 %*% sc$mx)
  if (gate_name(gate) == "sigmoid") {
    g <- sigmoid_gate_start(z, km$cluster, k, sc, control)
    beta0 <- g$beta0
    beta1 <- g$beta1
  } else {
    # Soften the gate (scale all logits together) so that, anchored at the last component, it
    # stays well inside the gating bounds: a start on a bound has a near-zero derivative in the
    # sine change of variables and stalls there.
    beta0 <- beta0 - beta0[k]
    beta1 <- sweep(beta1, 2, beta1[k, ])
    big <- max(abs(c(beta0, beta1)))
    if (is.finite(control$bound_gate) && big > 0.5 * control$bound_gate) {
      shrink <- 0.5 * control$bound_gate / big
      beta0 <- beta0 * shrink
      beta1 <- beta1 * shrink
    }
  }
  eta <- part_experts(x, y, km$cluster, k, expert, control, sc)
  list(beta0 = beta0, beta1 = beta1, eta = eta)
}

# Sigmoid gates of a data start: gate j is the logistic regression of the indicator of part j on
# the standardised inputs z (a few Newton steps with a small ridge, so that separable parts stay
# finite), mapped back to the scale of x and kept within half the gating bound.
sigmoid_gate_start <- function(z, cluster, k, sc, control, sharpen = 1) {
  d <- ncol(z)
  Z <- cbind(1, z)
  beta0 <- numeric(k)
  beta1 <- matrix(0, k, d)
  for (j in seq_len(k)) {
    t <- as.numeric(cluster == j)
    b <- c(stats::qlogis(min(max(mean(t), 0.05), 0.95)), rep(0, d))
    for (it in 1:15) {
      p <- stats::plogis(drop(Z %*% b))
      wt <- pmax(p * (1 - p), 1e-6)
      H <- crossprod(Z, Z * wt) + diag(1e-2 * nrow(Z), d + 1)
      b <- b + solve(H, crossprod(Z, t - p) - 1e-2 * nrow(Z) * b)
    }
    b <- b * sharpen
    big <- max(abs(b))
    if (is.finite(control$bound_gate) && big > 0.5 * control$bound_gate) b <- b * 0.5 * control$bound_gate / big
    beta1[j, ] <- b[-1] / sc$sx
    beta0[j] <- b[1] - sum(beta1[j, ] * sc$mx)
  }
  list(beta0 = beta0, beta1 = beta1)
}

# Tree start: a partition of the rows into k parts by a regression tree grown greedily on the
# standardised inputs z (CART's least squares splits with constant leaves, Breiman et al. 1984),
# randomised as in bagging: k - 1 times, the split of largest RSS reduction over every part, every
# cut between distinct projected values and the directions of the coordinate axes plus (d > 1) 8
# random unit directions drawn anew for each split, chosen on a random half of the rows (at least
# m_min / 2 of them on each side) and applied to all rows; a tree with a part of fewer than m_min
# rows gives a random start instead. Then a softmax gate from
# the multinomial logistic regression of the part labels on z (softmax_gate_start()) or sigmoid
# gates from logistic regressions (sigmoid_gate_start()), with their logits multiplied by a
# sharpness drawn from {1, 3, 10} (a hard split is often the basin of a steep gate) and kept
# within half the gating bound; per-part least squares experts (part_experts()). On more than
# 2000 rows the tree is grown on a random subsample of 2000.
tree_start <- function(x, y, k, expert, control, sc = data_scales(x, y), gate = "softmax") {
  d <- ncol(x)
  q <- expert_q(expert, d)
  if (k == 1) return(data_start(x, y, k, expert, control, sc, gate))
  if (nrow(x) > 2000) {
    rows <- sample_index(nrow(x), 2000L)
    x <- x[rows, , drop = FALSE]
    y <- y[rows]
  }
  n <- nrow(x)
  z <- sweep(sweep(x, 2, sc$mx), 2, sc$sx, "/")
  m_min <- max(q + 1L, 3L)
  half <- seq_len(n) %in% sample.int(n, ceiling(n / 2))
  cluster <- rep(1L, n)
  for (s in seq_len(k - 1L)) {
    dirs <- diag(d)
    if (d > 1) {
      r <- matrix(stats::rnorm(d * 8), d)
      dirs <- cbind(dirs, sweep(r, 2, sqrt(colSums(r^2)), "/"))
    }
    best <- list(gain = -Inf)
    for (j in seq_len(s)) {
      rows <- which(cluster == j & half)
      sp <- tree_splits(z[rows, , drop = FALSE], y[rows], dirs, ceiling(m_min / 2))
      if (length(sp$gain) && max(sp$gain) > best$gain) {
        u <- which.max(sp$gain)
        best <- list(gain = sp$gain[u], part = j, dir = dirs[, u], cut = sp$cut[u])
      }
    }
    if (!is.finite(best$gain)) return(random_start(x, y, k, expert, sc, gate))
    cluster[cluster == best$part & drop(z %*% best$dir) > best$cut] <- s + 1L
  }
  if (any(tabulate(cluster, k) < m_min)) return(random_start(x, y, k, expert, sc, gate))
  sharpen <- c(1, 3, 10)[sample.int(3L, 1L)]
  g <- if (gate_name(gate) == "sigmoid") sigmoid_gate_start(z, cluster, k, sc, control, sharpen)
       else softmax_gate_start(z, cluster, k, sc, control, sharpen)
  list(beta0 = g$beta0, beta1 = g$beta1, eta = part_experts(x, y, cluster, k, expert, control, sc))
}

# The best least squares split (constant leaves) of one part (rows z, y) along each direction
# (column of dirs), cuts between distinct projected values leaving at least m_min rows on each
# side: list(gain = RSS reduction, cut = the midpoint between the projections on either side),
# one entry per direction with an admissible cut.
tree_splits <- function(z, y, dirs, m_min) {
  m <- nrow(z)
  gain <- cut <- numeric(0)
  if (m < 2 * m_min) return(list(gain = gain, cut = cut))
  y <- y - mean(y)
  for (u in seq_len(ncol(dirs))) {
    t <- drop(z %*% dirs[, u])
    o <- order(t)
    ts <- t[o]
    i <- seq_len(m - 1L)
    ok <- i >= m_min & i <= m - m_min & ts[i + 1L] - ts[i] > 1e-10 * (1 + abs(ts[i]))
    if (!any(ok)) next
    # RSS of two constant leaves = sum(y^2) - S^2 / i - S^2 / (m - i), S the sum of the first i
    # (y centred: the other sum is -S)
    cs <- cumsum(y[o])[i]
    red <- ifelse(ok, cs^2 / i + cs^2 / (m - i), -Inf)
    b <- which.max(red)
    gain <- c(gain, red[b])
    cut <- c(cut, (ts[b] + ts[b + 1L]) / 2)
  }
  list(gain = gain, cut = cut)
}

# Softmax gate of a start from a partition: the multinomial logistic regression of the part
# labels on the standardised inputs z (last part the reference; at most 15 Newton steps with a
# ridge of 1e-3 n, so that separable parts stay finite), logits multiplied by `sharpen`, kept
# within half the gating bound, and mapped back to the scale of x.
softmax_gate_start <- function(z, cluster, k, sc, control, sharpen = 1) {
  n <- nrow(z)
  Z <- cbind(1, z)
  p <- ncol(Z)
  K <- k - 1L
  Y <- outer(cluster, seq_len(K), "==") * 1
  lambda <- 1e-3 * n
  B <- matrix(0, p, K)  # column j: part j's (intercept, slopes)
  for (it in 1:15) {
    L <- cbind(Z %*% B, 0)
    top <- L[, 1]
    for (j in seq_len(K)) top <- pmax(top, L[, j + 1L])
    P <- exp(L - top)
    P <- (P / rowSums(P))[, seq_len(K), drop = FALSE]
    g <- as.vector(crossprod(Z, Y - P) - lambda * B)
    H <- diag(lambda, K * p)
    for (a in seq_len(K)) for (b in seq_len(K)) {
      w <- if (a == b) P[, a] * (1 - P[, a]) else -P[, a] * P[, b]
      H[(a - 1L) * p + seq_len(p), (b - 1L) * p + seq_len(p)] <- H[(a - 1L) * p + seq_len(p), (b - 1L) * p + seq_len(p)] +
        crossprod(Z, Z * w)
    }
    step <- solve(H, g)
    B <- B + step
    if (max(abs(step)) < 1e-6) break
  }
  B <- B * sharpen
  big <- max(abs(B))
  if (is.finite(control$bound_gate) && big > 0.5 * control$bound_gate) B <- B * 0.5 * control$bound_gate / big
  beta1 <- rbind(sweep(t(B[-1, , drop = FALSE]), 2, sc$sx, "/"), 0)
  list(beta0 = c(B[1, ] - drop(beta1[seq_len(K), , drop = FALSE] %*% sc$mx), 0), beta1 = beta1)
}

# On data of at least collect_rows rows, R's garbage is collected where a fit has just dropped
# much of it (R collects lazily, when its heap's headroom is used up, which grows with the data):
# after each data and tree start, which allocate about 4-8 MB each on their subsamples (of 5000 or
# 2000 rows, whatever n; at n = 5e6 the default 20 of them left 80 MB of garbage on top of the
# copies of the data, the peak of the whole fit), and once the copies of the data on the fitting
# scale are dropped, before the fitted values are allocated (moe_fit()). A collection of the
# youngest generation takes milliseconds, a full one some tens (bench/memory.R, issue 30).
collect_rows <- 1e6
collect_garbage <- function(n, full = FALSE) {
  if (n >= collect_rows) invisible(gc(verbose = FALSE, full = full))
}

# Starts as columns of a matrix (n_free x S). "mixed": a fifth k-means starts (at least one), a
# fifth tree starts (none with k = 1 or fewer than 3 starts), the rest random.
make_starts <- function(x, y, k, expert, control, gate = "softmax", sc = data_scales(x, y)) {
  kinds <- switch(control$start_strategy,
    data = rep("data", control$n_starts),
    tree = rep("tree", control$n_starts),
    random = rep("random", control$n_starts),
    mixed = {
      n_data <- max(1L, round(control$n_starts / 5))
      n_tree <- if (k > 1) min(round(control$n_starts / 5), control$n_starts - n_data) else 0L
      c(rep("data", n_data), rep("tree", n_tree), rep("random", control$n_starts - n_data - n_tree))
    }
  )
  b <- theta_bounds(k, ncol(x), expert, control, gate)
  vapply(kinds, function(kind) {
    s <- switch(kind, data = data_start(x, y, k, expert, control, sc, gate),
                tree = tree_start(x, y, k, expert, control, sc, gate), random_start(x, y, k, expert, sc, gate))
    if (kind != "random") collect_garbage(nrow(x))
    # keep every start within 90% of its bounds (see data_start())
    pmin(pmax(pack_theta(s$beta0, s$beta1, s$eta, gate), 0.9 * b$lower), 0.9 * b$upper)
  }, numeric(n_free_params(k, ncol(x), expert_q(expert, ncol(x)), gate)))
}
