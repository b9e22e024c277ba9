# lsmoe fuzzer (`make fuzz`; a short seeded run is tests/testthat/test-fuzz.R).
#
#   Rscript tools/fuzz.R [--calls N] [--seed S] [--timeout SEC] [--only I] [--show K]
#                        [--allow-unclassed] [--allow-nonfinite] [--mem-mb MB] [--self-test]
#                        [--quiet] [--save FILE.rds] [--lib DIR]   (lsmoe from DIR, default $LSMOE_LIB or .lib)
#
# Seeded: the parent draws every call (function, arguments) from R's RNG after set.seed(S), as R
# code, and runs each call in a forked child (parallel::mcparallel), so that a crash (the child
# dies) is attributed to its call and a hang (no answer after --timeout seconds) is detected and
# killed. The children run under a virtual memory limit (--mem-mb, default 6000, through
# `ulimit -v`) so that absurd sizes fail instead of exhausting the machine.
#
# Each call is classified as: a returned value (checked for NaN/Inf anywhere inside: "silent
# non-finite" unless a classed lsmoe warning was raised), a classed error (lsmoe_error), another
# error from an ordinary input, another error from a hand-edited object (an object built with
# fz_edit()/fz_make()/fz_reclass(), e.g. a mixing_measure whose eta was replaced), a crash or a
# hang. Exit status 1 on a crash, a hang, a silent non-finite result (from an ordinary input or
# a hand-edited object, counted apart) or (unless
# --allow-unclassed) an unclassed error from an ordinary input.
#
# The functions are a table (FUZZ_TABLE below): for each exported function or S3 method, a
# generator of a valid base call and pools of argument values (R code) to mutate it with. The
# table is matched against the installed package at start: arguments the function no longer has
# are dropped, arguments it has but the table does not know are fuzzed with the generic pool, and
# exported functions or methods missing from the table are fuzzed with the generic pool only (and
# listed), so the fuzzer keeps running as the API grows. To add a function: add an entry.
#
# --only I replays call I alone (same seed) and prints its code, a self-contained reproducer
# (the fixture code FIXTURE_CODE followed by the call).

fuzz_options <- function(args = commandArgs(TRUE)) {
  get <- function(flag, default) {
    i <- match(flag, args)
    if (is.na(i)) return(default)
    if (is.logical(default)) return(TRUE)
    v <- args[i + 1]
    if (is.numeric(default)) as.numeric(v) else v
  }
  list(calls = get("--calls", 10000), seed = get("--seed", 1), timeout = get("--timeout", 30),
       only = get("--only", NA_real_), show = get("--show", 8), allow_unclassed = get("--allow-unclassed", FALSE),
       allow_nonfinite = get("--allow-nonfinite", FALSE), mem_mb = get("--mem-mb", 6000),
       self_test = get("--self-test", FALSE), quiet = get("--quiet", FALSE), save = get("--save", ""),
       lib = get("--lib", Sys.getenv("LSMOE_LIB", ".lib")))
}

# ---------------------------------------------------------------------------------------------
# Fixtures: built once in a child process (the parent never runs the package's compiled code, so
# that no OpenMP thread pool exists when it forks). The same code is printed in reproducers.
FIXTURE_CODE <- '
FIX <- local({
  set.seed(20240601)
  G <- mixing_measure(beta0 = c(-5, 0), beta1 = c(10, 0), eta = rbind(c(12, -9), c(-12, 3)), expert = expert_sigmoid())
  G1 <- mixing_measure(0, 1, c(2, -1), expert = expert_sigmoid())
  G3 <- mixing_measure(c(-5, 0, 0.1), c(10, 0, 0.2), rbind(c(12, -9), c(-12, 3), c(-11, 3.1)), expert = expert_sigmoid())
  Glin <- mixing_measure(c(0, 0), c(4, -4), rbind(c(1, 0), c(-1, 1)), expert = expert_linear())
  Gd2 <- mixing_measure(c(0, 0), rbind(c(3, -2), c(-3, 2)), rbind(c(1, 2, 0), c(-1, 0, 1)), expert = expert_tanh())
  Gpoly <- mixing_measure(c(0, 0), c(3, -3), rbind(c(1, 0), c(-1, 0.5)), expert = expert_polynomial(3))
  Gconst <- mixing_measure(c(0, 0), c(5, -5), c(1, -1), expert = expert_constant())
  Gow <- mixing_measure(c(0, 0), c(5, -5), rbind(c(4, -2, 2), c(-4, 2, 1)), expert = expert_tanh(output_weight = TRUE))
  Ghuge <- mixing_measure(c(-1e300, 0), c(1e300, -1e300), rbind(c(1e300, -1e300), c(-1e300, 1e300)), expert = expert_linear())
  Gtiny <- mixing_measure(c(0, 0), c(1e-300, -1e-300), rbind(c(1e-300, 0), c(0, 1e-300)), expert = expert_sigmoid())
  x <- sort(runif(60))
  y <- predict(G, x) + rnorm(60, sd = 0.05)
  X2 <- matrix(runif(120), 60, 2, dimnames = list(NULL, c("x1", "x2")))
  y2 <- predict(Gd2, X2) + rnorm(60, sd = 0.05)
  d <- data.frame(x = x, y = y, g = factor(rep(c("a", "b", "c"), 20)), z = X2[, 1])
  ctrl <- lse_control(n_starts = 1, warn = FALSE)
  fit <- moe_lse(x, y, k = 2, expert = expert_sigmoid(), control = ctrl)
  fit_f <- moe_lse(y ~ x, data = d, k = 2, expert = "sigmoid", control = ctrl)
  fit2 <- moe_lse(X2, y2, k = 2, expert = expert_tanh(), control = ctrl)
  fit_lin <- moe_lse(x, y, k = 1, expert = expert_linear(), control = ctrl)
  summ <- summary(fit)
  study <- rate_study(G, n = c(40, 80), reps = 2, control = ctrl, n_mc = 200)
  synthetic <- data.frame(n = rep(c(100, 1000, 10000), each = 3), value = rep(c(100, 1000, 10000), each = 3)^-0.5 * c(1, 1.1, 0.9))
  ident <- check_identifiability(expert_sigmoid(), c(2, -1), n_x = 200)
  ident_lin <- check_identifiability(expert_linear(), rbind(c(1, 0), c(1, 0.5)), n_x = 200)
  synthetic_rs <- structure(transform(synthetic, expert = "sigmoid", k = 2, loss = "D1"), class = c("rate_study", "data.frame"))
  noisy <- data.frame(n = rep(c(1000, 250), each = 6), noise_sd = rep(c(0.1, 0.05), each = 6), n_eff = 1000,
                      value = exp(rnorm(12)))
  vc <- voronoi_cells(G3, G)
  vl <- voronoi_loss(G3, G)
  expert <- expert_sigmoid()
  gate <- gate_sigmoid()
  Gs <- mixing_measure(c(1, -1), c(0, 4), rbind(c(2, 0), c(-1, 1)), expert = expert_linear(), gate = gate_sigmoid())
  Gs3 <- mixing_measure(c(0.3, 0.2, -1.1), c(0.05, -0.02, 4.1), rbind(c(2.1, 0), c(1.9, 0.05), c(-1, 1.1)),
                        expert = expert_linear(), gate = gate_sigmoid())
  ys <- predict(Gs, x) + rnorm(60, sd = 0.05)
  fit_s <- moe_lse(y ~ x, data = data.frame(x = x, y = ys), k = 2, expert = "linear", gate = gate_sigmoid(), control = ctrl)
  fit_fz <- moe_lse(y ~ x + z, data = d, k = 2, expert = "sigmoid", control = ctrl)
  vls <- voronoi_loss_sigmoid(Gs3, Gs)
  gbar <- suppressWarnings(gbar_measure(Gs, k = 3, n = 500, control = lse_control(n_starts = 2, warn = FALSE)))
  dend <- moe_dendrogram(fit)
  dend3 <- moe_dendrogram(G3, x = x, y = y, refit = FALSE)
  cv <- moe_cv(x, y, k = 1:2, expert = list("sigmoid", "linear"), folds = 2, control = ctrl)
  environment()
})
'

FIX <- NULL

# Helpers available to every call (and to reproducers): edit an object by hand.
fz_edit <- function(obj, path, value) {
  if (is.null(value)) obj[[path]] <- NULL else obj[[path]] <- value
  obj
}
fz_make <- function(class, value) structure(value, class = class)
fz_reclass <- function(obj, class) structure(unclass(obj), class = class)
FZ_EDITED <- "fz_(edit|make|reclass)\\("

# ---------------------------------------------------------------------------------------------
# Value pools: R code as strings. Generic values are tried on every argument.
GENERIC <- c(
  "NULL", "NA", "NA_real_", "NA_integer_", "NA_character_", "NaN", "Inf", "-Inf", "0", "-1", "1", "2",
  "1e308", "-1e308", "1e-320", ".Machine$integer.max", "-.Machine$integer.max", "1e9", "2^31", "2^53 + 2", "1.5", "-0.5",
  "numeric(0)", "integer(0)", "character(0)", "logical(0)", "list()", "TRUE", "FALSE", "c(TRUE, NA)",
  "\"a\"", "\"\"", "c(\"a\", \"b\")", "c(1, 2, 3)", "c(NA, 1)", "c(1, NaN, Inf)", "1i", "factor(\"a\")", "list(1, \"a\")",
  "list(a = 1)", "matrix(1:4, 2)", "matrix(numeric(0), 0, 3)", "matrix(NA_real_, 2, 2)", "array(1, c(2, 2, 2))",
  "data.frame(a = 1:3)", "function(...) 1", "quote(x)", "new.env()", "as.Date(\"2020-01-01\")", "rep(1e308, 50)",
  "runif(1e5)", "strrep(\"z\", 1e5)", "seq_len(1e6)",
  "fz_make(\"moe_expert\", 1)", "fz_make(\"mixing_measure\", list())", "fz_make(\"moe_lse\", list())",
  "fz_make(\"lse_control\", list())", "fz_make(\"rate_study\", data.frame())"
)

# values written into hand-edited objects
GENERIC_EDIT <- GENERIC[!grepl("fz_|1e5|1e6", GENERIC)]

P <- list()
P$count_bad <- c("0", "-1", "1.5", "1e9", ".Machine$integer.max", "2^31", "1e15", "NA", "Inf", "\"2\"", "c(2, 3)",
                 "TRUE", "NULL", "numeric(0)", "100", "1000")
P$expert_ok <- c("expert_sigmoid()", "expert_tanh()", "expert_linear()", "expert_polynomial(2)", "expert_relu()",
                 "expert_gelu()", "expert_constant()", "expert_tanh(output_weight = TRUE)", "\"sigmoid\"", "\"linear\"",
                 "expert_sigmoid", "\"polynomial\"")
P$expert_bad <- c("\"spline\"", "3", "list(name = \"sigmoid\")", "expert_polynomial(50)", "NA_character_", "print",
                  "fz_edit(expert_sigmoid(), \"degree\", 46342L)", "fz_edit(expert_polynomial(3), \"degree\", .Machine$integer.max)",
                  "fz_edit(expert_sigmoid(), \"name\", 1)", "fz_edit(expert_sigmoid(), \"name\", \"spline\")",
                  "fz_edit(expert_sigmoid(), \"output_weight\", \"yes\")", "fz_edit(expert_sigmoid(), \"output_weight\", NA)",
                  "fz_edit(expert_linear(), \"output_weight\", TRUE)", "fz_edit(expert_polynomial(2), \"degree\", 2.5)",
                  "fz_edit(expert_polynomial(2), \"degree\", -3L)", "fz_edit(expert_sigmoid(), \"degree\", NULL)",
                  "fz_make(\"moe_expert\", list(name = \"tanh\", degree = 1, output_weight = TRUE))",
                  "fz_make(\"moe_expert\", \"sigmoid\")", "fz_reclass(FIX$G, \"moe_expert\")")
P$gate_ok <- c("gate_softmax()", "gate_sigmoid()", "\"sigmoid\"", "\"softmax\"", "gate_sigmoid", "NULL")
P$gate_bad <- c("\"tanh\"", "gate_sigmoid()$name", "fz_edit(gate_sigmoid(), \"name\", \"relu\")", "fz_edit(gate_sigmoid(), \"name\", NA)",
                "fz_edit(gate_softmax(), \"name\", c(\"softmax\", \"sigmoid\"))", "fz_make(\"moe_gate\", list())",
                "fz_make(\"moe_gate\", \"sigmoid\")", "fz_reclass(expert_sigmoid(), \"moe_gate\")", "function() gate_sigmoid()",
                "c(\"sigmoid\", \"softmax\")", "expert_sigmoid()")
P$digits <- c("0", "-1", "NA", "100", "22", "1", "NULL", "\"a\"", "c(3, 4)", "3.5", "Inf", "TRUE")
P$level <- c("0", "1", "-0.1", "1.5", "NA", "c(0.9, 0.95)", "\"a\"", "1e-320", "0.99999999", "0.5")
P$vcov_type <- c("\"HC0\"", "\"HC1\"", "\"HC3\"", "NA", "c(\"HC0\", \"HC1\")", "1")
P$ctrl_ok <- c("FIX$ctrl", "lse_control(n_starts = 2, max_iter = 50, warn = FALSE)", "list(n_starts = 1, warn = FALSE)",
               "lse_control(n_starts = 1, start_strategy = \"random\", warn = FALSE)",
               "lse_control(n_starts = 1, start_strategy = \"data\", bound_output = 100, warn = FALSE)",
               "lse_control(n_starts = 3, start_strategy = \"tree\", warn = FALSE)",
               "lse_control(n_starts = 2, reciprocal_weight = FALSE, warn = FALSE)",
               "lse_control(n_starts = 2, n_perturb = 3, perturb_patience = 1, warn = FALSE)",
               "lse_control(n_starts = 4, n_perturb = 2, perturb_chains = 4, warn = FALSE)",
               "lse_control(n_starts = 1, n_perturb = 0, warn = FALSE)",
               "lse_control(n_starts = 1, max_iter = 2, warn = FALSE)",
               "lse_control(n_starts = 2, max_iter = 3, polish = FALSE, warn = FALSE)",
               "lse_control(n_starts = 3, bound_gate = 2, warn = FALSE)",
               "lse_control(n_starts = 3, bound_gate = 2, reanchor = FALSE, warn = FALSE)")
P$ctrl_bad <- c("lse_control(bound_gate = 1e308, n_starts = 1)", "lse_control(bound_expert = 1e308, n_starts = 1)",
                "lse_control(bound_output = 1e308, n_starts = 1)", "lse_control(bound_expert = 1e-300, n_starts = 1)",
                "lse_control(bound_gate = 1e-300, n_starts = 1)", "lse_control(step_bound = 1e308, n_starts = 1)",
                "lse_control(bound_output = 1e-300, n_starts = 1)", "lse_control(bound_output = 1e50, n_starts = 1)",
                "fz_edit(FIX$ctrl, \"reciprocal_weight\", NA)", "fz_edit(FIX$ctrl, \"reciprocal_weight\", \"yes\")",
                "fz_edit(FIX$ctrl, \"n_perturb\", -1)", "fz_edit(FIX$ctrl, \"perturb_patience\", 0)",
                "fz_edit(FIX$ctrl, \"n_perturb\", NA)", "lse_control(perturb_patience = 1e4, n_starts = 1)", "lse_control(perturb_chains = 0)", "fz_edit(FIX$ctrl, \"perturb_chains\", 2.5)", "fz_edit(FIX$ctrl, \"polish\", NA)", "lse_control(polish = \"yes\")", "fz_edit(FIX$ctrl, \"reanchor\", NA)", "lse_control(reanchor = 1)",
                "lse_control(step_bound = 1e-300, n_starts = 1)", "lse_control(ftol = 1e308, n_starts = 1)",
                "lse_control(max_iter = 1, n_starts = 1)", "lse_control(threads = 2, n_starts = 1)",
                "lse_control(n_starts = .Machine$integer.max)", "lse_control(n_starts = 1e6)",
                "lse_control(max_iter = .Machine$integer.max, ftol = 0, xtol = 0, n_starts = 1)",
                "lse_control(threads = 1024, n_starts = 1)", "list(n_start = 3)", "list(1)", "\"fast\"",
                "fz_edit(FIX$ctrl, \"n_starts\", -1)", "fz_edit(FIX$ctrl, \"n_starts\", 1e9)", "fz_edit(FIX$ctrl, \"max_iter\", NA)",
                "fz_edit(FIX$ctrl, \"threads\", 0)", "fz_edit(FIX$ctrl, \"threads\", \"a\")", "fz_edit(FIX$ctrl, \"ftol\", -1)",
                "fz_edit(FIX$ctrl, \"bound_gate\", NaN)", "fz_edit(FIX$ctrl, \"start_strategy\", \"kmeans\")",
                "fz_edit(FIX$ctrl, \"warn\", NULL)", "fz_edit(FIX$ctrl, \"extra\", 1)", "fz_make(\"lse_control\", list(n_starts = 1))")
P$x_bad <- c("FIX$x * 1e308", "FIX$x * 1e200", "FIX$x * 1e-300", "FIX$x + 1e15", "rep(0.5, 60)", "c(FIX$x[-1], NA)",
             "c(FIX$x[-1], Inf)", "c(FIX$x[-1], NaN)", "FIX$x[1:3]", "FIX$x[1]", "matrix(FIX$x, 30, 2)", "t(FIX$X2)",
             "as.data.frame(FIX$X2)", "data.frame(x = letters[1:3])", "as.character(FIX$x)", "cbind(FIX$x, FIX$x^2)",
             "cbind(FIX$x, FIX$x)", "cbind(FIX$x, 0)", "matrix(rnorm(2e4), 1e4, 2)", "matrix(0, 60, 0)", "array(FIX$x, c(30, 2, 1))",
             "list(FIX$x)", "factor(FIX$x)", "as.integer(FIX$x * 100)", "cbind(a = FIX$x, 1e300)", "matrix(FIX$x, 60, 1, dimnames = list(NULL, \"\"))")
P$y_bad <- c("FIX$y * 1e308", "FIX$y * 1e155", "FIX$y * 1e-300", "rep(1, 60)", "c(FIX$y[-1], NA)", "c(FIX$y[-1], Inf)",
             "FIX$y[-1]", "as.character(FIX$y)", "matrix(FIX$y, 30, 2)", "matrix(FIX$y, 60, 1)", "factor(FIX$y)",
             "FIX$y + 1e300", "rnorm(1e5)", "as.integer(FIX$y * 10)", "list(FIX$y)", "rep(0, 60)")
P$start_bad <- c("list(beta0 = c(0, 0), beta1 = matrix(0, 2, 1), eta = matrix(c(1, 1, 0, 0), 2))",
                 "list(beta0 = c(1e300, 0), beta1 = matrix(0, 2, 1), eta = matrix(c(1, 1, 0, 0), 2))",
                 "list(beta0 = c(0, 0), beta1 = matrix(1e300, 2, 1), eta = matrix(c(1e300, 1, 0, 0), 2))",
                 "list(beta0 = c(0, 0), beta1 = matrix(NA, 2, 1), eta = matrix(0, 2, 2))", "list(beta0 = 1)",
                 "list(list(beta0 = 1))", "1:3", "as_mixing_measure(FIX$G)", "FIX$fit$coefficients", "FIX$G3",
                 "fz_edit(FIX$fit$coefficients, \"eta\", \"a\")", "list(FIX$fit$coefficients, FIX$fit$coefficients)")
P$newdata_1 <- c("c(0, 0.5, 1)", "FIX$x", "matrix(c(0.2, 0.8), 2, 1)", "seq(-1, 2, by = 0.1)")
P$newdata_bad <- c("c(1e308, -1e308)", "1e308", "c(1e200, 0.5)", "c(NA, 0.5)", "c(NaN, 0.5)", "c(Inf, 0)", "numeric(0)",
                   "matrix(0.5, 2, 3)", "matrix(numeric(0), 0, 1)", "\"a\"", "data.frame(x = 1:3)", "data.frame(z = 1:3)",
                   "data.frame(x = c(0.5, NA))", "list(x = 1)", "factor(1:3)", "runif(1e5)", "c(-1e15, 1e15)", "1e-320",
                   "cbind(FIX$x, FIX$x^2)", "data.frame(x1 = 0.5, x2 = 1e308)", "matrix(1e308, 3, 2)", "array(0.5, c(2, 1, 1))")
P$fits <- c("FIX$fit", "FIX$fit_f", "FIX$fit2", "FIX$fit_lin", "FIX$fit_s", "FIX$fit_fz")
P$fits_edit <- c("fit", "fit_f", "fit2", "fit_s")
P$measure_ok <- c("FIX$G", "FIX$G1", "FIX$G3", "FIX$Glin", "FIX$Gpoly", "FIX$Gconst", "FIX$Gow", "FIX$fit", "FIX$G", "FIX$Gs", "FIX$fit_s")
P$measure_d2 <- c("FIX$Gd2", "FIX$fit2")
P$measure_bad <- c("FIX$Ghuge", "FIX$Gtiny", "FIX$Gd2", "FIX$fit2", "FIX$fit_lin", "FIX$summ", "FIX$study", "FIX$vc", "FIX$Gs3",
                   "FIX$gbar", "FIX$vls", "fz_edit(FIX$Gs, \"gate\", \"tanh\")", "fz_edit(FIX$G, \"gate\", NULL)")
P$n_bad <- c(P$count_bad, "c(10, 20)", "1e8", "1e7")
P$weights <- c("NULL", "rep(1, 60)", "FIX$x + 0.1", "rep(-1, 60)", "rep(NA, 60)", "rep(1, 3)", "rep(0, 60)", "rep(1e308, 60)",
               "c(rep(1, 59), Inf)", "rep(1e-320, 60)", "\"a\"")

# Edited versions of a fixture: one field (or nested field) replaced by a generic value or removed.
edited_fixture <- function(name, fields) {
  f <- sample(fields, 1)
  path <- strsplit(f, "$", fixed = TRUE)[[1]]
  pcode <- if (length(path) == 1) deparse(path) else paste0("c(", paste(deparse(path), collapse = ""), ")")
  pcode <- if (length(path) == 1) sprintf("\"%s\"", path) else sprintf("c(%s)", paste0("\"", path, "\"", collapse = ", "))
  sprintf("fz_edit(FIX$%s, %s, %s)", name, pcode, sample(c("NULL", GENERIC_EDIT), 1))
}

# Field paths of the fixtures that edits may touch (filled in from the fixtures at start).
fixture_fields <- function(FIX) {
  paths <- function(obj, prefix = "", depth = 0) {
    if (!is.list(obj) || is.data.frame(obj) && depth > 0 || depth > 1) return(character())
    nm <- names(obj)
    if (is.null(nm)) return(character())
    out <- character()
    for (n in nm[nzchar(nm)]) {
      p <- if (nzchar(prefix)) paste0(prefix, "$", n) else n
      out <- c(out, p, paths(obj[[n]], p, depth + 1))
    }
    out
  }
  objs <- c("G", "G3", "Gd2", "fit", "fit_f", "fit2", "summ", "study", "synthetic", "ident", "vc", "vl", "ctrl", "expert",
            "gate", "Gs", "Gs3", "fit_s", "vls", "gbar", "dend", "dend3", "cv")
  stats::setNames(lapply(objs, function(o) paths(FIX[[o]])), objs)
}

# ---------------------------------------------------------------------------------------------
# The table. Each entry: `fun` (how the call is written: a function name, or a generic for S3
# methods with `method` = "generic.class"), `base()` returning a named list of code for a valid
# call (names are argument names; an unnamed first element is passed positionally), `pools`: named
# list of extra values per argument, `edit`: fixtures whose hand-edited versions are tried for
# which arguments, `skip`: result components where NaN/Inf/NA are legitimate.
pick <- function(x) x[[sample.int(length(x), 1)]]

FUZZ_TABLE <- list(
  moe_lse_fit = list(
    fun = "moe_lse_fit",
    base = function() {
      dat <- pick(list(c("FIX$x", "FIX$y"), c("FIX$X2", "FIX$y2"), c("FIX$x", "FIX$y")))
      list(x = dat[1], y = dat[2], k = pick(c("1", "2", "3")), expert = pick(P$expert_ok), control = pick(P$ctrl_ok),
           gate = pick(c("gate_softmax()", "gate_softmax()", "gate_sigmoid()")))
    },
    pools = list(x = P$x_bad, y = P$y_bad, k = P$count_bad, expert = P$expert_bad, control = P$ctrl_bad, start = P$start_bad,
                 weights = P$weights, gate = c(P$gate_ok, P$gate_bad)),
    edit = list(start = "fit$coefficients", control = "ctrl", expert = "expert", gate = "gate")
  ),
  # moe_lse(x, y, ...): the matrix shortcut of the formula interface
  moe_lse = list(
    fun = "moe_lse",
    base = function() {
      dat <- pick(list(c("FIX$x", "FIX$y"), c("FIX$X2", "FIX$y2")))
      list(formula = dat[1], data = dat[2], k = pick(c("1", "2")), expert = pick(P$expert_ok), control = pick(P$ctrl_ok))
    },
    pools = list(formula = P$x_bad, data = P$y_bad, k = P$count_bad, expert = P$expert_bad, control = P$ctrl_bad, start = P$start_bad,
                 weights = P$weights, gate = c(P$gate_ok, P$gate_bad), subset = c("1:10", "NULL"), na.action = "na.omit"),
    edit = list(start = "fit$coefficients", control = "ctrl", expert = "expert", gate = "gate")
  ),
  moe_lse_formula = list(
    fun = "moe_lse",
    base = function() list(formula = pick(c("y ~ x", "y ~ x", "y ~ z", "y ~ x + z")), data = "FIX$d", k = pick(c("1", "2")),
                           expert = pick(P$expert_ok), control = pick(P$ctrl_ok), gate = pick(c("gate_softmax()", "gate_sigmoid()"))),
    pools = list(formula = c("y ~ x + I(x^2)", "y ~ log(x - 1)", "y ~ 1", "~ x", "y ~ nope", "y ~ x + offset(x)", "y ~ g",
                             "y ~ x * g", "cbind(y, y) ~ x", "y ~ poly(x, 3)", "y ~ .", "y ~ I(x * 1e308)", "y ~ I(1/(x - x))",
                             "y ~ x + x", "log(-y) ~ x", "y ~ x - 1", "g ~ x", "y ~ x | z", "y ~ x + z + g"),
                 data = c("FIX$d[0, ]", "FIX$d[1:3, ]", "list(x = 1)", "data.frame(x = FIX$x, y = NA)", "NULL", "1:3",
                          "FIX$X2", "transform(FIX$d, x = x * 1e308)", "transform(FIX$d, y = y * 1e300)",
                          "transform(FIX$d, y = c(y[-1], NA))", "transform(FIX$d, x = c(x[-1], Inf))"),
                 k = P$count_bad, expert = P$expert_bad, control = P$ctrl_bad, weights = P$weights, gate = c(P$gate_ok, P$gate_bad),
                 subset = c("x > 0.5", "1:10", "FIX$x > 2", "\"a\"", "x > 2", "c(TRUE, NA)"),
                 na.action = c("na.omit", "na.fail", "\"na.omit\"", "1", "na.exclude"), start = P$start_bad)
  ),
  lse_control = list(
    fun = "lse_control",
    base = function() list(),
    pools = list(n_starts = P$count_bad, max_iter = P$count_bad, threads = P$count_bad, bound_gate = c("1e308", "1e-300", "Inf", "1e101"),
                 bound_expert = c("1e308", "1e-300"), start_strategy = c("\"data\"", "\"kmeans\"", "c(\"data\", \"random\")"),
                 n_finish = P$count_bad, screen_rows = P$count_bad, screen_iter = P$count_bad, refine_rows = P$count_bad,
                 ftol = c("-1", "1e308", "NaN", "0"), xtol = c("-1", "1e308", "0"), gtol = c("-1", "Inf", "1"),
                 damping = c("0", "-1", "1e-320", "1e10", "1e11", "Inf"), bound_output = c("1e308", "1e-300", "Inf", "0"),
                 standardize = c("NA", "\"yes\"", "c(TRUE, FALSE)", "FALSE"), warn = c("NA", "1", "FALSE"))
  ),
  mixing_measure = list(
    fun = "mixing_measure",
    base = function() pick(list(
      list(beta0 = "c(-5, 0)", beta1 = "c(10, 0)", eta = "rbind(c(12, -9), c(-12, 3))", expert = "expert_sigmoid()"),
      list(beta0 = "0", beta1 = "c(1, 2)", eta = "c(1, 2, 3)", expert = "expert_tanh()"),
      list(beta0 = "c(0, 1)", beta1 = "c(1, -1)", eta = "c(1, -1)", expert = "expert_constant()"),
      list(beta0 = "c(0, 1)", beta1 = "c(1, -1)", eta = "rbind(c(1, 0), c(2, 1))", expert = "expert_polynomial(4)"))),
    pools = list(beta0 = c("c(1e300, 0)", "c(-1e300, 0)", "c(710, 0)", "c(709, 709)", "c(NA, 0)", "rep(0, 1e5)", "matrix(0, 2, 2)"),
                 beta1 = c("c(1e300, -1e300)", "matrix(0, 2, 0)", "matrix(0, 3, 1)", "c(1e308, 1e308)"),
                 eta = c("rbind(c(1e300, 1e300), c(-1e300, 0))", "matrix(0, 2, 5)", "rbind(c(1e-320, 0), c(0, 0))"),
                 expert = P$expert_bad, gate = c(P$gate_ok, P$gate_bad)),
    edit = list(expert = "expert", gate = "gate")
  ),
  as_mixing_measure = list(
    fun = "as_mixing_measure", base = function() list(pick(P$measure_ok)),
    pools = list(P$measure_bad), edit = list("G", "fit", "fit2", "fit_f")
  ),
  predict_mixing_measure = list(
    fun = "predict", method = "predict.mixing_measure",
    base = function() {
      G <- pick(c(P$measure_ok[1:7], "FIX$Gd2"))
      list(object = G, newdata = if (G == "FIX$Gd2") "FIX$X2" else pick(P$newdata_1),
           type = pick(c("\"response\"", "\"gate\"", "\"experts\"")))
    },
    pools = list(object = P$measure_bad, newdata = P$newdata_bad, type = c("\"link\"", "c(\"gate\", \"experts\")", "\"\"")),
    edit = list(object = c("G", "G3", "Gd2"))
  ),
  print_mixing_measure = list(
    fun = "print", method = "print.mixing_measure", base = function() list(x = pick(P$measure_ok[1:7])),
    pools = list(x = "FIX$Ghuge", digits = c("0", "-1", "100", "NA")), edit = list(x = c("G", "G3"))
  ),
  simulate_moe = list(
    fun = "simulate_moe",
    base = function() list(G = pick(P$measure_ok), n = pick(c("10", "100", "1")), noise_sd = pick(c("0", "0.1", "1"))),
    pools = list(G = P$measure_bad, n = P$n_bad, noise_sd = c("1e308", "1e300", "-1", "Inf", "1e-320"),
                 x = c("FIX$x", "FIX$X2", "function(n) runif(n)", "function(n) runif(n + 1)", "function(n) stop(\"boom\")",
                       "function(n) rep(1e308, n)", "function(n) \"a\"", "c(1e308, 0.5)", "matrix(0.5, 3, 3)", "rep(NA, 10)")),
    edit = list(G = c("G", "fit", "G3"))
  ),
  regression_error = list(
    fun = "regression_error",
    base = function() {
      if (runif(1) < 0.2) return(list(G = "FIX$Gd2", G0 = "FIX$fit2", n_mc = "500"))
      list(G = pick(P$measure_ok), G0 = pick(P$measure_ok), n_mc = pick(c("100", "1000")))
    },
    pools = list(G = P$measure_bad, G0 = P$measure_bad, n_mc = P$n_bad,
                 x = c("FIX$x", "function(n) runif(n)", "function(n) rep(1e308, n)", "c(1e308, -1e308)", "c(1e200, 1)", "matrix(0.5, 2, 2)")),
    edit = list(G = c("G", "fit"), G0 = c("G", "G3"))
  ),
  voronoi_cells = list(
    fun = "voronoi_cells",
    base = function() list(G = pick(c("FIX$G3", "FIX$G", "FIX$fit")), G0 = pick(c("FIX$G", "FIX$G1"))),
    pools = list(G = P$measure_bad, G0 = P$measure_bad, align = c("FALSE", "NA", "\"yes\"", "c(TRUE, FALSE)")),
    edit = list(G = c("G", "G3", "fit"), G0 = "G")
  ),
  voronoi_loss = list(
    fun = "voronoi_loss",
    base = function() list(G = pick(c("FIX$G3", "FIX$G", "FIX$fit")), G0 = pick(c("FIX$G", "FIX$G1")),
                           type = pick(c("\"D1\"", "\"D2\"")), r = pick(c("1", "2", "3"))),
    pools = list(G = P$measure_bad, G0 = P$measure_bad, type = c("\"D3\"", "c(\"D1\", \"D2\")"),
                 r = c("1e10", "1e308", "0.5", "1000", "c(1, 2)"), align = c("FALSE", "NA", "\"yes\"", "\"infimum\"", "\"none\""),
                 terms = c("TRUE", "NA", "\"yes\""), bound_gate = c("Inf", "1e308", "0", "-1", "NA", "1e-300")),
    edit = list(G = c("G", "G3", "fit"), G0 = "G")
  ),
  check_identifiability = list(
    fun = "check_identifiability",
    base = function() pick(list(list(expert = "expert_sigmoid()", eta = "c(2, -1)", n_x = "200"),
                                list(expert = "expert_tanh()", eta = "c(1, 0.5)", n_x = "300", order = "1"),
                                list(expert = "expert_linear()", eta = "c(1, 0)", n_x = "200"),
                                list(expert = "expert_relu()", eta = "c(1, 0)", n_x = "200"),
                                list(expert = "expert_sigmoid()", eta = "rbind(c(1, 2, 0.5), c(2, -1, 0))", d = "2", n_x = "300"))),
    pools = list(expert = P$expert_bad, eta = c("c(1e300, 1e300)", "c(1e-300, 0)", "c(1e200, -1e200)", "c(0, 0)", "c(NA, 1)", "c(1, 2, 3)",
                                                "matrix(0, 0, 2)", "rbind(c(1e308, 0), c(1, 1))"),
                 d = P$count_bad, order = c("0", "3", "4", "10", "1e9", "1.5"), n_x = P$n_bad,
                 x = c("FIX$x", "FIX$x * 1e308", "c(FIX$x, NA)", "matrix(0.5, 10, 1)", "FIX$X2", "rep(0, 5)"),
                 tol = c("0", "1", "1e-320", "-1", "NA"), box = c("c(1, -1)", "c(0, 0)", "c(-1e308, 1e308)", "c(-Inf, 1)", "1", "c(-1e-300, 1e-300)"),
                 points = c("\"uniform\"", "\"random\"", "NA"), k = c("1", "1:2", "0", "1e9", "c(1, NA)", "50"),
                 n_configs = c(P$count_bad[!P$count_bad %in% c("100", "1000")], "2"), seed = c("1", "\"a\"", "1e10", "NA", "-1"),
                 prescreen = c("FALSE", "NA", "\"yes\"")),
    edit = list(expert = "expert")
  ),
  rate_study = list(
    fun = "rate_study",
    base = function() list(G0 = pick(c("FIX$G", "FIX$G1")), n = pick(c("c(40, 80)", "c(30, 60)")), reps = "1",
                           control = "FIX$ctrl", n_mc = "100"),
    pools = list(G0 = P$measure_bad, n = c("c(80, 40)", "c(1, 2)", "c(40, NA)", "1e9", "c(40, 1e15)", "numeric(0)", "c(40, 40)"),
                 reps = P$count_bad, k = c(P$count_bad, "3"), noise_sd = c("1e308", "-1", "1e300", "c(0.1, 0.01)", "c(0.1, 0.1)", "c(0, 0.1)", "c(1e-300, 0.1)"),
                 losses = c("\"D2\"", "\"D3\"", "character(0)", "c(\"D1\", \"D1\")", "\"regression\""),
                 start = c("\"data\"", "\"both\"", "\"certified\"", "\"nope\""), control = P$ctrl_bad,
                 x = c("function(n) runif(n)", "function(n) rep(1e308, n)", "FIX$x", "function(n) stop(\"boom\")"),
                 r = c("1e10", "c(1, 1)", "0.5", "c(1, 2, 3)"), jitter = c("1e308", "-1", "1e10"), n_mc = P$n_bad,
                 align = c("\"none\"", "\"infimum\"", "c(\"moment\", \"none\")", "\"nope\"", "NA"), keep_fits = c("FALSE", "NA", "\"a\""),
                 truth = c("\"a\"", "\"\"", "NA_character_", "c(\"a\", \"b\")", "1"),
                 noise_ref = c("0", "-1", "NA", "1e-320", "1e308", "c(0.1, 0.2)", "\"a\"")),
    edit = list(G0 = "G", control = "ctrl")
  ),
  estimate_rate = list(
    fun = "estimate_rate", base = function() list(study = pick(c("FIX$study", "FIX$synthetic"))),
    pools = list(study = c("transform(FIX$synthetic, value = -value)", "FIX$synthetic[1, ]", "FIX$synthetic[0, ]",
                           "transform(FIX$synthetic, n = NA)", "transform(FIX$synthetic, value = value * 1e308)",
                           "transform(FIX$synthetic, value = 1e-320)", "transform(FIX$synthetic, n = 100)",
                           "transform(FIX$synthetic, value = c(rep(1, 8), Inf))", "transform(FIX$synthetic, n = n * 1e300)",
                           "data.frame(n = c(1, 2), value = c(1, 1))", "data.frame(n = \"a\", value = 1)",
                           "transform(FIX$synthetic, value = NaN)", "transform(FIX$synthetic, n = -n)"),
                 level = c("1", "0", "0.99999999", "NA", "1e-320", "2"),
                 window = c("NULL", "0", "-1", "1e-10", "0.01", "1e300", "NA", "\"a\"", "c(0.5, 1)"),
                 axis = c("\"n_eff\"", "\"neff\"", "NA", "c(\"n\", \"n_eff\")", "1")),
    edit = list(study = c("study", "synthetic"))
  ),
  compare_n_eff = list(
    fun = "compare_n_eff", base = function() list(study = "FIX$noisy"),
    pools = list(study = c("FIX$synthetic", "FIX$study", "FIX$noisy[0, ]", "transform(FIX$noisy, n_eff = NA)",
                           "transform(FIX$noisy, value = NaN)", "transform(FIX$noisy, n_eff = \"a\")",
                           "transform(FIX$noisy, value = -value)", "transform(FIX$noisy, n_eff = Inf)",
                           "transform(FIX$noisy, value = value * 1e308)", "FIX$noisy[1:7, ]"),
                 level = c("1", "0", "NA", "2", "\"a\"", "c(0.9, 0.95)", "1e-320"),
                 tol = c("-1", "2", "NA", "Inf", "0", "\"a\"", "c(0.1, 0.2)")),
    edit = list(study = "noisy")
  ),
  expert_polynomial = list(fun = "expert_polynomial", base = function() list(p = pick(c("1", "2", "5"))),
                           pools = list(p = c(P$count_bad, "46342", "50", "51"))),
  expert_sigmoid = list(fun = "expert_sigmoid", base = function() list(), pools = list(output_weight = c("TRUE", "NA"))),
  expert_tanh = list(fun = "expert_tanh", base = function() list(), pools = list(output_weight = c("TRUE", "NA"))),
  expert_relu = list(fun = "expert_relu", base = function() list(), pools = list(output_weight = c("TRUE", "NA"))),
  expert_gelu = list(fun = "expert_gelu", base = function() list(), pools = list(output_weight = c("TRUE", "NA"))),
  expert_linear = list(fun = "expert_linear", base = function() list()),
  expert_constant = list(fun = "expert_constant", base = function() list()),
  predict_moe_lse = list(
    fun = "predict", method = "predict.moe_lse",
    base = function() {
      obj <- pick(c("FIX$fit", "FIX$fit_f", "FIX$fit2", "FIX$fit_lin", "FIX$fit_s", "FIX$fit_fz"))
      nd <- switch(obj, "FIX$fit2" = "FIX$X2[1:5, ]", "FIX$fit_f" = , "FIX$fit_s" = "data.frame(x = c(0.1, 0.9))",
                   "FIX$fit_fz" = "data.frame(x = c(0.1, 0.9), z = 0.5)", pick(c("NULL", "c(0.2, 0.7)")))
      out <- list(object = obj, newdata = nd, type = pick(c("\"response\"", "\"gate\"", "\"experts\"")))
      if (runif(1) < 0.3) out <- c(out[1:2], list(interval = pick(c("\"confidence\"", "\"prediction\"")), se.fit = pick(c("TRUE", "FALSE"))))
      out
    },
    pools = list(object = c("FIX$G", "FIX$summ"), newdata = c(P$newdata_bad, "data.frame(x = 1e308)", "data.frame(x = c(0.5, 1e308))",
                                                             "data.frame(x = 0.5, z = NA)", "data.frame(x = 0.5, z = \"a\")"),
                 type = c("\"link\"", "\"\"", "NA"), se.fit = c("TRUE", "NA"), interval = c("\"confidence\"", "\"prediction\"", "\"tolerance\"", "NA"),
                 level = P$level, vcov_type = P$vcov_type),
    edit = list(object = c("fit", "fit_f", "fit2", "fit_s"))
  ),
  simulate_moe_lse = list(
    fun = "simulate", method = "simulate.moe_lse",
    base = function() list(object = pick(c("FIX$fit", "FIX$fit2")), nsim = pick(c("1", "3")), seed = pick(c("NULL", "1"))),
    pools = list(nsim = P$n_bad, seed = c("\"a\"", "1e10", "NA", "1.5", "c(1, 2)", "-1")),
    edit = list(object = c("fit", "fit2"))
  ),
  print_moe_lse = list(
    fun = "print", method = "print.moe_lse", base = function() list(x = pick(P$fits)),
    pools = list(digits = P$digits), edit = list(x = P$fits_edit)
  ),
  summary_moe_lse = list(
    fun = "summary", method = "summary.moe_lse", base = function() list(object = pick(P$fits)),
    pools = list(vcov_type = P$vcov_type), edit = list(object = P$fits_edit)
  ),
  print_summary_moe_lse = list(
    fun = "print", method = "print.summary.moe_lse", base = function() list(x = "FIX$summ"),
    pools = list(x = "summary(FIX$fit_s)", digits = P$digits), edit = list(x = "summ")
  ),
  vcov_moe_lse = list(
    fun = "vcov", method = "vcov.moe_lse", base = function() list(object = pick(P$fits)),
    pools = list(type = P$vcov_type, tol = c("0", "1", "2", "1e-320", "NA", "-1", "\"a\"")), edit = list(object = P$fits_edit)
  ),
  confint_moe_lse = list(
    fun = "confint", method = "confint.moe_lse",
    base = function() {
      out <- list(object = pick(P$fits))
      if (runif(1) < 0.1) out <- c(out, method = "\"boot\"", nboot = "10", seed = "1")
      out
    },
    pools = list(parm = c("1", "2:3", "0", "100", "\"expert1:beta0\"", "\"nope\"", "NA", "1.5", "-1", "c(TRUE, FALSE)"),
                 level = P$level, method = c("\"wald\"", "\"profile\"", "NA"), type = P$vcov_type,
                 nboot = c(P$count_bad[!P$count_bad %in% c("100", "1000")], "9", "10"), seed = c("\"a\"", "1e10", "NA", "1.5", "-1")),
    edit = list(object = P$fits_edit)
  ),
  anova_moe_lse = list(
    fun = "anova", method = "anova.moe_lse",
    base = function() pick(list(list(object = "FIX$fit_f", "FIX$fit_fz"), list(object = "FIX$fit", "FIX$fit_lin"),
                                list(object = "FIX$fit_f"), list(object = "FIX$fit_f", "FIX$fit_s"))),
    pools = list(object = c("FIX$fit2", "FIX$G", "FIX$fit_s")), edit = list(object = P$fits_edit)
  ),
  tidy_moe_lse = list(
    fun = "tidy", method = "tidy.moe_lse", base = function() list(x = pick(P$fits)),
    pools = list(conf.int = c("NA", "\"yes\"", "FALSE"), conf.level = P$level, vcov_type = P$vcov_type),
    edit = list(x = P$fits_edit)
  ),
  glance_moe_lse = list(
    fun = "glance", method = "glance.moe_lse", base = function() list(x = pick(P$fits)), edit = list(x = P$fits_edit)
  ),
  augment_moe_lse = list(
    fun = "augment", method = "augment.moe_lse",
    base = function() {
      obj <- pick(P$fits)
      out <- list(x = obj)
      if (runif(1) < 0.3 && obj %in% c("FIX$fit_f", "FIX$fit_s")) out$newdata <- "data.frame(x = c(0.2, 0.8), y = 1)"
      if (runif(1) < 0.3) out$se_fit <- "TRUE"
      out
    },
    pools = list(data = c("FIX$d", "FIX$d[1:5, ]", "NULL", "1:3", "list(a = 1)", "FIX$d[0, ]"),
                 newdata = c(P$newdata_bad, "data.frame(x = 1e308)", "FIX$d"), se_fit = c("NA", "\"a\"", "TRUE")),
    edit = list(x = P$fits_edit)
  ),
  gate_softmax = list(fun = "gate_softmax", base = function() list()),
  gate_sigmoid = list(fun = "gate_sigmoid", base = function() list()),
  print_moe_gate = list(fun = "print", method = "print.moe_gate", base = function() list(x = pick(c("FIX$gate", "gate_softmax()"))),
                        edit = list(x = "gate")),
  gbar_measure = list(
    fun = "gbar_measure",
    base = function() list(G0 = "FIX$Gs", k = pick(c("NULL", "3")), n = pick(c("200", "500")),
                           control = "lse_control(n_starts = 1, warn = FALSE)"),
    pools = list(G0 = c(P$measure_bad, "FIX$G", "FIX$fit_s"), k = c(P$count_bad, "2"), n = P$n_bad,
                 x = c("function(n) runif(n)", "function(n) rep(1e308, n)", "FIX$x", "function(n) stop(\"boom\")",
                       "function(n) matrix(runif(2 * n), n, 2)", "function(n) runif(n - 1)"),
                 control = P$ctrl_bad, jitter = c("-1", "1e308", "NA", "0", "Inf"), seed = c("NULL", "\"a\"", "1e10", "NA", "-1", "1.5")),
    edit = list(G0 = "Gs", control = "ctrl")
  ),
  voronoi_loss_sigmoid = list(
    fun = "voronoi_loss_sigmoid",
    base = function() list(G = pick(c("FIX$Gs3", "FIX$Gs", "FIX$fit_s")), G0 = pick(c("FIX$Gs", "FIX$gbar")),
                           type = pick(c("\"D1\"", "\"D2\"", "\"D3\"")), r = pick(c("1", "2", "3"))),
    pools = list(G = c(P$measure_bad, "FIX$G"), G0 = c(P$measure_bad, "FIX$G3"), type = c("\"D4\"", "c(\"D1\", \"D2\")", "NA"),
                 r = c("1e10", "1e308", "0.5", "1000", "c(1, 2)", "NA", "Inf")),
    edit = list(G = c("Gs", "Gs3", "fit_s"), G0 = c("Gs", "gbar"))
  ),
  rate_study_fits = list(
    fun = "rate_study_fits", base = function() list(study = "FIX$study"),
    pools = list(study = c("FIX$synthetic", "FIX$study[0, ]", "FIX$study[1:2, ]", "rbind(FIX$study, FIX$study)"),
                 fit = c("1", "1:2", "0", "100", "NA", "\"a\"", "1.5", "numeric(0)"),
                 estimate = c("\"local\"", "\"global\"", "\"nope\"", "NA", "c(\"lse\", \"local\")", "1")),
    edit = list(study = "study")
  ),
  plot_rate_study = list(
    fun = "plot", method = "plot.rate_study",
    base = function() list(x = pick(c("FIX$study", "FIX$study", "FIX$synthetic_rs")),
                           what = pick(c("\"loss\"", "\"local\"", "\"terms\"", "\"cells\"")), use_ggplot = pick(c("FALSE", "TRUE"))),
    pools = list(what = c("\"nope\"", "NA", "c(\"loss\", \"local\")"), loss = c("\"D1\"", "\"regression\"", "\"D9\"", "NA", "c(\"D1\", \"D2\")"),
                 align = c("\"infimum\"", "\"none\"", "NA", "c(\"moment\", \"infimum\")"), window = c("0", "-1", "1e-10", "1e300", "NA", "\"a\""),
                 use_ggplot = c("NA", "\"yes\"", "c(TRUE, FALSE)", "1", "NULL", "logical(0)"),
                 axis = c("\"n_eff\"", "\"neff\"", "NA", "c(\"n\", \"n_eff\")")),
    edit = list(x = "study")
  ),
  moe_dendrogram = list(
    fun = "moe_dendrogram",
    base = function() pick(list(
      list(object = pick(c("FIX$fit", "FIX$fit_s", "FIX$fit2", "FIX$fit_f")), refit = pick(c("TRUE", "FALSE")),
           control = pick(c("NULL", "FIX$ctrl"))),
      list(object = "FIX$G3", x = "FIX$x", y = pick(c("FIX$y", "NULL")), refit = "FALSE",
           weight = pick(c("\"gate\"", "\"intercept\""))),
      list(object = "FIX$Gs3", x = "FIX$x", y = "FIX$ys", refit = "TRUE", control = "FIX$ctrl"))),
    pools = list(object = c(P$measure_bad, "FIX$Gd2", "FIX$Glin"), x = P$x_bad, y = P$y_bad, weights = P$weights,
                 refit = c("NA", "\"yes\"", "c(TRUE, FALSE)", "1"),
                 weight = c("\"mass\"", "NA", "c(\"gate\", \"intercept\")", "1"),
                 omega = c("0", "-1", "Inf", "NA", "1e308", "1e6", "1e-320", "\"a\"", "c(1, 2)", "NULL"),
                 control = c(P$ctrl_ok, P$ctrl_bad)),
    edit = list(object = c("fit", "G3", "fit_s"), control = "ctrl")
  ),
  select_k = list(
    fun = "select_k", base = function() list(object = pick(c("FIX$dend", "FIX$dend3")),
                                             criterion = pick(c("NULL", "\"bic\"", "\"dic\"", "\"jump\""))),
    pools = list(object = c("FIX$fit", "FIX$cv", "fz_reclass(FIX$fit, \"moe_dendrogram\")"),
                 criterion = c("\"aic\"", "NA", "c(\"bic\", \"dic\")", "1")),
    edit = list(object = "dend")
  ),
  as_mixing_measure_moe_dendrogram = list(
    fun = "as_mixing_measure", method = "as_mixing_measure.moe_dendrogram",
    base = function() list(x = pick(c("FIX$dend", "FIX$dend3")), k = pick(c("1", "2"))),
    pools = list(k = c(P$count_bad, "3", "4")), edit = list(x = "dend")
  ),
  moe_cv = list(
    fun = "moe_cv",
    base = function() pick(list(
      list(formula = "FIX$x", data = "FIX$y", k = pick(c("1", "1:2")), expert = pick(c(P$expert_ok[1:4], "list(\"linear\", \"constant\")")),
           folds = pick(c("2", "3")), control = "FIX$ctrl"),
      list(formula = pick(c("y ~ x", "y ~ x + z")), data = "FIX$d", k = "1:2", expert = "\"linear\"", folds = "2",
           control = "FIX$ctrl", gate = pick(c("gate_softmax()", "gate_sigmoid()"))))),
    pools = list(formula = c(P$x_bad, "y ~ nope", "~ x", "y ~ g"), data = c(P$y_bad, "FIX$d[1:3, ]", "NULL"),
                 k = c(P$count_bad, "c(1, 1)", "c(1, NA)", "1:3"), expert = c(P$expert_bad, "list()", "list(\"linear\", \"linear\")"),
                 folds = c(P$count_bad, "60", "61"), foldid = c("rep(1:2, 30)", "rep(1, 60)", "rep(1:3, 20)", "rep(c(1, 3), 30)", "1:2",
                                                               "c(rep(1:2, 29), NA, 1)", "rep(1.5, 60)", "\"a\""),
                 control = P$ctrl_bad, gate = c(P$gate_ok, P$gate_bad), weights = P$weights,
                 subset = c("x > 0.5", "1:10", "1:3", "\"a\"", "c(TRUE, NA)"), na.action = c("na.omit", "na.fail", "1", "na.exclude")),
    edit = list(control = "ctrl", expert = "expert", gate = "gate")
  ),
  print_identifiability_check = list(
    fun = "print", method = "print.identifiability_check", base = function() list(x = pick(c("FIX$ident", "FIX$ident_lin"))),
    pools = list(n_show = c("NA", "-1", "0", "1e9", "\"a\"", "c(1, 2)", "Inf", "1.5", "NULL")), edit = list(x = "ident")
  )
)

# Components where non-finite values are legitimate (Inf bounds of a control, NA rows of a study).
NONFINITE_SKIP <- c("control", "bound_gate", "bound_expert", "bound_output", "call", "terms", "model")

# ---------------------------------------------------------------------------------------------
# Matching the table against the installed package.
resolve_table <- function(ns) {
  exports <- getNamespaceExports(ns)
  # re-exported generics (tidy, glance, augment from generics) are another package's functions:
  # they are fuzzed through the package's methods only
  own <- vapply(exports, function(f) {
    fn <- getExportedValue(ns, f)
    !is.function(fn) || identical(environment(fn), asNamespace(ns))
  }, logical(1))
  foreign <- exports[!own]
  exports <- exports[own]
  s3 <- getNamespaceInfo(ns, "S3methods")
  s3names <- paste(s3[, 1], s3[, 2], sep = ".")
  notes <- character()
  formals_of <- function(e) {
    if (is.function(e$fun)) return(NULL)
    f <- if (!is.null(e$method) && !is.na(e$method)) {
      tryCatch(get(e$method, envir = asNamespace(ns)), error = function(err) NULL)
    } else if (e$fun %in% exports) getExportedValue(ns, e$fun) else NULL
    if (is.null(f)) return(NA)
    names(formals(f))
  }
  tab <- list()
  covered <- character()
  for (nm in names(FUZZ_TABLE)) {
    e <- FUZZ_TABLE[[nm]]
    fm <- formals_of(e)
    if (identical(fm, NA)) {
      notes <- c(notes, sprintf("table entry %s: %s is not in the package any more: skipped", nm, e$method %||% e$fun))
      next
    }
    e$formals <- fm
    if (!is.null(fm)) {
      known <- c(names(e$pools), names(e$edit), names(e$base_names %||% character()))
      gone <- setdiff(names(e$pools)[nzchar(names(e$pools))], fm)
      if (length(gone) && !"..." %in% fm) e$pools <- e$pools[!names(e$pools) %in% gone]
      e$untabled <- setdiff(fm, c(names(e$pools), names(e$edit), "...", all_base_names(e)))
      if (length(e$untabled)) notes <- c(notes, sprintf("%s: argument(s) without a pool, generic values only: %s", nm,
                                                        paste(e$untabled, collapse = ", ")))
    }
    covered <- c(covered, if (!is.null(e$method) && !is.na(e$method)) e$method else if (is.character(e$fun)) e$fun)
    tab[[nm]] <- e
  }
  covered <- c(covered, "moe_lse", "as_mixing_measure.default", "as_mixing_measure.mixing_measure", "as_mixing_measure.moe_lse")
  fixtures_of <- function(cl) names(Filter(function(o) inherits(o, cl), as.list(FIX)))
  extra_digits <- c("0", "-1", "NA", "100", "NULL", "\"a\"")
  for (i in seq_len(nrow(s3))) {
    m <- s3names[i]
    if (m %in% covered) next
    fn <- get(m, envir = asNamespace(ns))
    fm <- names(formals(fn))
    fx <- fixtures_of(s3[i, 2])
    base_code <- if (length(fx)) paste0("FIX$", fx) else sprintf("fz_make(\"%s\", list())", s3[i, 2])
    if (!length(fx)) notes <- c(notes, sprintf("%s: no fixture of class %s (add one to FIXTURE_CODE)", m, s3[i, 2]))
    tab[[paste0("s3_", m)]] <- list(fun = s3[i, 1], method = m, formals = fm,
                                   base = local({ b <- base_code; function() list(pick(b)) }),
                                   pools = if ("digits" %in% fm) list(digits = extra_digits) else list(),
                                   edit = if (length(fx)) list(fx) else list(),
                                   untabled = setdiff(fm[-1], c("...", "digits")))
    covered <- c(covered, m)
    # generics of stats that work through this method (AIC/BIC through logLik)
    if (s3[i, 1] == "logLik") {
      for (g in c("AIC", "BIC")) {
        tab[[paste0("s3_", g, ".", s3[i, 2])]] <- list(fun = g, method = m, formals = NULL,
                                                       base = local({ b <- base_code; function() list(pick(b)) }),
                                                       pools = list(), edit = if (length(fx)) list(fx) else list(), untabled = character())
      }
    }
  }
  # exported functions the table does not know: generic values only
  for (f in setdiff(exports, covered)) {
    fn <- getExportedValue(ns, f)
    if (!is.function(fn)) next
    fm <- names(formals(fn))
    notes <- c(notes, sprintf("%s: exported but not in the table, generic values only", f))
    req <- fm[vapply(formals(fn), function(v) identical(v, quote(expr = )), logical(1)) & fm != "..."]
    tab[[paste0("auto_", f)]] <- list(fun = f, formals = fm, pools = list(), untabled = setdiff(fm, "..."),
                                      base = local({ r <- req; function() as.list(stats::setNames(sample(GENERIC, length(r), TRUE), r)) }))
  }
  # S3 dispatch: a generic that is not the package's own is called only on objects of a class
  # the package has a method for (a call dispatched to another package's method is skipped)
  for (nm in names(tab)) {
    g <- tab[[nm]]$fun
    if (is.character(g) && !g %in% exports) {
      gg <- if (g %in% c("AIC", "BIC")) "logLik" else g
      tab[[nm]]$dispatch <- s3[s3[, 1] == gg, 2]
    }
  }
  list(table = tab, notes = notes)
}

`%||%` <- function(a, b) if (is.null(a)) b else a

# names of a list, "" for unnamed elements (the first, positional argument)
arg_names <- function(l) if (length(l)) names(l) %||% rep("", length(l)) else character()

all_base_names <- function(e) {
  # names the base generator can produce (sampled a few times; generators are cheap)
  unique(unlist(lapply(1:20, function(i) names(e$base()))))
}

# A fixture of a class (for methods the table does not know).
fz_first_of_class <- function(cl) {
  for (o in as.list(FIX)) if (inherits(o, cl)) return(o)
  fz_make(cl, list())
}

# ---------------------------------------------------------------------------------------------
# Drawing a call: the base call, then 0 to 3 mutations (a pool value, an edited fixture, or a
# generic value) of tabled or untabled arguments.
draw_call <- function(name, e, fields) {
  args <- e$base()
  fun <- if (is.function(e$fun)) e$fun() else e$fun
  n_mut <- sample(0:3, 1, prob = c(0.15, 0.45, 0.25, 0.15))
  cand <- unique(c(arg_names(e$pools), arg_names(e$edit), arg_names(args), e$untabled))
  # unnamed (positional) pools/edits refer to the first argument
  for (m in seq_len(n_mut)) {
    if (!length(cand) && !length(args)) break
    a <- if (length(cand)) sample(cand, 1) else ""
    if (!is.null(e$formals) && nzchar(a) && !a %in% e$formals && !"..." %in% e$formals) next
    u <- runif(1)
    pool <- if (nzchar(a)) e$pools[[a]] else if (length(e$pools) && !nzchar(arg_names(e$pools)[1])) e$pools[[1]]
    ed <- if (nzchar(a)) e$edit[[a]] else if (length(e$edit) && !nzchar(arg_names(e$edit)[1])) e$edit[[1]]
    val <- if (u < 0.45 && length(pool)) {
      sample(pool, 1)
    } else if (u < 0.7 && length(ed)) {
      fx <- sample(ed, 1)
      sub <- strsplit(fx, "$", fixed = TRUE)[[1]]
      fl <- fields[[sub[1]]]
      if (length(sub) > 1) {
        pre <- paste0(sub[-1], collapse = "$")
        fl <- sub(paste0("^", pre, "\\$"), "", grep(paste0("^", pre, "\\$"), fl, value = TRUE))
        if (!length(fl)) fl <- "x"
        sprintf("fz_edit(FIX$%s, c(%s), %s)", sub[1],
                paste0("\"", c(sub[-1], strsplit(sample(fl, 1), "$", fixed = TRUE)[[1]]), "\"", collapse = ", "),
                sample(c("NULL", GENERIC_EDIT), 1))
      } else {
        edited_fixture(sub[1], if (length(fl)) fl else "x")
      }
    } else {
      sample(GENERIC, 1)
    }
    if (!nzchar(a)) {
      if (length(args)) args[[1]] <- val else args <- list(val)
    } else {
      args[[a]] <- val
    }
  }
  # drop arguments the function does not have (when it has no `...`)
  if (!is.null(e$formals) && !"..." %in% e$formals) {
    nm <- names(args) %||% rep("", length(args))
    args <- args[!nzchar(nm) | nm %in% e$formals]
  }
  nm <- names(args) %||% rep("", length(args))
  parts <- ifelse(nzchar(nm), paste0(nm, " = ", unlist(args)), unlist(args))
  code <- sprintf("%s(%s)", fun, paste(parts, collapse = ", "))
  list(entry = name, fun = fun, code = code, edited = grepl(FZ_EDITED, code), dispatch = e$dispatch)
}

# ---------------------------------------------------------------------------------------------
# Running one call (in the child).
nonfinite_paths <- function(x, path = "value", depth = 0) {
  if (depth > 5 || is.environment(x) || is.function(x) || is.language(x) || is.null(x)) return(character())
  out <- character()
  # NaN and +-Inf are failures; NA_real_ is R's documented "not available" marker
  if ((is.double(x) || is.complex(x)) && length(x) && any(is.nan(x) | is.infinite(x))) out <- path
  if (is.list(x)) {
    nm <- names(x) %||% rep("", length(x))
    for (i in seq_along(x)) {
      if (nm[i] %in% NONFINITE_SKIP) next
      out <- c(out, nonfinite_paths(x[[i]], paste0(path, if (nzchar(nm[i])) paste0("$", nm[i]) else sprintf("[[%d]]", i)), depth + 1))
    }
  }
  at <- attributes(x)
  for (a in setdiff(names(at), c("names", "dim", "dimnames", "class", "row.names", "levels", NONFINITE_SKIP))) {
    out <- c(out, nonfinite_paths(at[[a]], paste0(path, "@", a), depth + 1))
  }
  out
}

run_call <- function(call, seed) {
  set.seed(seed)
  if (grDevices::dev.cur() == 1) grDevices::pdf(NULL)  # normally opened once by the parent
  env <- new.env(parent = environment(run_call))
  expr <- tryCatch(parse(text = call$code)[[1]], error = function(e) NULL)
  if (is.null(expr)) return(list(status = "gen_error", msg = "cannot parse the call"))
  # evaluate the arguments first: a failure there is the generator's, not the package's
  args <- as.list(expr)[-1]
  vals <- list()
  for (i in seq_along(args)) {
    v <- tryCatch(list(eval(args[[i]], env)), error = function(e) e)
    if (inherits(v, "error")) return(list(status = "gen_error", msg = conditionMessage(v)))
    vals[i] <- v
  }
  if (length(call$dispatch) && length(vals) && !inherits(vals[[1]], call$dispatch)) {
    return(list(status = "gen_error", msg = "dispatches to a method of another package"))
  }
  # the call refers to its evaluated arguments by name (.a1, .a2, ...), so that match.call() and
  # error messages do not carry deparsed data
  syms <- lapply(seq_along(vals), function(i) as.name(paste0(".a", i)))
  for (i in seq_along(vals)) assign(paste0(".a", i), vals[[i]], envir = env)
  names(syms) <- names(args)
  fcall <- as.call(c(parse(text = call$fun)[[1]], syms))
  warned <- character()
  res <- withCallingHandlers(
    tryCatch({
      value <- eval(fcall, env)
      list(status = "ok", value = value)
    }, error = function(e) list(status = "error", class = class(e), msg = conditionMessage(e))),
    warning = function(w) {
      warned <<- c(warned, paste(class(w)[1], conditionMessage(w)))
      invokeRestart("muffleWarning")
    },
    message = function(m) invokeRestart("muffleMessage"))
  out <- list(status = res$status, msg = res$msg %||% "", class = res$class %||% character(),
              warned = warned, lsmoe_warned = any(grepl("^lsmoe_", warned)))
  if (res$status == "ok") {
    v <- res$value
    # a value passed through unchanged (an argument, or a component of one, such as the `value`
    # of a hand-edited loss object read by as.double()) is not a result the package computed
    parts <- unlist(lapply(vals, function(a) c(list(a), if (is.list(a)) unclass(a))), recursive = FALSE)
    echoed <- any(vapply(parts, function(a) identical(a, v) || is.double(a) && identical(as.double(a), v), logical(1)))
    # NaN/Inf at a place where an argument already had them (a column of a data frame passed
    # through, for instance) is the caller's, not the package's
    given <- unique(unlist(lapply(vals, nonfinite_paths)))
    out$nonfinite <- if (echoed) character() else utils::head(setdiff(nonfinite_paths(v), given), 5)
  }
  out
}

# ---------------------------------------------------------------------------------------------
# The parent: fork each call, wait with a timeout, classify.
run_forked <- function(call, seed, timeout) {
  job <- parallel::mcparallel(run_call(call, seed), silent = TRUE)
  t0 <- Sys.time()
  repeat {
    r <- suppressWarnings(parallel::mccollect(job, wait = FALSE, timeout = 0.2))
    if (!is.null(r)) {
      res <- r[[1]]
      # reap the child
      suppressWarnings(parallel::mccollect(job, wait = TRUE, timeout = 5))
      if (is.null(res) || inherits(res, "try-error")) {
        return(list(status = "crash", msg = if (inherits(res, "try-error")) as.character(res) else "the child died"))
      }
      return(res)
    }
    if (as.numeric(difftime(Sys.time(), t0, units = "secs")) > timeout) {
      tools::pskill(job$pid, tools::SIGKILL)
      suppressWarnings(parallel::mccollect(job, wait = TRUE, timeout = 5))
      return(list(status = "hang", msg = sprintf("no answer after %g s", timeout)))
    }
  }
}

classify <- function(call, res) {
  s <- res$status
  if (s == "ok") {
    if (length(res$nonfinite)) {
      return(if (isTRUE(res$lsmoe_warned)) "nonfinite_warned" else if (call$edited) "nonfinite_edited" else "nonfinite_silent")
    }
    return("ok")
  }
  if (s == "error") {
    if ("lsmoe_error" %in% res$class) return("classed")
    return(if (call$edited) "other_edited" else "other_ordinary")
  }
  s  # crash, hang, gen_error
}

build_fixtures <- function() {
  job <- parallel::mcparallel({
    eval(parse(text = FIXTURE_CODE), globalenv())
    as.list(FIX)
  }, silent = TRUE)
  r <- parallel::mccollect(job, wait = TRUE)[[1]]
  if (!is.list(r) || inherits(r, "try-error")) stop("building the fixtures failed: ", paste(r, collapse = " "))
  list2env(r, envir = new.env())
}

fuzz_main <- function(opt = fuzz_options()) {
  suppressPackageStartupMessages(library(lsmoe, lib.loc = c(opt$lib, .libPaths())))
  # the calls run in a directory of their own, removed at the end: a call may write files there
  # (rate_study(checkpoint = "a") makes a directory), never in the caller's working directory
  wd <- tempfile("lsmoe-fuzz-")
  dir.create(wd)
  old_wd <- setwd(wd)
  on.exit({
    setwd(old_wd)
    unlink(wd, recursive = TRUE)
  }, add = TRUE)
  set.seed(opt$seed)
  FIX <<- build_fixtures()
  grDevices::pdf(NULL)  # one null device, inherited by every child (opening it costs 0.3 s)
  on.exit(grDevices::dev.off(), add = TRUE)
  rt <- resolve_table("lsmoe")
  tab <- rt$table
  fields <- fixture_fields(FIX)
  n <- if (!is.na(opt$only)) opt$only else opt$calls
  # draw every call first, in order (so that --only I reproduces call I)
  calls <- draw_calls(tab, fields, n, opt$seed)
  if (isTRUE(opt$self_test)) {
    # the machinery itself: a crash, a hang (2 s timeout), a silent NaN and an unclassed error
    calls <- c(calls, list(
      list(entry = "self_test", fun = "tools::pskill", code = "tools::pskill(Sys.getpid(), tools::SIGKILL)", edited = FALSE),
      list(entry = "self_test", fun = "Sys.sleep", code = "Sys.sleep(60)", edited = FALSE, timeout = 2),
      list(entry = "self_test", fun = "sqrt", code = "sqrt(-1)", edited = FALSE),
      list(entry = "self_test", fun = "stop", code = "stop(\"plain\")", edited = FALSE)))
  }
  idx <- if (!is.na(opt$only)) opt$only else seq_along(calls)
  outcome <- character(length(calls))
  results <- vector("list", length(calls))
  t0 <- Sys.time()
  for (i in idx) {
    t1 <- Sys.time()
    res <- run_forked(calls[[i]], opt$seed * 100003 + i, calls[[i]]$timeout %||% opt$timeout)
    res$secs <- as.numeric(difftime(Sys.time(), t1, units = "secs"))
    results[[i]] <- res
    outcome[i] <- classify(calls[[i]], res)
    if (!opt$quiet && i %% 1000 == 0) {
      message(sprintf("fuzz: %d/%d calls, %.0f s", i, length(calls), as.numeric(difftime(Sys.time(), t0, units = "secs"))))
    }
  }
  if (!is.na(opt$only)) {
    cat(FIXTURE_CODE, "\n", sep = "")
    cat("# call", opt$only, "\n", calls[[opt$only]]$code, "\n", sep = "")
    cat("# outcome:", outcome[opt$only], "\n")
    utils::str(results[[opt$only]])
    return(invisible(list(outcome = outcome[opt$only], result = results[[opt$only]])))
  }
  report(calls, outcome, results, rt$notes, opt, as.numeric(difftime(Sys.time(), t0, units = "secs")))
}

# Every call drawn in order from set.seed(seed): the same seed and table give the same calls.
draw_calls <- function(tab, fields, n, seed) {
  set.seed(seed)
  w <- ifelse(grepl("^auto_", names(tab)), 0.5, 1)
  lapply(seq_len(n), function(i) {
    nm <- sample(names(tab), 1, prob = w)
    draw_call(nm, tab[[nm]], fields)
  })
}

report <- function(calls, outcome, results, notes, opt, secs) {
  cats <- c(ok = "returned a finite value", classed = "classed errors (lsmoe_error)",
            other_ordinary = "other errors, ordinary input", other_edited = "other errors, hand-edited object",
            nonfinite_silent = "silent non-finite, ordinary input", nonfinite_edited = "silent non-finite, hand-edited object",
            nonfinite_warned = "non-finite with a classed warning",
            crash = "crashes", hang = "hangs", gen_error = "generator errors (not counted)")
  counted <- outcome != "gen_error"
  cnt <- vapply(names(cats), function(k) sum(outcome == k), integer(1))
  cat(sprintf("lsmoe fuzz: seed %g, %d calls (%d counted) over %d table entries, timeout %g s, %.0f s\n",
              opt$seed, length(calls), sum(counted), length(unique(vapply(calls, `[[`, "", "entry"))), opt$timeout, secs))
  cat(sprintf("  %-36s %6d\n", "calls", sum(counted)))
  for (k in names(cats)) cat(sprintf("  %-36s %6d\n", cats[[k]], cnt[[k]]))
  entries <- vapply(calls, `[[`, "", "entry")
  tabl <- table(factor(entries), factor(outcome, levels = names(cats)))
  cat("\nper entry:\n")
  tabl <- tabl[, colSums(tabl) > 0, drop = FALSE]
  secs_entry <- tapply(vapply(results, function(r) r$secs %||% 0, 0), factor(entries), sum)
  tabl <- cbind(tabl, seconds = round(as.numeric(secs_entry[rownames(tabl)]), 1))
  print(tabl)
  if (length(notes)) cat("\nnotes:\n", paste0("  ", unique(notes), "\n"), sep = "")
  show <- c("crash", "hang", "nonfinite_silent", "nonfinite_edited", "other_ordinary", "other_edited", "nonfinite_warned")
  for (k in show) {
    ii <- which(outcome == k)
    if (!length(ii)) next
    key <- vapply(ii, function(i) paste(calls[[i]]$entry, calls[[i]]$fun, substr(results[[i]]$msg %||% "", 1, 60),
                                        paste(results[[i]]$nonfinite, collapse = ",")), "")
    ii <- ii[!duplicated(key)]
    cat(sprintf("\n%s: %d distinct (showing %d); replay with --seed %g --only I\n", cats[[k]], length(ii),
                min(length(ii), opt$show), opt$seed))
    for (i in utils::head(ii, opt$show)) {
      r <- results[[i]]
      detail <- if (grepl("^nonfinite", k)) paste("non-finite at", paste(r$nonfinite, collapse = ", ")) else r$msg
      cat(sprintf("  [%d] %s\n       -> %s\n", i, calls[[i]]$code, gsub("\n", " ", substr(detail, 1, 300))))
    }
  }
  fail <- cnt[["crash"]] + cnt[["hang"]] + (if (opt$allow_nonfinite) 0 else cnt[["nonfinite_silent"]] + cnt[["nonfinite_edited"]]) +
    (if (opt$allow_unclassed) 0 else cnt[["other_ordinary"]])
  cat(sprintf("\nfuzz: %s\n", if (fail) "FAILED" else "OK"))
  invisible(list(counts = cnt, outcome = outcome, calls = calls, results = results, fail = fail > 0, notes = unique(notes)))
}

# ---------------------------------------------------------------------------------------------
# Run as a script: limit the children's memory (re-executing under `ulimit -v`), then fuzz.
if (sys.nframe() == 0L && !interactive()) {
  opt <- fuzz_options()
  if (.Platform$OS.type != "unix") stop("the fuzzer needs fork() (Linux or macOS)")
  # AddressSanitizer (make sanitize preloads libasan) reserves terabytes of virtual memory for its
  # shadow, so `ulimit -v` would stop every process; there its allocator returns NULL instead
  # (ASAN_OPTIONS=allocator_may_return_null=1), which R reports as "cannot allocate"
  asan <- grepl("libasan", Sys.getenv("LD_PRELOAD"))
  if (!nzchar(Sys.getenv("LSMOE_FUZZ_LIMITED")) && opt$mem_mb > 0 && !asan) {
    file <- sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE))
    cmd <- sprintf("ulimit -v %d 2>/dev/null; LSMOE_FUZZ_LIMITED=1 OMP_STACKSIZE=512K exec %s --vanilla %s %s",
                   as.integer(opt$mem_mb * 1024), shQuote(file.path(R.home("bin"), "Rscript")), shQuote(file),
                   paste(shQuote(commandArgs(TRUE)), collapse = " "))
    quit(status = system2("bash", c("-c", shQuote(cmd))), save = "no")
  }
  out <- fuzz_main(opt)
  if (nzchar(opt$save)) saveRDS(out[c("counts", "outcome", "calls", "fail", "notes")], opt$save)
  quit(status = if (is.list(out) && isTRUE(out$fail)) 1 else 0, save = "no")
}
