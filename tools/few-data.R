# Held-out error against rows per free parameter: the evidence behind the threshold of the warning
# of class lsmoe_warning_few_data (R/fit-object.R, warn_few_data(): fewer than 10 rows per free
# parameter). Subsamples of n rows of four real data sets are fitted with linear and
# output-weighted tanh experts (k = 2, 3; 20 starts), and scored on the rows left out that lie
# inside the training inputs (extrapolation has its own warning). Prints, by bins of n / p, the
# median ratio of held-out to in-sample MSE (`opt`), of held-out MSE to lm's on the same split
# (`vs_lm`), lm's own ratio (`lm_opt`), and the share of fits worse than lm (or twice as bad) on
# the held-out rows. About 6 minutes on one core:
#   Rscript --vanilla tools/few-data.R        (with lsmoe and MASS installed)
#
# Result (lsmoe at the commit that added the warning; 656 fits):
#      npbin    opt vs_lm lm_opt n_fits frac_worse_lm frac_2x_lm
#      (0,2] 26.548 1.641  1.316    144        0.7292     0.4028
#      (2,3]  7.039 1.235  1.072     96        0.6458     0.2917
#      (3,5]  3.207 0.794  1.037    168        0.3333     0.1071
#    (5,7.5]  1.943 0.708  0.925    104        0.2788     0.0577
#   (7.5,10]  1.657 0.729  0.943     64        0.1719     0.0625
#    (10,15]  1.306 0.608  0.967     56        0.0536     0.0179
#    (15,20]  1.161 0.648  1.074     16        0.0000     0.0000
#   (20,100]  0.989 0.560  1.033      8        0.0000     0.0000
library(lsmoe)
sets <- list(
  Boston = list(f = medv ~ lstat + rm, data = MASS::Boston),
  mcycle = list(f = accel ~ times, data = MASS::mcycle),
  faithful = list(f = eruptions ~ waiting, data = datasets::faithful),
  airq = list(f = Ozone ~ Temp + Wind, data = na.omit(datasets::airquality)))
cfgs <- list(lin2 = list(k = 2, e = expert_linear()), lin3 = list(k = 3, e = expert_linear()),
             tanh2 = list(k = 2, e = expert_tanh(output_weight = TRUE)), tanh3 = list(k = 3, e = expert_tanh(output_weight = TRUE)))
ns <- c(15, 25, 40, 60, 90, 140)
rows <- list()
for (sn in names(sets)) {
  s <- sets[[sn]]; N <- nrow(s$data)
  for (n in ns[ns <= N * 0.7]) for (rep in 1:8) {
    set.seed(1000 * rep + n)
    tr <- sample(N, n); te <- setdiff(seq_len(N), tr)
    dtr <- s$data[tr, ]; dte <- s$data[te, ]
    yte <- model.response(model.frame(s$f, dte))
    # held-out rows inside the training range only (extrapolation is a separate warning)
    mf <- model.frame(s$f, dtr); X <- as.matrix(mf[, -1, drop = FALSE]); Xte <- as.matrix(model.frame(s$f, dte)[, -1, drop = FALSE])
    inr <- apply(Xte, 1, function(r) all(r >= apply(X, 2, min) & r <= apply(X, 2, max)))
    l <- lm(s$f, dtr); lmte <- mean((yte - predict(l, dte))[inr]^2); lmin <- deviance(l) / n
    for (cn in names(cfgs)) {
      cf <- cfgs[[cn]]
      fit <- tryCatch(suppressWarnings(moe_lse(s$f, data = dtr, k = cf$k, expert = cf$e, control = lse_control(n_starts = 20))), error = function(e) NULL)
      if (is.null(fit)) next
      p <- length(coef(fit))
      te_mse <- mean((yte - suppressWarnings(predict(fit, newdata = dte)))[inr]^2)  # extrapolation dropped
      rows[[length(rows) + 1]] <- data.frame(set = sn, cfg = cn, n = n, p = p, np = n / p, rep = rep,
        opt = te_mse / (fit$rss / n), vs_lm = te_mse / lmte, lm_opt = lmte / lmin)
    }
  }
  cat(sn, "done\n")
}
r <- do.call(rbind, rows)

r$npbin <- cut(r$np, c(0, 2, 3, 5, 7.5, 10, 15, 20, 100))
agg <- aggregate(cbind(opt, vs_lm, lm_opt) ~ npbin, data = r, FUN = median)
agg$n_fits <- as.vector(table(r$npbin)[as.character(agg$npbin)])
agg$frac_worse_lm <- tapply(r$vs_lm > 1, r$npbin, mean)[as.character(agg$npbin)]
agg$frac_2x_lm <- tapply(r$vs_lm > 2, r$npbin, mean)[as.character(agg$npbin)]
print(agg, digits = 3)
