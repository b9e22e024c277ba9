// lsmoe: header-only core for least squares estimation in softmax- and sigmoid-gated mixtures of experts.
// Include this header (with `LinkingTo: lsmoe, RcppEigen`) to reuse the core from another package.
#ifndef LSMOE_LSMOE_HPP
#define LSMOE_LSMOE_HPP
#include "activations.hpp"
#include "experts.hpp"
#include "gating.hpp"
#include "layout.hpp"
#include "model.hpp"
#include "fused.hpp"
#include "lse.hpp"
#include "voronoi.hpp"
#include "voronoi_sigmoid.hpp"
#endif
