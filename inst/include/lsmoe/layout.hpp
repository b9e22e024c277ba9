// lsmoe: the layout of the packed vector theta of a mixture's free parameters. With kg gated
// components (k - 1 for the softmax gate, whose last component is anchored at beta0_k = 0,
// beta1_k = 0; k for the sigmoid gate):
//   [beta0_1 .. beta0_kg] [beta1 as kg x d, column-major] [eta as q x k, column-major]
#ifndef LSMOE_LAYOUT_HPP
#define LSMOE_LAYOUT_HPP

#include <stdexcept>
#include "gating.hpp"

namespace lsmoe {

struct Layout {
  int k = 1, d = 1, q = 1;
  GateKind gate = GateKind::softmax;

  Layout(int k_, int d_, int q_, GateKind g) : k(k_), d(d_), q(q_), gate(g) {
    if (k_ < 1) throw std::invalid_argument("k must be at least 1");
  }
  // number of components with free gating parameters
  int gated() const { return gate == GateKind::softmax ? k - 1 : k; }
  // number of gating parameters, and the index of the first expert parameter
  int n_gate() const { return gated() * (d + 1); }
  // number of free parameters
  int p() const { return n_gate() + k * q; }
  // indices in theta of beta0_j and beta1_{j,u} (j < gated()), and of eta_j's first parameter
  int beta0(int j) const { return j; }
  int beta1(int j, int u) const { return gated() + j + u * gated(); }
  int eta(int j) const { return n_gate() + j * q; }
};

}  // namespace lsmoe

#endif
