#' Numerical check of strong identifiability of an expert family
#'
#' Checks numerically whether an expert family \eqn{h(x, \eta)} is *strongly identifiable* at
#' given pairwise distinct expert parameters \eqn{\eta_1, \dots, \eta_k}: whether the functions
#' of \eqn{x}
#' \deqn{\Big\{ x^\nu \frac{\partial^{|\gamma|} h}{\partial \eta^\gamma}(x, \eta_j) :\;
#'   j = 1, \dots, k,\; 0 \le |\nu| + |\gamma| \le \mathrm{order} \Big\}}{{ x^nu d^|gamma| h / d eta^gamma (x, eta_j) : j = 1..k, 0 <= |nu| + |gamma| <= order }}
#' (\eqn{\nu \in N^d}, \eqn{\gamma \in N^q} multi-indices) are linearly independent
#' (Nguyen, Ho and Rinaldo 2024, with `order = 2`). They are the Taylor terms in
#' \eqn{(\beta_1, \eta)} at \eqn{\beta_1 = 0} of
#' \deqn{H(x; \beta_1, \eta) = \exp(\beta_1^\top x) h(x, \eta),}{H(x; beta1, eta) = exp(beta1' x) h(x, eta),}
#' since \eqn{\partial^{|\nu| + |\gamma|} H / \partial \beta_1^\nu \partial \eta^\gamma = x^\nu
#' \partial^{|\gamma|} h / \partial \eta^\gamma} there; the terms are named accordingly:
#' `"h[j]"`, `"dH/dbeta1[j]"`, `"dH/da[j]"`, `"d2H/dbeta1 db[j]"`, `"d2H/da^2[j]"`, ... for
#' \eqn{d = 1}, and `"dH/dbeta1_2[j]"`, `"dH/da1[j]"`, `"d2H/dbeta1_1 db[j]"`, ... for
#' \eqn{d > 1} (`a`, `b`, `c` as in [experts]; `[j]` is the atom).
#'
#' **Algorithm.** The family is evaluated at `n` points \eqn{x_1, \dots, x_n} (value, gradient
#' and Hessian of \eqn{h} in \eqn{\eta} from the C++ core) into an n x m matrix, one column per
#' term. A column whose largest absolute value is at most 1e-14 times that of the atom's largest
#' column counts as identically zero. Members of the set that coincide are counted once, as in the definition (it is a set of
#' functions): within one atom, a column equal to an earlier one up to a relative difference of
#' 1e-10 (in max norm) is merged into it and reported in `merged`. For every ridge expert
#' \eqn{x_u \partial h / \partial b = \partial h / \partial a_u}, that is
#' \eqn{\partial^2 H / \partial \beta_{1u} \partial b = \partial H / \partial a_u}: the PDE
#' linking gate and expert of the paper; also \eqn{x_u \partial h/\partial a_v =
#' x_v \partial h / \partial a_u}. An identically zero column (for instance
#' \eqn{\partial^2 H / \partial b^2} of a linear expert) is itself a linear dependence and is
#' kept, unscaled, so that it shows up as a relation. The other columns are scaled to unit
#' Euclidean norm and the singular values \eqn{s_1 \ge \dots \ge s_m} of the scaled matrix are
#' computed. The family is declared **not** identifiable when \eqn{s_m / s_1 \le} `tol`. The
#' right singular vectors of the singular values below `tol * s_1` span the (numerical) null
#' space; it is brought to a readable basis by Gauss-Jordan elimination that prefers pivots on
#' zero columns, later atoms and higher-order terms, coefficients below 1e-3 of the largest
#' (on the unit-norm scale) are dropped, and each relation is returned on the scale of the
#' original terms with its pivot coefficient 1, e.g.
#' `c("h[1]" = 1, "dH/da[1]" = -2, "dH/db[1]" = -0.5)` for
#' \eqn{h = a \partial h / \partial a + b \partial h / \partial b} of a linear expert
#' \eqn{2x + 0.5}.
#'
#' **Tolerance.** The default `tol = 1e-12` sits in the gap between the two groups measured on
#' Uniform\eqn{[-1, 1]^d} points (`n_x` = 2000, order 2, one to three atoms, d = 1 and 2, three
#' random samples each): families with an exact dependence (linear, polynomial, constant, ReLU,
#' output-weighted) gave ratios of at most about 1e-15, the level of floating-point rounding;
#' sigmoid, tanh and GELU experts with one or two well-separated atoms and slopes
#' \eqn{|a| \ge 2} gave ratios from about 4e-12 to 3e-4 (about 3e-8 in d = 1 and 2e-6 in
#' d = 2 for the atoms of the examples and tests). The family of an identifiable expert is a set of smooth functions on a bounded set,
#' so its spectrum still decays: more atoms, slopes \eqn{a} near 0, nearly coincident atoms or
#' saturated activations push it towards rounding level. With three atoms in d = 1 and slopes of
#' size 1 to 3, sigmoid and tanh families reached ratios of 1e-14 to 1e-17, where the check
#' cannot decide in double precision; evaluate on a wider range `x` (for analytic experts,
#' independence on an open set is independence everywhere) or read `singular_values` rather
#' than the verdict alone. `print()` flags a pass within three orders of magnitude of `tol`.
#'
#' **Verdicts for the built-in families** (order 2, distinct atoms, \eqn{a \ne 0}):
#' * `expert_sigmoid()`, `expert_tanh()`: identifiable (the terms reduce to
#'   \eqn{x^\alpha \phi^{(l)}(a_j^\top x + b_j)}, \eqn{|\alpha| \le 2}, \eqn{l \le 2}).
#' * `expert_linear()`, `expert_polynomial(p)`, `expert_constant()`: not identifiable. Their
#'   second derivatives in \eqn{b} vanish or are constant in \eqn{x} (for the linear expert
#'   \eqn{\partial^2 H / \partial b^2 = 0}), they are homogeneous
#'   (\eqn{h = p^{-1} (a^\top \partial h / \partial a + b \partial h / \partial b)}), and
#'   their derivatives are polynomials shared by all atoms. So once the PDE term is counted once,
#'   nothing is left that could separate \eqn{\Delta a} from \eqn{\Delta \beta_1 \Delta b}
#'   in a Taylor expansion, which is why the PDE slows the rates of linear experts but not of
#'   sigmoid experts, for which the \eqn{\phi''} terms are independent.
#' * `expert_relu()`: not identifiable. ReLU is not twice differentiable; the core uses its
#'   a.e. derivatives (\eqn{\phi'' = 0} a.e.), so all second derivatives in \eqn{\eta} are
#'   zero columns, and ReLU is positively homogeneous, so
#'   \eqn{h = a^\top \partial h/\partial a + b \partial h/\partial b} already at `order = 1`.
#'   The check therefore says nothing about other notions of identifiability of ReLU experts.
#' * `expert_gelu()`: identifiable (GELU is smooth and not polynomial), with ratios similar to
#'   sigmoid and tanh.
#' * Any family with an output weight (`output_weight = TRUE`): not identifiable, because
#'   \eqn{h = c\phi} is linear in \eqn{c}: \eqn{\partial^2 H / \partial c^2 = 0} and
#'   \eqn{h = c \partial h / \partial c}. This concerns the parameterisation, not the fitted
#'   regression function.
#'
#' @param expert Expert family: an object from [experts] such as `expert_sigmoid()`, or its
#'   name as a string.
#' @param eta Expert parameters: numeric matrix k x q, one row per atom, finite, with pairwise
#'   distinct rows; q = d + 1 for ridge experts \eqn{(a, b)}, d + 2 with an output weight
#'   \eqn{(a, b, c)}, 1 for [expert_constant()]. A plain vector is one atom (k = 1), except
#'   for the constant expert (q = 1), where it holds one value \eqn{b} per atom.
#' @param d Input dimension, whole number >= 1, or `NULL` (default): taken from `x` when given,
#'   else from `ncol(eta)` for ridge experts, and 1 for the constant expert.
#' @param order Order of the family, 1 or 2 (default 2, the paper's definition): the terms
#'   with \eqn{|\nu| + |\gamma| \le} `order`.
#' @param n_x Number of evaluation points drawn when `x` is `NULL`, whole number >= 1, default
#'   2000; must be at least the number of terms. Points are drawn independently from the
#'   uniform distribution on \eqn{[-1, 1]^d} with [stats::runif()], so [set.seed()] makes the
#'   check reproducible.
#' @param x Optional numeric matrix n x d of evaluation points (a vector is one column), finite;
#'   `NULL` (default) draws `n_x` points as above. Use the support of your inputs.
#' @param tol Relative tolerance: the family is declared rank deficient when the smallest
#'   singular value of the unit-norm-column matrix is at most `tol` times the largest. A number in
#'   (0, 1), or `NULL` (default) for 1e-12 (see Tolerance).
#' @returns An object of class `identifiability_check`, a list with
#' * `identifiable`: logical verdict;
#' * `expert`, `eta` (k x q matrix), `d`, `order`, `tol`, `n_x` (number of evaluation points
#'   used);
#' * `singular_values`: all singular values of the scaled matrix, descending; `ratio`: the
#'   smallest over the largest;
#' * `terms`: names of the columns kept (one per distinct term); a kept term that coincides
#'   with others carries their names too, e.g. `"dH/da[1] (= d2H/dbeta1 db[1])"`, so relations
#'   read in both names;
#' * `merged`: data frame of coincident terms counted once, with columns `atom`, `term` (the
#'   name dropped) and `kept` (the name it coincides with); zero rows when none coincide;
#' * `zero_terms`: names of identically zero terms;
#' * `relations`: list of named numeric vectors, one per null-space direction, each a relation
#'   \eqn{\sum_t c_t \mathrm{term}_t(x) = 0} between the named terms (pivot term first, with
#'   coefficient 1); empty when identifiable.
#'
#' `print()` shows the verdict, the smallest singular values and the relations, written like
#' `"d2H/db^2[1] = 0"` or `"h[1] - 2 dH/da[1] - 0.5 dH/db[1] = 0"`, and the coincident terms
#' (for ridge experts the PDE `"d2H/dbeta1 db[1] = dH/da[1]"`). It returns `x` invisibly.
#'
#' Errors of class `lsmoe_error_input`: unknown `expert`; `eta` not numeric, empty, not finite,
#' with the wrong number of columns for the expert and `d`, or with duplicated rows; `order`
#' not 1 or 2; invalid `d`, `n_x`, `x` or `tol`; `d` not matching `ncol(x)`; fewer evaluation
#' points than terms; expert values or derivatives that overflow (non-finite).
#' @references
#' Nguyen, H., Ho, N. and Rinaldo, A. (2024). On least squares estimation in softmax gating
#' mixture of experts. ICML 2024, PMLR 235. \doi{10.48550/arXiv.2402.02952}
#'
#' Nguyen, H., Nguyen, T. and Ho, N. (2023). Demystifying softmax gating function in Gaussian
#' mixture of experts. NeurIPS 2023. \doi{10.48550/arXiv.2305.03288}
#' @seealso [experts], [voronoi_loss()]
#' @examples
#' set.seed(1)
#' eta <- rbind(c(4, 0.5), c(-5, 1))   # two atoms (a, b), d = 1
#' check_identifiability(expert_sigmoid(), eta)
#'
#' lin <- check_identifiability(expert_linear(), eta)
#' lin
#' lin$merged          # the PDE d2H/dbeta1 db = dH/da, counted once
#' lin$relations[[1]]
#'
#' # d = 2, one atom; order 1 only
#' check_identifiability(expert_tanh(), c(1, -2, 0.3), order = 1)
#' @export
check_identifiability <- function(expert, eta, d = NULL, order = 2, n_x = 2000, x = NULL, tol = NULL) {
  expert <- as_expert(expert)
  if (!is.numeric(order) || length(order) != 1 || is.na(order) || !(order %in% c(1, 2))) {
    lsmoe_abort(sprintf("`order` must be 1 or 2, not %s.", describe(order)), arg = "order")
  }
  order <- as.integer(order)
  tol <- if (is.null(tol)) 1e-12 else check_number(tol, "tol", min = 0, max = 1, strict_min = TRUE)
  if (tol >= 1) lsmoe_abort(sprintf("`tol` must be a number in (0, 1), not %s.", describe(tol)), arg = "tol")
  if (!is.null(d)) d <- check_count(d, "d", min = 1)
  if (!is.null(x)) {
    x <- check_x(x)
    if (!is.null(d) && d != ncol(x)) {
      lsmoe_abort(sprintf("`d` (%d) must equal the number of columns of `x` (%d).", d, ncol(x)), arg = "d")
    }
    d <- ncol(x)
  }
  eta <- check_ident_eta(eta, expert, d)
  d <- attr(eta, "d")
  attr(eta, "d") <- NULL
  x_given <- !is.null(x)
  if (!x_given) {
    n_x <- check_count(n_x, "n_x", min = 1)
    x <- matrix(stats::runif(n_x * d, -1, 1), n_x, d)
  }
  storage.mode(x) <- "double"
  fam <- identifiability_family(expert, eta, x, order)
  if (nrow(x) < ncol(fam$M)) {
    lsmoe_abort(sprintf("Too few evaluation points: %d for %d terms; use at least %d (`n_x` or rows of `x`).",
                        nrow(x), ncol(fam$M), ncol(fam$M)), arg = if (x_given) "x" else "n_x")
  }
  M <- fam$M
  if (any(!is.finite(M))) {
    lsmoe_abort(paste0("The expert or its derivatives overflow at these `eta` and evaluation points ",
                       "(non-finite values); use smaller parameters or inputs."), arg = "eta")
  }
  nrm <- sqrt(colSums(M^2))
  scale <- ifelse(fam$zero, 1, nrm)
  Ms <- sweep(M, 2, scale, "/")
  sv <- svd(Ms, nu = 0)
  s <- sv$d
  ratio <- if (s[1] > 0) s[length(s)] / s[1] else 0
  null_idx <- which(s <= tol * s[1])
  relations <- list()
  if (length(null_idx)) {
    relations <- readable_relations(sv$v[, null_idx, drop = FALSE], fam, scale)
  }
  structure(list(
    identifiable = length(null_idx) == 0, expert = expert, eta = eta, d = d, order = order, tol = tol,
    singular_values = s, ratio = ratio, terms = colnames(M), merged = fam$merged,
    zero_terms = colnames(M)[fam$zero], relations = relations, n_x = nrow(x)
  ), class = "identifiability_check")
}

# Validate eta (k x q, finite, distinct rows) and work out d. Returns the matrix with attr "d".
check_ident_eta <- function(eta, expert, d) {
  if (!is.numeric(eta) || length(eta) == 0 || !(is.null(dim(eta)) || is.matrix(eta))) {
    lsmoe_abort(sprintf("`eta` must be a non-empty numeric matrix k x q (one row per atom) or vector (one atom), not %s.",
                        describe(eta)), arg = "eta")
  }
  if (is.null(dim(eta))) eta <- if (is_ridge(expert)) matrix(eta, nrow = 1) else matrix(eta, ncol = 1)
  if (any(!is.finite(eta))) {
    lsmoe_abort(sprintf("`eta` must be finite: it has %d NA, NaN or infinite value(s).", sum(!is.finite(eta))), arg = "eta")
  }
  q <- ncol(eta)
  if (is.null(d)) {
    d <- if (is_ridge(expert)) q - 1L - expert$output_weight else 1L
    if (d < 1) {
      lsmoe_abort(sprintf(paste0("`eta` has %d column(s), too few for the %s expert: it needs d + %d columns (d >= 1), ",
                                 "one row per atom."), q, expert$name, 1L + expert$output_weight), arg = "eta")
    }
  }
  q_need <- expert_q(expert, d)
  if (q != q_need) {
    lsmoe_abort(sprintf(paste0("`eta` must have %d column(s) for the %s expert with d = %d (one row per atom), not %d. ",
                               "A plain vector is one atom."), q_need, expert$name, d, q), arg = "eta")
  }
  if (anyDuplicated(eta, MARGIN = 1)) {
    dup <- which(duplicated(eta, MARGIN = 1))[1]
    lsmoe_abort(sprintf("The rows of `eta` must be pairwise distinct atoms: row %d repeats an earlier row.", dup), arg = "eta")
  }
  storage.mode(eta) <- "double"
  eta <- unname(eta)
  colnames(eta) <- ident_param_names(expert, d)
  attr(eta, "d") <- as.integer(d)
  eta
}

# Short parameter names used in term names: a (d = 1) or a1..ad, b, c; constant: b.
ident_param_names <- function(expert, d) {
  if (!is_ridge(expert)) return("b")
  c(if (d == 1) "a" else paste0("a", seq_len(d)), "b", if (expert$output_weight) "c")
}

ident_gate_names <- function(d) if (d == 1) "beta1" else paste0("beta1_", seq_len(d))

# Multisets of size 0..m of 1..p, as a list of integer vectors (sorted, nondecreasing).
multisets <- function(p, m) {
  out <- list(integer(0))
  if (m >= 1) out <- c(out, as.list(seq_len(p)))
  if (m >= 2) for (u in seq_len(p)) for (v in u:p) out <- c(out, list(c(u, v)))
  out
}

ident_term_name <- function(vars) {
  if (length(vars) == 0) return("h")
  if (length(vars) == 1) return(paste0("dH/d", vars))
  if (vars[1] == vars[2]) return(paste0("d2H/d", vars[1], "^2"))
  paste0("d2H/d", vars[1], " d", vars[2])
}

# Build the n x m matrix of the family, merging coincident columns within each atom.
# Returns list(M (named columns), zero (logical per column), atom, pref (pivot preference rank),
# merged (data frame)).
identifiability_family <- function(expert, eta, x, order) {
  d <- ncol(x)
  q <- ncol(eta)
  gnames <- ident_gate_names(d)
  pnames <- colnames(eta)
  nus <- multisets(d, order)
  gams <- multisets(q, order)
  # term list for one atom, ordered by total order, then gating-first
  spec <- list()
  for (m in 0:order) {
    for (nu in nus) {
      if (length(nu) > m) next
      for (ga in gams) {
        if (length(nu) + length(ga) != m) next
        spec[[length(spec) + 1]] <- list(nu = nu, ga = ga, name = ident_term_name(c(gnames[nu], pnames[ga])))
      }
    }
  }
  n <- nrow(x)
  cols <- list()
  info <- list()
  merged <- list()
  for (j in seq_len(nrow(eta))) {
    ev <- cpp_expert_eval(x, eta[j, ], expert)
    A <- matrix(0, n, length(spec))
    for (t in seq_along(spec)) {
      sp <- spec[[t]]
      v <- switch(length(sp$ga) + 1,
        ev$value,
        ev$gradient[, sp$ga[1]],
        ev$hessian[, (sp$ga[2] - 1) * q + sp$ga[1]]
      )
      for (u in sp$nu) v <- v * x[, u]
      A[, t] <- v
    }
    amax <- apply(abs(A), 2, max)
    zero <- amax <= 1e-14 * max(amax, 1e-300) | amax == 0
    keep <- rep(TRUE, length(spec))
    alias <- rep("", length(spec))
    for (t in seq_along(spec)) {
      if (zero[t]) next
      for (s in seq_len(t - 1)) {
        if (!keep[s] || zero[s]) next
        if (max(abs(A[, t] - A[, s])) <= 1e-10 * max(amax[t], amax[s])) {
          keep[t] <- FALSE
          alias[s] <- paste0(alias[s], sprintf(" (= %s[%d])", spec[[t]]$name, j))
          merged[[length(merged) + 1]] <- data.frame(atom = j, term = sprintf("%s[%d]", spec[[t]]$name, j),
                                                     kept = sprintf("%s[%d]", spec[[s]]$name, j))
          break
        }
      }
    }
    # a kept term carries the names of the coincident terms merged into it, so that relations
    # read in both names (e.g. the gate-expert PDE d2H/dbeta1 db = dH/da of ridge experts)
    nm <- paste0(vapply(spec, function(sp) sprintf("%s[%d]", sp$name, j), ""), alias)
    tot <- vapply(spec, function(sp) length(sp$nu) + length(sp$ga), 0L)
    val <- vapply(spec, function(sp) length(sp$ga) == 0, TRUE)
    B <- A[, keep, drop = FALSE]
    colnames(B) <- nm[keep]
    cols[[j]] <- B
    info[[j]] <- data.frame(zero = zero[keep], atom = j, total = tot[keep], value = val[keep], pos = which(keep))
  }
  M <- do.call(cbind, cols)
  info <- do.call(rbind, info)
  # pivot preference: zero columns, then later atoms, then value terms (h, x h, ...) of higher
  # order, then derivative terms of higher order; ties by position (later first)
  pref <- order(!info$zero, -info$atom, !info$value, -info$total, -info$pos)
  merged <- if (length(merged)) do.call(rbind, merged) else data.frame(atom = integer(0), term = character(0), kept = character(0))
  list(M = M, zero = info$zero, pref = pref, merged = merged)
}

# Readable basis of the null space N (m x r, columns orthonormal, on the unit-norm scale):
# Gauss-Jordan on t(N) with pivots chosen in the family's preference order.
readable_relations <- function(N, fam, scale) {
  R <- t(N)
  r <- nrow(R)
  m <- ncol(R)
  pivots <- integer(0)
  free_rows <- seq_len(r)
  for (col in fam$pref) {
    if (!length(free_rows)) break
    i <- free_rows[which.max(abs(R[free_rows, col]))]
    if (abs(R[i, col]) < 1e-6) next
    R[i, ] <- R[i, ] / R[i, col]
    for (l in setdiff(seq_len(r), i)) R[l, ] <- R[l, ] - R[l, col] * R[i, ]
    pivots <- c(pivots, col)
    free_rows <- setdiff(free_rows, i)
    names(pivots)[length(pivots)] <- i
  }
  nm <- colnames(fam$M)
  out <- lapply(seq_along(pivots), function(p) {
    i <- as.integer(names(pivots)[p])
    v <- R[i, ]
    v[abs(v) < 1e-3 * max(abs(v))] <- 0
    v[pivots[p]] <- 1
    raw <- v / scale
    raw <- raw / raw[pivots[p]]
    idx <- c(pivots[p], setdiff(which(raw != 0), pivots[p]))
    stats::setNames(raw[idx], nm[idx])
  })
  # rows whose pivot was never found (numerically unclear): report them as they are
  rest <- setdiff(seq_len(r), as.integer(names(pivots)))
  for (i in rest) {
    v <- R[i, ]
    v[abs(v) < 1e-3 * max(abs(v))] <- 0
    raw <- v / scale
    raw <- raw / raw[which.max(abs(v))]
    idx <- which(raw != 0)
    out[[length(out) + 1]] <- stats::setNames(raw[idx], nm[idx])
  }
  out
}

# "d2H/dbeta1 db[1] - dH/da[1] = 0"
format_relation <- function(rel, digits = 4) {
  cf <- unname(rel)
  nm <- names(rel)
  parts <- character(length(cf))
  for (i in seq_along(cf)) {
    a <- abs(cf[i])
    coef <- if (abs(a - 1) < 10^(-digits)) "" else paste0(format(signif(a, digits)), " ")
    sgn <- if (cf[i] < 0) "-" else "+"
    parts[i] <- if (i == 1) paste0(if (cf[i] < 0) "-" else "", coef, nm[i]) else paste(sgn, paste0(coef, nm[i]))
  }
  paste(paste(parts, collapse = " "), "= 0")
}

#' @rdname check_identifiability
#' @param n_show Number of smallest singular values, relations and merged terms to print.
#' @param ... Unused.
#' @export
print.identifiability_check <- function(x, n_show = 5, ...) {
  k <- nrow(x$eta)
  cat(sprintf("<identifiability_check> %s expert, h = %s; d = %d, k = %d atom%s, order %d\n",
              x$expert$name, x$expert$label, x$d, k, if (k == 1) "" else "s", x$order))
  cat(sprintf("%d distinct terms at %d points; smallest/largest singular value %s (tol %s)\n",
              length(x$terms), x$n_x, format(signif(x$ratio, 3)), format(x$tol)))
  s <- x$singular_values
  sm <- (s / s[1])[max(1, length(s) - n_show + 1):length(s)]
  cat("Smallest relative singular values:", paste(format(signif(sm, 3)), collapse = ", "), "\n")
  if (x$identifiable) {
    cat("Verdict: strongly identifiable (numerically)\n")
    if (x$ratio < 1e3 * x$tol) {
      cat("  (the ratio is within 3 orders of magnitude of `tol`: ill-conditioned, not conclusive)\n")
    }
  } else {
    nr <- length(x$relations)
    cat(sprintf("Verdict: NOT strongly identifiable; %d relation%s between terms:\n", nr, if (nr == 1) "" else "s"))
    for (rel in x$relations[seq_len(min(nr, n_show))]) cat("  ", format_relation(rel), "\n", sep = "")
    if (nr > n_show) cat(sprintf("  ... and %d more (see $relations)\n", nr - n_show))
  }
  nm <- nrow(x$merged)
  if (nm) {
    cat(sprintf("Coincident terms counted once (%d):\n", nm))
    show <- x$merged[seq_len(min(nm, n_show)), , drop = FALSE]
    for (i in seq_len(nrow(show))) cat("  ", show$term[i], " = ", show$kept[i], "\n", sep = "")
    if (nm > n_show) cat(sprintf("  ... and %d more (see $merged)\n", nm - n_show))
  }
  invisible(x)
}
