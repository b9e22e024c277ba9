# The stored sigmoid-versus-softmax study (data-raw/sigmoid-gating.R, read by the vignette
# "Sigmoid versus softmax gating"): its stored losses are recomputed from the stored estimates.

test_that("the stored sigmoid-gating study is complete and its losses recompute from its estimates", {
  path <- system.file("extdata", "sigmoid-gating.rds", package = "lsmoe")
  skip_if(!nzchar(path), "stored study not installed")
  st <- readRDS(path)
  expect_false(isTRUE(st$partial))
  expect_lte(file.size(path), 2 * 2^20)
  expect_setequal(unique(st$results$expert), c("relu", "gelu", "linear"))
  expect_setequal(unique(st$results$regime), 1:2)
  res <- st$results
  expect_true(all(is.finite(res$value) & res$value >= 0))
  # 20 replicates at every n up to 1e5, for every case
  per <- tapply(res$rep, list(res$n, res$expert, res$regime), function(r) length(unique(r)))
  expect_true(all(per[as.numeric(dimnames(per)[[1]]) <= 1e5, , ] == st$settings$reps))
  # every stored loss of a random task per case recomputes from the stored estimates
  set.seed(11)
  tk <- st$tasks
  done <- as.integer(names(st$fits))
  for (i in seq_len(nrow(st$cases))) {
    ids <- intersect(tk$id[tk$case == i], done)
    t <- ids[sample.int(length(ids), 1)]
    regime <- st$cases$regime[i]
    ex <- st$cases$expert[i]
    G0 <- st$truths[[i]]
    G0s <- st$truths_softmax[[i]]
    rows <- res[res$regime == regime & res$expert == ex & res$n == tk$n[t] & res$rep == tk$rep[t], ]
    for (fit in c("lse", "local")) {
      fs <- st$fits[[as.character(t)]][[paste0("sigmoid_", fit)]]
      fm <- st$fits[[as.character(t)]][[paste0("softmax_", fit)]]
      G <- mixing_measure(fs$beta0, fs$beta1, fs$eta, expert = G0$expert, gate = gate_sigmoid())
      Gs <- mixing_measure(fm$beta0, fm$beta1, fm$eta, expert = G0$expert, gate = gate_softmax())
      v <- function(loss) rows$value[rows$fit == fit & rows$loss == loss]
      if (regime == 1) {
        expect_equal(voronoi_loss_sigmoid(G, G0, "D1")$value, v("D1"), tolerance = 1e-10)
        expect_equal(voronoi_loss_sigmoid(G, G0, "D2", r = 2)$value, v("D2"), tolerance = 1e-10)
      } else {
        expect_equal(voronoi_loss_sigmoid(G, st$gbars[[i]], "D3")$value, v("D3"), tolerance = 1e-10)
      }
      soft_type <- if (ex == "linear") "D2" else "D1"
      expect_equal(as.double(voronoi_loss(Gs, G0s, type = soft_type, r = 2)), v("softmax"), tolerance = 1e-10)
    }
  }
})
