#' Strong identifiability of an expert family, decided in high precision
#'
#' Decides numerically whether an expert family \eqn{h(x, \eta)} is *strongly identifiable*
#' (Nguyen, Ho and Rinaldo 2024): whether, for pairwise distinct atoms
#' \eqn{\eta_1, \dots, \eta_k}, the functions of \eqn{x}
#' \deqn{\Big\{ x^\nu \frac{\partial^{|\gamma|} h}{\partial \eta^\gamma}(x, \eta_j) :\;
#'   j = 1, \dots, k,\; 0 \le |\nu| + |\gamma| \le \mathrm{order} \Big\}}{{ x^nu d^|gamma| h / d eta^gamma (x, eta_j) : j = 1..k, 0 <= |nu| + |gamma| <= order }}
#' (\eqn{\nu \in N^d}{nu in N^d}, \eqn{\gamma \in N^q}{gamma in N^q} multi-indices, `order = 2` in the paper) are
#' linearly independent. They are the Taylor terms in \eqn{(\beta_1, \eta)} at \eqn{\beta_1 = 0}
#' of \eqn{H(x; \beta_1, \eta) = \exp(\beta_1^\top x) h(x, \eta)}{H(x; beta1, eta) = exp(beta1' x) h(x, eta)},
#' and are named accordingly: `"h[j]"`, `"dH/dbeta1[j]"`, `"dH/da[j]"`, `"d2H/dbeta1 db[j]"`,
#' `"d2H/da^2[j]"`, ... for \eqn{d = 1}, and `"dH/dbeta1_2[j]"`, `"dH/da1[j]"`, ... for
#' \eqn{d > 1} (`a`, `b`, `c` as in [experts]; `[j]` is the atom).
#'
#' With `eta`, the check decides for those atoms. Without `eta`, it addresses the definition,
#' which quantifies over every \eqn{k} and every set of distinct atoms: it draws `n_configs`
#' random atom sets for each \eqn{k} in `k` and reports either the first configuration whose
#' family is dependent, with its relations ("not strongly identifiable"), or that the family was
#' independent at all configurations tested, with the smallest ratio seen.
#'
#' **Algorithm** (C++ core, `inst/include/lsmoe/identifiability.hpp`). The family is evaluated at
#' the points (by default a Chebyshev grid on `box`^d with at least 4 points per term) into an
#' n x m matrix, one column per term, in the working precision. Within an atom, terms that
#' coincide are counted once (the definition takes a set of functions) and reported in `merged`:
#' for every ridge expert \eqn{x_u \partial h / \partial b = \partial h / \partial a_u}{x_u dh/db = dh/da_u}, that is
#' \eqn{\partial^2 H / \partial \beta_{1u} \partial b = \partial H / \partial a_u}{d^2 H / (d beta_{1u} d b) = dH/da_u}, the PDE linking
#' gate and expert of the paper, and \eqn{x_u \partial h/\partial a_v = x_v \partial h / \partial a_u}{x_u dh/da_v = x_v dh/da_u}.
#' The columns are scaled to unit norm (an identically zero column, such as
#' \eqn{\partial^2 H / \partial b^2}{d^2 H / db^2} of a linear expert, is a relation by itself and stays zero),
#' and the ratio \eqn{s_m / s_1} of the smallest to the largest singular value is computed
#' (Householder QR, then two-sided Jacobi SVD).
#'
#' **Why high precision.** The family of a smooth expert on a bounded set is ill-conditioned:
#' independent families have true ratios down to \eqn{10^{-31}} and below (three gentle sigmoid
#' atoms on \eqn{[-1, 1]}), which double precision (rounding at about \eqn{10^{-16}}) cannot tell
#' from an exact dependence. In a working precision of \eqn{b} bits the ratio of an exactly
#' dependent family is at rounding level, about \eqn{2^{-b}}; the ratio of an independent family
#' does not depend on \eqn{b}. The check therefore computes the ratio in 150 and in 300 bits
#' (Boost.Multiprecision `cpp_bin_float`, through the BH package) and decides:
#' * **not identifiable** when a column is exactly zero or the 300-bit ratio is at most
#'   \eqn{2^{-0.75 \times 300} \approx 1.9 \times 10^{-68}}{2^(-0.75 * 300), about 1.9e-68};
#' * **identifiable** when the 300-bit ratio is above that and the 150-bit ratio agrees with it
#'   within a factor of 10;
#' * **undecided** otherwise (a true ratio below the resolution of 150 bits, about
#'   \eqn{10^{-40}}): the result says what to try: a wider `box` (a wider range of \eqn{x}
#'   improves the conditioning of smooth families), more points, atoms further apart.
#'
#' **Sigmoid gating** (`gate = "sigmoid"`; Nguyen, Ho and Rinaldo 2024b). Each expert has its own
#' gate, and the family is built from the derivatives of
#' \eqn{F(x; \beta_1, \beta_0, \eta) = \mathrm{sigmoid}(\beta_1^\top x + \beta_0)\, h(x, \eta)}{F(x; beta1, beta0, eta) = sigmoid(beta1'x + beta0) h(x, eta)},
#' named `"dF/dbeta0[j]"`, `"dF/dbeta1[j]"`, `"d2F/dbeta1 da[j]"`, ...:
#' * `regime = 1` (over-specified true atoms with zero gating slope; *strong* identifiability):
#'   at \eqn{\beta_1 = 0} and the atom's intercept \eqn{\beta_{0j}},
#'   \deqn{\Big\{ \frac{\partial^{|g_1| + |g_2|} F}{\partial \beta_1^{g_1} \partial \eta^{g_2}} :\;
#'     1 \le |g_1| + |g_2| \le 2 \Big\} \cup \Big\{ \frac{\partial F}{\partial \beta_0} \Big\},}{{ d^(|g1|+|g2|) F / d beta1^g1 d eta^g2 : 1 <= |g1| + |g2| <= 2 } and dF/dbeta0,}
#'   the second-order family and the first derivatives of \eqn{F}. At \eqn{\beta_1 = 0} these are
#'   \eqn{\sigma^{(|g_1|)}(\beta_{0j})\, x^{g_1} \partial^{g_2} h}{sigma^(|g1|)(beta_{0j}) x^g1 d^g2 h / d eta^g2} and \eqn{\sigma'(\beta_{0j}) h}: the
#'   functions of the softmax family (with \eqn{h} as \eqn{\partial F / \partial \beta_0}{dF/d beta_0}) times constants,
#'   so for \eqn{\beta_{0j} \ne 0}{beta_{0j} != 0} the verdict is the softmax one. The gate's PDE
#'   \eqn{\partial^2 F / \partial \beta_1 \partial b = \partial^2 F / \partial a \partial \beta_0 =
#'   (1 - \sigma(\beta_0))\, \partial F / \partial a}{d^2 F / (d beta_1 d b) = d^2 F / (d a d beta_0) = (1 - sigma(beta_0)) dF/da}, which holds for every ridge expert, makes two members
#'   one function up to a constant; they are counted once (as \eqn{x \partial h / \partial b =
#'   \partial h / \partial a}{x dh/db = dh/da} is under softmax gating) and `merged` gives the `factor`
#'   (`term = factor * kept`; the kept name shows `(~ term)`). \eqn{\sigma''(0) = 0}, so
#'   \eqn{\beta_{0j} = 0} makes \eqn{\partial^2 F / \partial \beta_1^2}{d^2 F / d beta_1^2} identically zero: regime 1 needs
#'   \eqn{\beta_{0j} \ne 0}{beta_{0j} != 0}. Default \eqn{\beta_{0j} = 1} for every atom (any non-zero value gives the same
#'   verdict: it only rescales columns).
#' * `regime = 2` (some true slope non-zero; *weak* identifiability): the first derivatives
#'   \eqn{\partial F / \partial \beta_1 = \sigma'(g) x h}{dF/d beta_1 = sigma'(g) x h}, \eqn{\partial F / \partial \beta_0 = \sigma'(g) h}{dF/d beta_0 = sigma'(g) h},
#'   \eqn{\partial F / \partial \eta = \sigma(g) \partial h / \partial \eta}{dF/d eta = sigma(g) dh/d eta} at the atoms
#'   \eqn{(\beta_{1j}, \beta_{0j}, \eta_j)}, \eqn{g = \beta_{1j}^\top x + \beta_{0j}}{g = beta_{1j}' x + beta_{0j}}; `beta1` is required.
#'   Here the gate factors vary with \eqn{x}, so no terms are merged.
#'
#' **Zero columns and ReLU.** The derivatives are those of the core: for ReLU the almost-everywhere
#' ones (the definition asks for independence for almost every \eqn{x}), so every second derivative in
#' \eqn{\eta} is the zero function, a relation by itself (`zero_terms`), under either gate. The verdict
#' does not rest on them alone: ReLU is positively homogeneous, so Euler's relation
#' \eqn{\partial F / \partial \beta_0 = (1 - \sigma(\beta_0))(a^\top \partial F / \partial a + b\, \partial F / \partial b)}{dF/d beta_0 = (1 - sigma(beta_0)) (a' dF/da + b dF/db)}
#' holds among the first derivatives at \eqn{\beta_1 = 0} (indeed
#' \eqn{\sigma(\beta_0) \mathrm{relu}(z) = \sigma(\beta_0') \mathrm{relu}(c z)}{sigma(beta_0) relu(z) = sigma(beta_0') relu(c z)} with
#' \eqn{c = \sigma(\beta_0) / \sigma(\beta_0')}: the parameters of a zero-slope ReLU atom are not
#' identifiable). In regime 2, where \eqn{1 - \sigma(g)} varies with \eqn{x}, that relation disappears.
#'
#' With `prescreen = TRUE` (default) a double-precision ratio of at least \eqn{10^{-10}}, far
#' above rounding, settles "identifiable" at once (`decided_by = "double"`).
#'
#' **Relations.** For a dependent family, the right singular vectors of the 300-bit singular
#' values below the threshold span the null space. A readable basis comes from Gauss-Jordan
#' elimination with pivots on zero columns, later atoms and higher-order terms; each relation
#' \eqn{\sum_t c_t \mathrm{term}_t(x) = 0}{sum_t c_t term_t(x) = 0} is returned on the scale of the original terms with its
#' pivot coefficient 1, accurate to far better than \eqn{10^{-20}}: for a linear expert
#' \eqn{2x + 0.5}, `c("h[1]" = 1, "dH/da[1]" = -2, "dH/db[1]" = -0.5)`, Euler's relation
#' \eqn{h = a \partial h / \partial a + b \partial h / \partial b}{h = a dh/da + b dh/db}.
#'
#' **Verdicts for the built-in families** (order 2, distinct atoms, \eqn{a \ne 0}{a != 0}):
#' * `expert_sigmoid()`, `expert_tanh()`, `expert_gelu()`: identifiable for generic atoms, but
#'   **not** when two atoms satisfy \eqn{\eta_i = -\eta_j}: \eqn{\sigma(-z) = 1 - \sigma(z)},
#'   tanh is odd and \eqn{\mathrm{gelu}(-z) = \mathrm{gelu}(z) - z}{gelu(-z) = gelu(z) - z}, so for instance
#'   \eqn{\partial h / \partial b}{dh/db} is the same function at both atoms. Strong identifiability of
#'   these families needs \eqn{\eta_i \ne \pm \eta_j}{eta_i != +-eta_j}; random atom draws never hit the exception.
#' * `expert_linear()`, `expert_polynomial(p)`, `expert_constant()`: not identifiable (zero or
#'   constant second derivatives, Euler's relation for homogeneous \eqn{h}, derivatives shared by
#'   all atoms).
#' * `expert_relu()`: not identifiable: the core uses the a.e. derivatives, so all second
#'   derivatives in \eqn{\eta} are zero columns, and ReLU is positively homogeneous.
#' * Any family with an output weight (`output_weight = TRUE`): not identifiable:
#'   \eqn{h = c\phi}{h = c phi} gives \eqn{\partial^2 H / \partial c^2 = 0}{d^2 H / dc^2 = 0} and
#'   \eqn{h = c\, \partial h / \partial c}{h = c dh/dc} (a property of the parameterisation).
#'
#' **Cost.** The high-precision SVD costs about \eqn{m^3} operations on 300-bit numbers for
#' \eqn{m} terms: about 0.1-1 s for \eqn{d = 1} and \eqn{k \le 3} (\eqn{m \le 27}), several
#' seconds for \eqn{d = 2}, \eqn{k = 3} (\eqn{m = 54}) unless the pre-screen settles it. The
#' check is not interruptible while one configuration runs.
#'
#' **Limits** (checked before anything is allocated, errors of class `lsmoe_error_input`):
#' every entry of `eta` is 0 or has absolute value in \eqn{[10^{-8}, 10^4]}; points (`x` or
#' `box`) lie in \eqn{[-10^4, 10^4]}; the largest \eqn{|a^\top x + b|}{|a' x + b|} over atoms and points is at
#' most \eqn{10^8}; polynomial values stay below \eqn{10^{100}}; at most \eqn{10^5} points, at most
#' \eqn{2 \times 10^6}{2 * 10^6} matrix entries (points times terms) and at most 300 terms.
#'
#' @param expert Expert family: an object from [experts] such as `expert_sigmoid()`, or its
#'   name as a string.
#' @param eta Expert parameters: numeric matrix k x q, one row per atom, finite, with pairwise
#'   distinct rows; q = d + 1 for ridge experts \eqn{(a, b)}, d + 2 with an output weight
#'   \eqn{(a, b, c)}, 1 for [expert_constant()]. A plain vector is one atom (k = 1), except for
#'   the constant expert, where it holds one value \eqn{b} per atom. `NULL` (default): test
#'   random configurations (see Details, `k`, `n_configs`).
#' @param d Input dimension, whole number >= 1, or `NULL` (default): taken from `x` when given,
#'   else from `ncol(eta)` for ridge experts, else 1.
#' @param order Order of the family, 1 or 2 (default 2, the paper's definition).
#' @param n_x Number of evaluation points when `x` is `NULL`: `NULL` (default) for 4 per term
#'   (before merging), else a whole number >= the number of terms, at most 1e5. Chebyshev points
#'   are a tensor grid, so the count is rounded up to a power of `d`.
#' @param x Optional numeric matrix n x d of evaluation points (a vector is one column), finite;
#'   overrides `n_x`, `box` and `points`.
#' @param box Numeric vector `c(lower, upper)`, the interval whose `d`-th power holds the
#'   points; default `c(-1, 1)`.
#' @param points `"chebyshev"` (default: Chebyshev points of the first kind on `box`, tensor
#'   grid) or `"uniform"` (independent uniform draws on `box`^d with [stats::runif()]).
#' @param k Numbers of atoms to test when `eta` is `NULL`: whole numbers >= 1; default `1:3`.
#' @param n_configs Number of random atom sets per value of `k` when `eta` is `NULL`, whole
#'   number >= 1; default 4. Atoms: slopes \eqn{a_u = \pm U(0.5, 2.5)}{a_u = +-U(0.5, 2.5)}, intercepts
#'   \eqn{b \sim U(-1.5, 1.5)}{b ~ U(-1.5, 1.5)}, output weights \eqn{c = \pm U(0.5, 2)}{c = +-U(0.5, 2)}; constant experts
#'   \eqn{b \sim U(-2, 2)}{b ~ U(-2, 2)}.
#' @param seed `NULL` (default: use the current state of the random number generator) or a whole
#'   number passed to [set.seed()] for the random atoms and uniform points; the generator's previous
#'   state is restored afterwards.
#' @param prescreen Logical, default `TRUE`: let a double-precision ratio of at least 1e-10 settle
#'   "identifiable".
#' @param tol Deprecated and ignored (the thresholds now follow from the working precision);
#'   giving it raises a warning of class `lsmoe_warning_deprecated`.
#' @param gate The gate whose family is checked: `"softmax"` (default: the seed paper's family, results as
#'   before this argument existed) or `"sigmoid"`, as a name, a [gates] object (`gate_softmax()`,
#'   `gate_sigmoid()`) or the constructor.
#' @param regime Sigmoid gate only: `1` (default; strong identifiability, the second-order family at
#'   \eqn{\beta_1 = 0}) or `2` (weak identifiability, the first-order family at \eqn{(\beta_1, \beta_0, \eta)}).
#'   The order follows from it (2 or 1); giving a different `order` is an error.
#' @param beta0 Sigmoid gate with `eta` only: the atoms' gating intercepts, one number or one per atom,
#'   finite, \eqn{|\beta_0| \le 10^4}; `NULL` (default) is 1 for every atom. Without `eta`:
#'   \eqn{\beta_{0j} \sim U(-1.5, 1.5)}{beta_{0j} ~ U(-1.5, 1.5)}.
#' @param beta1 Sigmoid gate, `regime = 2`, with `eta`: the atoms' gating slopes, a k x d matrix (a
#'   vector: k values for d = 1, or d values for one atom), required. Regime 1: `NULL` (the family is taken
#'   at \eqn{\beta_1 = 0}). Without `eta`: \eqn{\beta_{1ju} = \pm U(0.5, 2.5)}{beta_{1ju} = +-U(0.5, 2.5)}.
#' @returns An object of class `identifiability_check`, a list with
#' * `identifiable`: `TRUE`, `FALSE`, or `NA` (undecided); `verdict`: `"identifiable"`,
#'   `"not identifiable"` or `"undecided"`; `advice`: what to try when undecided, else `""`;
#' * `scope`: `"atoms"` (with `eta`) or `"universal"` (random configurations);
#' * `expert`, `d`, `order`, `eta` (k x q matrix: the atoms checked, or in the universal scope
#'   those of the deciding configuration: the first dependent one, else the one with the smallest
#'   ratio), `n_x` (number of points);
#' * `ratio`: smallest / largest singular value in the highest precision computed;
#'   `ratios`: named vector `double`, `bits150`, `bits300` (`NA` where not computed);
#'   `singular_values`: the spectrum behind `ratio`; `decided_by`: `"double"` or
#'   `"high precision"`; `threshold`: the 300-bit dependence threshold;
#' * `terms`: names of the columns kept (a kept term that coincides with others carries their
#'   names too, e.g. `"dH/da[1] (= d2H/dbeta1 db[1])"`); `merged`: data frame (`atom`, `term`,
#'   `kept`) of coincident terms counted once; `zero_terms`: identically zero terms;
#' * `relations`: list of named numeric vectors, one per null-space direction (empty when
#'   identifiable);
#' * universal scope only: `configs`, a data frame with one row per configuration tested
#'   (`config`, `k`, `ratio_double`, `ratio_150`, `ratio_300`, `verdict`, `decided_by`,
#'   `seconds`), and `check`, the full result for the deciding configuration;
#' * `gate`, the [gates] object; sigmoid gate only: `regime`, `beta0` (length k) and `beta1` (k x d:
#'   zero in regime 1) of the atoms checked (or of the deciding configuration), and a column `factor`
#'   in `merged`.
#'
#' `print()` shows the verdict, the ratios, the relations written like `"d2H/db^2[1] = 0"` or
#' `"h[1] - 2 dH/da[1] - 0.5 dH/db[1] = 0"`, and the coincident terms; it returns `x` invisibly.
#'
#' Errors of class `lsmoe_error_input`: unknown `gate`; `regime` not 1 or 2, or given with the softmax
#' gate; `beta0`/`beta1` invalid, given with the softmax gate or without `eta`, `beta1` non-zero in regime 1
#' or missing in regime 2; `order` contradicting `regime`; unknown `expert`; `eta` not numeric, empty, not finite,
#' with the wrong number of columns or duplicated rows; invalid `order`, `d`, `n_x`, `x`, `box`,
#' `points`, `k`, `n_configs`, `seed` or `prescreen`; `d` not matching `ncol(x)`; fewer points
#' than terms; values beyond the limits above.
#' @references
#' Nguyen, H., Ho, N. and Rinaldo, A. (2024). On least squares estimation in softmax gating
#' mixture of experts. ICML 2024, PMLR 235. \doi{10.48550/arXiv.2402.02952}
#'
#' Nguyen, H., Nguyen, T. and Ho, N. (2023). Demystifying softmax gating function in Gaussian
#' mixture of experts. NeurIPS 2023. \doi{10.48550/arXiv.2305.03288}
#'
#' Nguyen, H., Ho, N. and Rinaldo, A. (2024b). Sigmoid gating is more sample efficient than softmax
#' gating in mixture of experts. NeurIPS 2024. \doi{10.48550/arXiv.2405.13997}
#' @seealso [experts], [voronoi_loss()]
#' @examples
#' eta <- rbind(c(1.5, -0.7), c(2, 0.4))   # two atoms (a, b), d = 1
#' check_identifiability(expert_sigmoid(), eta)
#'
#' lin <- check_identifiability(expert_linear(), eta)
#' lin$relations[[length(lin$relations)]]   # Euler: h = a dH/da + b dH/db
#'
#' # the exception: eta_2 = -eta_1
#' check_identifiability(expert_tanh(), rbind(c(1.5, -0.7), c(-1.5, 0.7)))$verdict
#'
#' # random configurations, k = 1 and 2
#' check_identifiability(expert_relu(), d = 1, k = 1:2, n_configs = 2, seed = 1)
#'
#' # sigmoid gating: regime 1 (beta1 = 0) and regime 2 (the atoms' slopes)
#' check_identifiability(expert_gelu(), eta, gate = "sigmoid", beta0 = c(-0.5, 1))$verdict
#' check_identifiability(expert_linear(), eta, gate = gate_sigmoid(), regime = 2,
#'                       beta1 = c(2, -1.5), beta0 = c(0.3, -0.2))$verdict
#' @export
check_identifiability <- function(expert, eta = NULL, d = NULL, order = 2, n_x = NULL, x = NULL,
                                  box = c(-1, 1), points = c("chebyshev", "uniform"), k = 1:3,
                                  n_configs = 4, seed = NULL, prescreen = TRUE, tol = NULL,
                                  gate = "softmax", regime = 1, beta0 = NULL, beta1 = NULL) {
  # Longer than 60 lines: its length is the validation of every argument, one after another, before the check of the given atoms or of each random atom configuration.
  expert <- as_expert(expert)
  gate <- as_gate(gate, "gate")
  sig <- gate$name == "sigmoid"
  if (!is.numeric(regime) || length(regime) != 1 || is.na(regime) || !(regime %in% c(1, 2))) {
    lsmoe_abort(sprintf("`regime` must be 1 (strong identifiability) or 2 (weak), not %s.", describe(regime)),
                arg = "regime")
  }
  regime <- as.integer(regime)
  if (!sig) {
    if (regime != 1) {
      lsmoe_abort("`regime` applies to the sigmoid gate only (gate = \"sigmoid\"); the softmax check has one family.",
                  arg = "regime")
    }
    if (!is.null(beta0)) lsmoe_abort("`beta0` applies to the sigmoid gate only (gate = \"sigmoid\").", arg = "beta0")
    if (!is.null(beta1)) lsmoe_abort("`beta1` applies to the sigmoid gate only (gate = \"sigmoid\").", arg = "beta1")
  } else {
    need <- if (regime == 1L) 2L else 1L
    if (!missing(order) && !(is.numeric(order) && length(order) == 1 && !is.na(order) && order == need)) {
      lsmoe_abort(sprintf(paste0("With the sigmoid gate the order follows from `regime`: %d in regime %d; leave `order` ",
                                 "out (received %s)."), need, regime, describe(order)), arg = "order")
    }
    order <- need
    if (is.null(eta) && (!is.null(beta0) || !is.null(beta1))) {
      lsmoe_abort("`beta0` and `beta1` go with `eta` (given atoms); without `eta` the gates are drawn at random.",
                  arg = if (!is.null(beta0)) "beta0" else "beta1")
    }
  }
  if (!is.null(tol)) {
    lsmoe_warn(paste0("`tol` is deprecated and ignored: the check now decides in 150 and 300 bits, ",
                      "with thresholds that follow from the precision."),
               class = c("lsmoe_warning_deprecated"))
  }
  if (!is.numeric(order) || length(order) != 1 || is.na(order) || !(order %in% c(1, 2))) {
    lsmoe_abort(sprintf("`order` must be 1 or 2, not %s.", describe(order)), arg = "order")
  }
  order <- as.integer(order)
  points <- match_arg_classed(points, c("chebyshev", "uniform"), "points")
  prescreen <- check_flag(prescreen, "prescreen")
  if (!is.null(seed)) seed <- check_count(seed, "seed", min = 0)
  box <- check_box(box)
  if (!is.null(d)) d <- check_count(d, "d", min = 1)
  if (!is.null(x)) {
    x <- check_x(x)
    if (!is.null(d) && d != ncol(x)) {
      lsmoe_abort(sprintf("`d` (%d) must equal the number of columns of `x` (%d).", d, ncol(x)), arg = "d")
    }
    d <- ncol(x)
    if (max(abs(x)) > ident_limits$x) {
      lsmoe_abort(sprintf("`x` must lie in [-%g, %g] (the check's range), not up to %s.", ident_limits$x,
                          ident_limits$x, format(max(abs(x)))), arg = "x")
    }
  }
  if (!is.null(n_x)) n_x <- check_count(n_x, "n_x", min = 1)
  if (!is.null(n_x) && n_x > ident_limits$n_x) {
    lsmoe_abort(sprintf("`n_x` must be at most %g (the check's limit), not %s.", ident_limits$n_x, format(n_x)), arg = "n_x")
  }
  if (!is.null(seed)) {
    old <- if (exists(".Random.seed", envir = globalenv(), inherits = FALSE)) get(".Random.seed", envir = globalenv()) else NULL
    on.exit(if (is.null(old)) rm(".Random.seed", envir = globalenv()) else assign(".Random.seed", old, envir = globalenv()),
            add = TRUE)
    set.seed(seed)
  }
  if (!is.null(eta)) {
    eta <- check_ident_eta(eta, expert, d, dup = !(sig && regime == 2L))
    d <- attr(eta, "d")
    attr(eta, "d") <- NULL
    gp <- if (sig) check_ident_gate(beta0, beta1, regime, eta, d) else NULL
    return(ident_check_atoms(expert, eta, d, order, n_x, x, box, points, prescreen, gate, regime, gp))
  }
  # universal scope: random configurations
  if (is.null(d)) d <- 1L
  if (!is.numeric(k) || length(k) == 0 || anyNA(k) || any(k != round(k)) || any(k < 1) || any(k > 20)) {
    lsmoe_abort(sprintf("`k` must be whole numbers between 1 and 20, not %s.", describe(k)), arg = "k")
  }
  k <- sort(unique(as.integer(k)))
  n_configs <- check_count(n_configs, "n_configs", min = 1)
  # validate the largest configuration before any work
  ident_check_size(expert, d, max(k), order, n_x, x, "k")
  results <- list()
  rows <- list()
  for (kk in k) {
    for (r in seq_len(n_configs)) {
      eta_r <- ident_random_atoms(expert, d, kk)
      gp <- if (sig) ident_random_gates(d, kk, regime) else NULL
      res <- ident_check_atoms(expert, eta_r, d, order, n_x, x, box, points, prescreen, gate, regime, gp)
      i <- length(results) + 1L
      results[[i]] <- res
      rows[[i]] <- data.frame(config = i, k = kk, ratio_double = res$ratios[["double"]],
                              ratio_150 = res$ratios[["bits150"]], ratio_300 = res$ratios[["bits300"]],
                              verdict = res$verdict, decided_by = res$decided_by, seconds = res$seconds,
                              stringsAsFactors = FALSE)
      if (res$verdict == "not identifiable") break
    }
    if (res$verdict == "not identifiable") break
  }
  configs <- do.call(rbind, rows)
  top <- ifelse(is.na(configs$ratio_300), configs$ratio_double, configs$ratio_300)
  # the deciding configuration: the first dependent one, else the first undecided one, else the one
  # with the smallest ratio
  verdict <- if (any(configs$verdict == "not identifiable")) {
    "not identifiable"
  } else if (any(configs$verdict == "undecided")) {
    "undecided"
  } else {
    "identifiable"
  }
  idx <- if (verdict == "identifiable") which.min(top) else which(configs$verdict == verdict)[1]
  decisive <- results[[idx]]
  out <- decisive
  out$scope <- "universal"
  out$verdict <- verdict
  out$identifiable <- switch(verdict, "identifiable" = TRUE, "not identifiable" = FALSE, NA)
  out$ratio <- if (verdict == "identifiable") min(top) else decisive$ratio
  out$configs <- configs
  out$check <- decisive
  out$k <- k
  out$n_configs <- n_configs
  out$advice <- if (verdict == "undecided") decisive$advice else ""
  out
}

# "strongly" or "weakly" (sigmoid gate, regime 2) identifiable
ident_kind <- function(x) if (identical(x$gate$name, "sigmoid") && identical(x$regime, 2L)) "weakly" else "strongly"

ident_gate_label <- function(x) {
  if (is.null(x$gate) || x$gate$name == "softmax") return("gate: softmax (terms of H = exp(beta1'x) h at beta1 = 0)")
  if (identical(x$regime, 2L)) return("gate: sigmoid, regime 2 (weak: first derivatives of F = sigmoid(beta1'x + beta0) h)")
  "gate: sigmoid, regime 1 (strong: derivatives of F = sigmoid(beta1'x + beta0) h at beta1 = 0)"
}

# Limits of the check (documented under Limits).
ident_limits <- list(eta_max = 1e4, eta_min = 1e-8, x = 1e4, z = 1e8, poly_log10 = 100, n_x = 1e5,
                     cells = 2e6, terms = 300)

match_arg_classed <- function(x, choices, arg) {
  if (identical(x, choices)) return(choices[1])
  if (!is.character(x) || length(x) != 1 || is.na(x) || !(x %in% choices)) {
    lsmoe_abort(sprintf("`%s` must be one of %s, not %s.", arg, paste0('"', choices, '"', collapse = ", "),
                        describe(x)), arg = arg)
  }
  x
}

check_box <- function(box) {
  if (!is.numeric(box) || length(box) != 2 || anyNA(box) || any(!is.finite(box)) || box[1] >= box[2] ||
      max(abs(box)) > ident_limits$x) {
    lsmoe_abort(sprintf("`box` must be c(lower, upper) with -%g <= lower < upper <= %g, not %s.",
                        ident_limits$x, ident_limits$x, describe(box)), arg = "box")
  }
  as.numeric(box)
}

# Number of terms of one atom before merging: multisets of size <= order of the d + q variables.
ident_n_terms <- function(expert, d, order) {
  p <- d + expert_q(expert, d)
  as.integer(1 + p + if (order == 2) p * (p + 1) / 2 else 0)
}

# Check sizes (points, terms, matrix entries) for k atoms before any allocation; returns the number
# of points to use when x is NULL.
ident_check_size <- function(expert, d, k, order, n_x, x, arg_k = "eta") {
  m <- k * ident_n_terms(expert, d, order)
  if (m > ident_limits$terms) {
    lsmoe_abort(sprintf(paste0("The family has %d terms (k = %d atoms, d = %d, order %d); the check handles at most %d ",
                               "(its cost grows like the cube of the number of terms)."),
                        m, k, d, order, ident_limits$terms), arg = arg_k)
  }
  n <- if (!is.null(x)) nrow(x) else if (!is.null(n_x)) n_x else 4L * m
  if (is.null(x)) {
    per <- ceiling(n^(1 / d) - 1e-9)
    n <- max(n, per^d)   # tensor grid (Chebyshev) rounds up
  }
  if (n > ident_limits$n_x || n * m > ident_limits$cells) {
    lsmoe_abort(sprintf(paste0("Too many evaluation points: %s points x %d terms; the check handles at most %g points ",
                               "and %g entries."), format(n), m, ident_limits$n_x, ident_limits$cells),
                arg = if (!is.null(x)) "x" else "n_x")
  }
  m
}

# The points: user x, or a Chebyshev grid / uniform draws on box^d with at least n points.
ident_points <- function(d, n, box, points) {
  if (points == "uniform") {
    return(matrix(stats::runif(n * d, box[1], box[2]), n, d))
  }
  per <- max(2L, as.integer(ceiling(n^(1 / d) - 1e-9)))
  nodes <- cos(pi * (2 * seq_len(per) - 1) / (2 * per))
  nodes <- (box[1] + box[2]) / 2 + (box[2] - box[1]) / 2 * nodes
  as.matrix(unname(expand.grid(rep(list(nodes), d))))
}

ident_random_atoms <- function(expert, d, k) {
  if (!is_ridge(expert)) return(matrix(stats::runif(k, -2, 2), ncol = 1, dimnames = list(NULL, "b")))
  sgn <- function(n) sample(c(-1, 1), n, replace = TRUE)
  a <- matrix(sgn(k * d) * stats::runif(k * d, 0.5, 2.5), k, d)
  b <- stats::runif(k, -1.5, 1.5)
  eta <- cbind(a, b)
  if (expert$output_weight) eta <- cbind(eta, sgn(k) * stats::runif(k, 0.5, 2))
  eta <- unname(eta)
  colnames(eta) <- ident_param_names(expert, d)
  eta
}

# Random gates for the sigmoid gate's universal scope: beta0 ~ U(-1.5, 1.5) (never exactly 0); regime 2 also
# slopes beta1_u = +-U(0.5, 2.5). Drawn after the atoms, so the softmax draws are unchanged.
ident_random_gates <- function(d, k, regime) {
  beta0 <- stats::runif(k, -1.5, 1.5)
  beta1 <- if (regime == 2L) {
    matrix(sample(c(-1, 1), k * d, replace = TRUE) * stats::runif(k * d, 0.5, 2.5), k, d)
  } else {
    matrix(0, k, d)
  }
  list(beta0 = beta0, beta1 = beta1)
}

# Validate the sigmoid gate's intercepts and slopes for k atoms: beta0 NULL (1 for every atom), one value or
# k values; beta1 (regime 2 only, required) a k x d matrix (a vector: k values when d = 1, d values when
# k = 1). Regime 1 evaluates at beta1 = 0: beta1 must be NULL or zero. Returns list(beta0, beta1 = k x d).
check_ident_gate <- function(beta0, beta1, regime, eta, d) {
  k <- nrow(eta)
  lim <- ident_limits$eta_max
  if (is.null(beta0)) beta0 <- rep(1, k)
  if (!is.numeric(beta0) || !(length(beta0) %in% c(1L, k)) || any(!is.finite(beta0)) || any(abs(beta0) > lim)) {
    lsmoe_abort(sprintf("`beta0` must be finite numbers in [-%g, %g], one per atom (%d) or one for all, not %s.",
                        lim, lim, k, describe(beta0)), arg = "beta0")
  }
  beta0 <- rep_len(as.numeric(beta0), k)
  if (regime == 1L) {
    if (!is.null(beta1) && (!is.numeric(beta1) || any(!is.finite(beta1)) || any(beta1 != 0))) {
      lsmoe_abort(paste0("Regime 1 evaluates the family at beta1 = 0 (the over-specified true atoms have zero gating ",
                         "slope): leave `beta1` out, or use regime = 2."), arg = "beta1")
    }
    beta1 <- matrix(0, k, d)
  } else {
    if (is.null(beta1)) {
      lsmoe_abort(sprintf("Regime 2 needs the gating slopes of the atoms: `beta1`, a %d x %d matrix (one row per atom).",
                          k, d), arg = "beta1")
    }
    if (!is.numeric(beta1) || any(!is.finite(beta1)) || any(abs(beta1) > lim) || length(beta1) != k * d ||
        (is.matrix(beta1) && !identical(dim(beta1), c(k, d)))) {
      lsmoe_abort(sprintf("`beta1` must be a finite %d x %d matrix (one row per atom) with entries in [-%g, %g], not %s.",
                          k, d, lim, lim, describe(beta1)), arg = "beta1")
    }
    beta1 <- matrix(as.numeric(beta1), k, d, byrow = !is.matrix(beta1) && k == 1L)
    if (anyDuplicated(cbind(beta1, beta0, eta), MARGIN = 1)) {
      dup <- which(duplicated(cbind(beta1, beta0, eta), MARGIN = 1))[1]
      lsmoe_abort(sprintf("The atoms (beta1, beta0, eta) must be pairwise distinct: atom %d repeats an earlier one.", dup),
                  arg = "eta")
    }
  }
  list(beta0 = beta0, beta1 = unname(beta1))
}

# The check for given atoms (eta: k x q, validated; gp: the sigmoid gate's list(beta0, beta1), else NULL).
ident_check_atoms <- function(expert, eta, d, order, n_x, x, box, points, prescreen, gate = gate_softmax(),
                              regime = 1L, gp = NULL) {
  # Longer than 60 lines: its length is the validation of the points and the limits of the polynomial and ReLU families, before one C++ call.
  sig <- gate$name == "sigmoid"
  m <- ident_check_size(expert, d, nrow(eta), order, n_x, x)
  x_given <- !is.null(x)
  if (!x_given) {
    n <- if (is.null(n_x)) 4L * m else n_x
    x <- ident_points(d, n, box, points)
  }
  if (nrow(x) < m) {
    lsmoe_abort(sprintf("Too few evaluation points: %d for up to %d terms; use at least %d (`n_x` or rows of `x`).",
                        nrow(x), m, m), arg = if (x_given) "x" else "n_x")
  }
  # |z| = |a'x + b| and polynomial values within range
  if (is_ridge(expert)) {
    xmax <- max(abs(x))
    zmax <- max(rowSums(abs(eta[, seq_len(d), drop = FALSE])) * xmax + abs(eta[, d + 1]))
    if (zmax > ident_limits$z) {
      lsmoe_abort(sprintf("|a'x + b| reaches %s at these atoms and points; the check handles at most %g.",
                          format(zmax), ident_limits$z), arg = "eta")
    }
    if (expert$name == "polynomial" && expert$degree * log10(max(1, zmax)) > ident_limits$poly_log10) {
      lsmoe_abort(sprintf(paste0("Polynomial values reach about 1e%d at these atoms and points (degree %d); ",
                                 "the check handles values up to 1e%d. Use smaller atoms or points."),
                          as.integer(ceiling(expert$degree * log10(zmax))), expert$degree, ident_limits$poly_log10),
                  arg = "eta")
    }
  }
  if (sig && regime == 2L) {
    gmax <- max(rowSums(abs(gp$beta1)) * max(abs(x)) + abs(gp$beta0))
    if (gmax > ident_limits$z) {
      lsmoe_abort(sprintf("|beta1'x + beta0| reaches %s at these gates and points; the check handles at most %g.",
                          format(gmax), ident_limits$z), arg = "beta1")
    }
  }
  storage.mode(x) <- "double"
  t0 <- proc.time()[["elapsed"]]
  r <- if (sig) {
    cpp_identifiability(x, eta, expert, order, prescreen, "sigmoid", regime, gp$beta0, t(gp$beta1))
  } else {
    cpp_identifiability(x, eta, expert, order, prescreen, "softmax", 1L, numeric(0), matrix(0, 0, 0))
  }
  secs <- proc.time()[["elapsed"]] - t0
  ratio_of <- function(s) if (is.null(s$ratio)) NA_real_ else s$ratio
  ratios <- c(double = ratio_of(r$double), bits150 = ratio_of(r$lo), bits300 = ratio_of(r$hi))
  top <- if (!is.null(r$hi$ratio)) r$hi else r$double
  advice <- ""
  if (r$verdict == "undecided") {
    advice <- sprintf(paste0("The ratio is %.2g in 300 bits but %.2g in 150 bits: below what 150 bits resolve. ",
                             "Try a wider `box` (or `x` over a wider range), more points (`n_x`), or atoms further apart."),
                      ratios[["bits300"]], ratios[["bits150"]])
  }
  out <- list(
    identifiable = switch(r$verdict, "identifiable" = TRUE, "not identifiable" = FALSE, NA),
    verdict = r$verdict, advice = advice, scope = "atoms", expert = expert, eta = eta, d = as.integer(d),
    order = order, n_x = nrow(x), ratio = top$ratio, ratios = ratios, singular_values = top$singular_values,
    decided_by = r$decided_by, threshold = r$threshold, terms = r$terms, merged = r$merged,
    zero_terms = r$zero_terms, relations = r$relations, seconds = secs, gate = gate
  )
  if (sig) {
    out$merged$factor <- r$merged_factor
    out$regime <- regime
    out$beta0 <- gp$beta0
    out$beta1 <- gp$beta1
  }
  structure(out, class = "identifiability_check")
}

# Validate eta (k x q, finite, distinct rows, within the limits) and work out d. Returns the matrix
# with attr "d".
check_ident_eta <- function(eta, expert, d, dup = TRUE) {
  if (!is.numeric(eta) || length(eta) == 0 || !(is.null(dim(eta)) || is.matrix(eta))) {
    lsmoe_abort(sprintf("`eta` must be a non-empty numeric matrix k x q (one row per atom) or vector (one atom), not %s.",
                        describe(eta)), arg = "eta")
  }
  if (is.null(dim(eta))) eta <- if (is_ridge(expert)) matrix(eta, nrow = 1) else matrix(eta, ncol = 1)
  if (any(!is.finite(eta))) {
    lsmoe_abort(sprintf("`eta` must be finite: it has %d NA, NaN or infinite value(s).", sum(!is.finite(eta))), arg = "eta")
  }
  big <- abs(eta) > ident_limits$eta_max
  tiny <- eta != 0 & abs(eta) < ident_limits$eta_min
  if (any(big) || any(tiny)) {
    lsmoe_abort(sprintf(paste0("Every entry of `eta` must be 0 or have absolute value in [%g, %g] (the check's range); ",
                               "%d entr%s outside, e.g. %s."), ident_limits$eta_min, ident_limits$eta_max,
                        sum(big | tiny), if (sum(big | tiny) == 1) "y is" else "ies are", format(eta[big | tiny][1])),
                arg = "eta")
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
  if (dup && anyDuplicated(eta, MARGIN = 1)) {
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

# "d2H/dbeta1 db[1] - dH/da[1] = 0"
format_relation <- function(rel, digits = 6) {
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

fmt_ratio <- function(r) if (is.na(r)) "-" else format(signif(r, 3))

#' @rdname check_identifiability
#' @param n_show Number of relations and merged terms to print.
#' @param ... Unused.
#' @export
print.identifiability_check <- function(x, n_show = 5, ...) {
  # Longer than 60 lines: a print method: one cat() per line of the printed report.
  orig <- x
  n_show <- check_count(n_show, "n_show", min = 0)
  x <- validate_ident(x)
  cat(sprintf("<identifiability_check> %s expert, h = %s; d = %d, order %d\n", x$expert$name, x$expert$label,
              x$d, x$order))
  cat(ident_gate_label(x), "\n", sep = "")
  kind <- ident_kind(x)
  if (identical(x$scope, "universal")) {
    cf <- x$configs
    cat(sprintf("Random atom configurations: %d tested (k = %s)\n", nrow(cf), paste(unique(cf$k), collapse = ", ")))
    if (x$verdict == "not identifiable") {
      i <- which(cf$verdict == "not identifiable")[1]
      cat(sprintf("Verdict: NOT %s identifiable: configuration %d (k = %d) is dependent\n", kind, i, cf$k[i]))
    } else if (x$verdict == "identifiable") {
      cat(sprintf(paste0("Verdict: %s identifiable (numerically): independent at all %d configurations ",
                         "tested, smallest ratio %s\n"), kind, nrow(cf), fmt_ratio(x$ratio)))
    } else {
      cat(sprintf("Verdict: UNDECIDED at %d of %d configurations (none dependent)\n", sum(cf$verdict == "undecided"),
                  nrow(cf)))
    }
    cat("Deciding configuration, eta =\n")
    print(x$eta)
    if (!is.null(x$beta0)) {
      cat("beta0 =", format(signif(x$beta0, 4)), "\n")
      if (identical(x$regime, 2L)) {
        cat("beta1 =\n")
        print(x$beta1)
      }
    }
    x <- x$check
  } else {
    k <- nrow(x$eta)
    cat(sprintf("k = %d atom%s, %d distinct terms at %d points\n", k, if (k == 1) "" else "s", length(x$terms), x$n_x))
  }
  cat(sprintf("Smallest/largest singular value: %s (double), %s (150 bits), %s (300 bits); decided by %s\n",
              fmt_ratio(x$ratios[["double"]]), fmt_ratio(x$ratios[["bits150"]]), fmt_ratio(x$ratios[["bits300"]]),
              x$decided_by))
  if (x$verdict == "identifiable") {
    cat(sprintf("Verdict for these atoms: %s identifiable (numerically)\n", kind))
  } else if (x$verdict == "undecided") {
    cat("Verdict for these atoms: UNDECIDED.", x$advice, "\n")
  } else {
    nr <- length(x$relations)
    cat(sprintf("Verdict for these atoms: NOT %s identifiable; %d relation%s between terms:\n", kind, nr,
                if (nr == 1) "" else "s"))
    for (rel in x$relations[seq_len(min(nr, n_show))]) cat("  ", format_relation(rel), "\n", sep = "")
    if (nr > n_show) cat(sprintf("  ... and %d more (see $relations)\n", nr - n_show))
  }
  nm <- nrow(x$merged)
  if (nm) {
    cat(sprintf("Coincident terms counted once (%d):\n", nm))
    show <- x$merged[seq_len(min(nm, n_show)), , drop = FALSE]
    for (i in seq_len(nrow(show))) {
      f <- if (is.null(show$factor) || show$factor[i] == 1) "" else paste0(format(signif(show$factor[i], 6)), " ")
      cat("  ", show$term[i], " = ", f, show$kept[i], "\n", sep = "")
    }
    if (nm > n_show) cat(sprintf("  ... and %d more (see $merged)\n", nm - n_show))
  }
  if (x$expert$name %in% c("sigmoid", "tanh", "gelu") && !identical(x$regime, 2L)) {
    cat("Note: atoms with eta_i = -eta_j make this family exactly dependent (it needs eta_i != +-eta_j).\n")
  }
  if (identical(x$gate$name, "sigmoid") && identical(x$regime, 1L)) {
    cat("Note: beta0 = 0 makes d2F/dbeta1^2 identically zero (sigmoid''(0) = 0): regime 1 needs beta0 != 0.\n")
  }
  invisible(orig)
}
