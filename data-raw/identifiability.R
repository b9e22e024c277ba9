# Regenerates inst/extdata/identifiability.rds, the tables behind the vignette
# "Identifiability and Voronoi losses":
#   verdicts: check_identifiability(expert, d = d, seed = 1) (random configurations, k = 1..3,
#             4 per k) for every built-in family, d = 1 and 2, with the run time of each call;
#   precision: the ratio smallest / largest singular value of a few families in double, 150 and 300
#             bits (pre-screen off), showing why double precision cannot decide;
#   sigmoid:  check_identifiability(expert, d = d, seed = 1, gate = "sigmoid", regime = r) for the
#             sigmoid gate (arXiv:2405.13997), regime 1 (strong: orders 1-2 at beta1 = 0, random
#             beta0 ~ U(-1.5, 1.5)) and regime 2 (weak: first order at random non-zero slopes), d = 1
#             and 2, beside the verdict the companion paper states.
#
# Run from the package root with the package installed:
#   Rscript data-raw/identifiability.R      (about 2 minutes on one core)
library(lsmoe)

families <- list(
  "sigmoid" = expert_sigmoid(), "tanh" = expert_tanh(), "gelu" = expert_gelu(),
  "linear" = expert_linear(), "polynomial, p = 2" = expert_polynomial(2),
  "polynomial, p = 3" = expert_polynomial(3), "relu" = expert_relu(), "constant" = expert_constant(),
  "sigmoid, output weight" = expert_sigmoid(TRUE), "tanh, output weight" = expert_tanh(TRUE),
  "gelu, output weight" = expert_gelu(TRUE), "relu, output weight" = expert_relu(TRUE))

verdicts <- do.call(rbind, lapply(1:2, function(d) do.call(rbind, lapply(names(families), function(nm) {
  t0 <- proc.time()[["elapsed"]]
  r <- check_identifiability(families[[nm]], d = d, seed = 1)
  secs <- proc.time()[["elapsed"]] - t0
  data.frame(expert = nm, d = d, verdict = r$verdict, configs = nrow(r$configs),
             high_precision = sum(r$configs$decided_by == "high precision"), ratio = r$ratio,
             relations = length(r$relations), seconds = secs,
             relation = if (length(r$relations)) lsmoe:::format_relation(r$relations[[length(r$relations)]]) else "",
             stringsAsFactors = FALSE)
}))))

cases <- list(
  list("sigmoid, atoms (1.5, -0.7), (2, 0.4)", expert_sigmoid(), rbind(c(1.5, -0.7), c(2, 0.4))),
  list("tanh, atoms (2, 0), (1, 0)", expert_tanh(), rbind(c(2, 0), c(1, 0))),
  list("sigmoid, three gentle atoms", expert_sigmoid(), rbind(c(1, 0.3), c(-1.3, 0.5), c(0.8, -0.6))),
  list("gelu, three gentle atoms", expert_gelu(), rbind(c(1, 0.3), c(-1.3, 0.5), c(0.8, -0.6))),
  list("polynomial p = 3, two atoms", expert_polynomial(3), rbind(c(1.2, -0.3), c(-0.8, 0.6))),
  list("sigmoid, eta_2 = -eta_1", expert_sigmoid(), rbind(c(1.3, -0.4), c(-1.3, 0.4))),
  list("gelu, eta_2 = -eta_1", expert_gelu(), rbind(c(1.3, -0.4), c(-1.3, 0.4))))
precision <- do.call(rbind, lapply(cases, function(cs) {
  r <- check_identifiability(cs[[2]], cs[[3]], prescreen = FALSE)
  data.frame(case = cs[[1]], bits = c(53, 150, 300), ratio = unname(r$ratios), verdict = r$verdict,
             stringsAsFactors = FALSE)
}))

sig_families <- list(
  "relu" = expert_relu(), "gelu" = expert_gelu(), "linear" = expert_linear(),
  "polynomial, p = 2" = expert_polynomial(2), "sigmoid" = expert_sigmoid(), "tanh" = expert_tanh(),
  "relu, output weight" = expert_relu(TRUE), "gelu, output weight" = expert_gelu(TRUE),
  "sigmoid, output weight" = expert_sigmoid(TRUE), "tanh, output weight" = expert_tanh(TRUE))
# what arXiv:2405.13997 states (paper-notes section 7); "-" where it says nothing
paper <- list(
  "1" = c("relu" = "identifiable", "gelu" = "identifiable", "linear" = "not identifiable",
          "polynomial, p = 2" = "not identifiable"),
  "2" = c("relu" = "identifiable", "gelu" = "identifiable", "linear" = "identifiable",
          "polynomial, p = 2" = "identifiable"))
sigmoid <- do.call(rbind, lapply(1:2, function(regime) do.call(rbind, lapply(1:2, function(d) {
  do.call(rbind, lapply(names(sig_families), function(nm) {
    t0 <- proc.time()[["elapsed"]]
    r <- check_identifiability(sig_families[[nm]], d = d, seed = 1, gate = "sigmoid", regime = regime)
    secs <- proc.time()[["elapsed"]] - t0
    pv <- paper[[as.character(regime)]][nm]
    data.frame(expert = nm, regime = regime, d = d, verdict = r$verdict, paper = if (is.na(pv)) "-" else unname(pv),
               configs = nrow(r$configs), high_precision = sum(r$configs$decided_by == "high precision"),
               ratio = r$ratio, relations = length(r$relations), zero_terms = length(r$check$zero_terms),
               seconds = secs,
               relation = if (length(r$relations)) lsmoe:::format_relation(r$relations[[length(r$relations)]]) else "",
               stringsAsFactors = FALSE)
  }))
}))))

out <- list(verdicts = verdicts, precision = precision, sigmoid = sigmoid, date = Sys.Date(),
            machine = paste(Sys.info()[["sysname"]], Sys.info()[["machine"]]),
            version = as.character(utils::packageVersion("lsmoe")))
saveRDS(out, "inst/extdata/identifiability.rds", version = 2)
print(verdicts[, c("expert", "d", "verdict", "configs", "ratio", "seconds")])
print(precision)
print(sigmoid[, c("expert", "regime", "d", "verdict", "paper", "configs", "ratio", "zero_terms", "seconds")])
