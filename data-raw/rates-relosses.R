# Recomputes the Voronoi losses of the polynomial(2) rows of inst/extdata/rates.rds from the study's
# kept fits (issue 25), without refitting.
#
# Why: (a x + b)^2 equals (-a x - b)^2, so a fit not started at the truth may end with an atom's
# expert in the flipped sign. The stored study (data-raw/rates.R, run before the fix) compared such
# atoms with the truth in the wrong sign, giving polynomial(2) D1 values up to 149. rate_study() now
# compares each fitted atom with the truth in its nearer sign (sign_representative(), the same
# mixing measure and the same f_G); this script applies that to the stored fits. The fits, the RSS,
# the regression errors (which do not depend on the sign) and every other family's rows are
# unchanged. Check first: the same computation on the sigmoid, tanh and linear rows must reproduce
# their stored values (to 1e-10 relative), or the script stops.
#
# Run from the package root with lsmoe installed:  Rscript data-raw/rates-relosses.R
library(lsmoe)
path <- "inst/extdata/rates.rds"
s <- readRDS(path)
fits <- attr(s, "fits")
settings <- attr(s, "settings")
meta <- attr(s, "meta")
if (!is.null(meta$relosses)) stop("the polynomial(2) losses of ", path, " were already recomputed: ", meta$relosses)
loss_spec <- function(loss) switch(loss, D1 = list(type = "D1", r = 1), D2_r1 = list(type = "D2", r = 1),
                                   D2_r2 = list(type = "D2", r = 2), stop("unknown loss ", loss))
measure_of <- function(id) {
  ft <- fits[fits$fit == id, ]
  G0 <- settings[[ft$setting[1]]]$G0
  G <- mixing_measure(ft$beta0, as.matrix(ft[grep("^beta1_", names(ft))]), as.matrix(ft[grep("^eta_", names(ft))]),
                      expert = G0$expert, gate = G0$gate)
  list(G = lsmoe:::sign_representative(G, G0), G0 = G0, bound_gate = settings[[ft$setting[1]]]$control$bound_gate)
}
recompute <- function(rows) {
  out <- s[rows, c("value", "weight_term", "split_term", "single_term", "cells")]
  for (id in unique(s$fit[rows])) {
    m <- measure_of(id)
    for (i in which(s$fit[rows] == id)) {
      sp <- loss_spec(s$loss[rows[i]])
      tm <- voronoi_loss(m$G, m$G0, type = sp$type, r = sp$r, align = s$align[rows[i]], bound_gate = m$bound_gate,
                         terms = TRUE)
      out[i, ] <- list(attr(tm, "value"), sum(tm$weight), sum(tm$split), sum(tm$single), paste(tm$cell_size, collapse = ","))
    }
  }
  out
}
param <- s$loss != "regression" & is.finite(s$value)
# the check: other families' rows (every 7th fit, all of its losses) reproduced
others <- which(param & s$expert != "polynomial(2)" & s$fit %% 7 == 0)
chk <- recompute(others)
rel <- abs(chk$value - s$value[others]) / pmax(abs(s$value[others]), 1e-300)
cat(sprintf("check: %d rows of other families, largest relative difference %.2e\n", length(others), max(rel)))
if (max(rel) > 1e-10 || !identical(chk$cells, s$cells[others])) stop("the recomputation does not reproduce the stored losses")
rows <- which(param & s$expert == "polynomial(2)")
new <- recompute(rows)
changed <- abs(new$value - s$value[rows]) > 1e-10 * pmax(abs(s$value[rows]), 1e-300)
cat(sprintf("polynomial(2): %d rows, %d changed (%d fits); largest value before %.3g, after %.3g\n", length(rows),
            sum(changed), length(unique(s$fit[rows][changed])), max(s$value[rows]), max(new$value)))
s[rows, c("value", "weight_term", "split_term", "single_term", "cells")] <- new
meta$relosses <- sprintf(paste("polynomial(2) D1/D2 losses recomputed from the kept fits with sign_representative()",
                               "(data-raw/rates-relosses.R, lsmoe %s, %s): %d of %d rows changed"),
                         as.character(utils::packageVersion("lsmoe")), format(Sys.Date()), sum(changed), length(rows))
attr(s, "meta") <- meta
saveRDS(s, path, compress = "xz")
cat(meta$relosses, "\n")
