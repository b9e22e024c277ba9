// The fused pass compiled for AVX2 and FMA (see kernel.h). Everything defined below the
// `#pragma GCC target` line is compiled for those instructions, and is reached only through
// make_avx2_kernel(), which returns nullptr on a CPU without them.
//
// Isolation from the portable build of the same code:
// - the standard headers are included before the pragma, so that the standard library's inline
//   functions and templates keep the portable instruction set wherever they are instantiated;
// - Eigen and the lsmoe core are compiled here under the namespace names lsmoe_avx2_eigen and
//   lsmoe_avx2 (by macro), so none of their AVX2 functions shares a symbol with a portable one;
// - Eigen selects its AVX2 packets from its EIGEN_VECTORIZE_* macros, defined here because GCC's
//   C++ front end does not update __AVX2__ and its kin after a target pragma.
#include "kernel.h"

#if LSMOE_HAVE_AVX2_KERNEL

#include <algorithm>
#include <cassert>
#include <chrono>
#include <cerrno>
#include <climits>
#include <cmath>
#include <complex>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <iosfwd>
#include <iostream>
#include <limits>
#include <memory>
#include <new>
#include <sstream>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>
#ifdef _OPENMP
#include <omp.h>
#endif
#if defined(__linux__)
#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>
#endif

namespace lsmoe_iface = lsmoe::simd;

bool lsmoe::simd::avx2_available() {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}

#pragma GCC push_options
#pragma GCC target("avx2,fma")

#define EIGEN_VECTORIZE_SSE3
#define EIGEN_VECTORIZE_SSSE3
#define EIGEN_VECTORIZE_SSE4_1
#define EIGEN_VECTORIZE_SSE4_2
#define EIGEN_VECTORIZE_AVX
#define EIGEN_VECTORIZE_AVX2
#define EIGEN_VECTORIZE_FMA
#define EIGEN_MAX_ALIGN_BYTES 32
#define Eigen lsmoe_avx2_eigen
#define lsmoe lsmoe_avx2
#include <Eigen/Dense>
#include "../inst/include/lsmoe/fused.hpp"

namespace {

// The AVX2 build of lsmoe::MoeProblem (lsmoe::make_moe_problem() picks the family and gate:
// only the pass is compiled per pair) behind the plain interface of kernel.h.
class Avx2Kernel : public lsmoe_iface::Kernel {
 public:
  explicit Avx2Kernel(const lsmoe_iface::Spec& s)
      : prob_(lsmoe::make_moe_problem(lsmoe::Expert(static_cast<lsmoe::Family>(s.family), s.degree, s.output_weight != 0,
                                                    s.d),
                                      s.k, static_cast<lsmoe::GateKind>(s.gate), data_of(s), s.threads,
                                      static_cast<lsmoe::Accumulation>(s.accumulation), s.adapt_threads != 0)),
        theta_(prob_->p()) {}
  int p() const override { return prob_->p(); }
  double eval(const double* theta, double* A, double* g, bool jac) const override {
    const int p = prob_->p();
    std::copy(theta, theta + p, theta_.data());
    const double rss = prob_->eval(theta_, sums_, jac);
    if (jac) {
      std::copy(sums_.A.data(), sums_.A.data() + static_cast<std::ptrdiff_t>(p) * p, A);
      std::copy(sums_.g.data(), sums_.g.data() + p, g);
    }
    return rss;
  }
  void fitted(const double* theta, double* f) const override {
    std::copy(theta, theta + prob_->p(), theta_.data());
    prob_->fitted(theta_, f);
  }

 private:
  static lsmoe::Data data_of(const lsmoe_iface::Spec& s) {
    lsmoe::Data d;
    d.X = s.X; d.ldx = s.ldx; d.n = s.n; d.d = s.d; d.y = s.y; d.sw = s.sw;
    return d;
  }
  std::unique_ptr<lsmoe::FittedProblem> prob_;
  mutable Eigen::VectorXd theta_;
  mutable lsmoe::PassSums sums_;
};

lsmoe_iface::Kernel* new_avx2_kernel(const lsmoe_iface::Spec& s) { return new Avx2Kernel(s); }

double avx2_gemm_seconds(int p, long rows, int block_rows) {
  // any fixed values serve for timing (not Eigen's Random(), which calls the C library's rand())
  Eigen::MatrixXd J(block_rows, p), A = Eigen::MatrixXd::Zero(p, p);
  for (int j = 0; j < p; ++j)
    for (int i = 0; i < block_rows; ++i) J(i, j) = std::sin(1.0 + i + 0.37 * j);
  const auto t0 = std::chrono::steady_clock::now();
  for (long i = 0; i < rows; i += block_rows) A.noalias() += J.transpose() * J;
  const auto t1 = std::chrono::steady_clock::now();
  volatile double sink = A(0, 0);
  (void)sink;
  return std::chrono::duration<double>(t1 - t0).count();
}

}  // namespace

#undef lsmoe
#undef Eigen
#pragma GCC pop_options

// Portable code again: the check comes before any AVX2 instruction runs.
lsmoe::simd::Kernel* lsmoe::simd::make_avx2_kernel(const Spec& s) {
  return avx2_available() ? new_avx2_kernel(s) : nullptr;
}
double lsmoe::simd::gemm_seconds(int p, long rows, int block_rows) {
  return avx2_available() ? avx2_gemm_seconds(p, rows, block_rows) : -1.0;
}

#else  // no AVX2 kernel in this build

bool lsmoe::simd::avx2_available() { return false; }
lsmoe::simd::Kernel* lsmoe::simd::make_avx2_kernel(const Spec&) { return nullptr; }
double lsmoe::simd::gemm_seconds(int, long, int) { return -1.0; }

#endif
