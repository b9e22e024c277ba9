// The fused pass (lsmoe::MoeProblem, inst/include/lsmoe/fused.hpp) compiled a second time for
// AVX2 and FMA, in kernel_avx2.cpp, and chosen at run time when the CPU has both: 4 doubles per
// instruction instead of SSE2's 2, for exp and the J'J dot products. The package is built with
// the compiler's portable default flags (no -mavx2 in Makevars); kernel_avx2.cpp enables the
// instructions for its own functions only, with `#pragma GCC target`.
//
// This header is the only thing both sides share. It uses no Eigen and no lsmoe type: the AVX2
// side compiles its own copy of Eigen and of the core under other namespace names (see
// kernel_avx2.cpp), so that no inline function compiled for AVX2 can be merged by the linker
// with its portable twin.
#ifndef LSMOE_KERNEL_H
#define LSMOE_KERNEL_H

// GCC on x86-64 only: clang ignores `#pragma GCC target`, and MinGW's GCC does not keep the stack
// aligned for spilled AVX registers (GCC bug 54412). LSMOE_NO_SIMD turns it off.
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && !defined(_WIN32) && !defined(LSMOE_NO_SIMD)
#define LSMOE_HAVE_AVX2_KERNEL 1
#else
#define LSMOE_HAVE_AVX2_KERNEL 0
#endif

namespace lsmoe {
namespace simd {

// The problem of one pass: the expert family and gate as the integer values of lsmoe::Family and
// lsmoe::GateKind, and the data as in lsmoe::Data (X n x d column-major with leading dimension
// ldx, y, sw = square roots of the weights or nullptr).
struct Spec {
  int family = 0, degree = 1, output_weight = 0, d = 1, k = 1, gate = 0, threads = 1;
  int accumulation = 0;  // the integer value of lsmoe::Accumulation
  int adapt_threads = 1;  // no more threads than the machine's free cores (lsmoe/threads.hpp)
  const double* X = nullptr;
  long ldx = 0, n = 0;
  const double* y = nullptr;
  const double* sw = nullptr;
};

// MoeProblem's eval() and fitted() behind a plain interface. eval() returns the RSS at theta
// (length p()); with jac it writes J'J (p x p, column-major, full) to A and J'r to g.
class Kernel {
 public:
  virtual ~Kernel() {}
  virtual int p() const = 0;
  virtual double eval(const double* theta, double* A, double* g, bool jac) const = 0;
  virtual void fitted(const double* theta, double* f) const = 0;
};

// Seconds taken by the matrix product of J'J's shape that the AVX2 build of Eigen computes:
// A (p x p) += J'J over `rows` rows, in blocks of block_rows rows (J filled once), for
// bench/scale.R's comparison with the pass's accumulation of J'J. Negative without AVX2.
double gemm_seconds(int p, long rows, int block_rows);

// True when the AVX2 kernel is compiled in and the CPU (and operating system) run AVX2 and FMA.
bool avx2_available();
// A new AVX2 kernel for spec (the caller owns it), or nullptr when !avx2_available().
Kernel* make_avx2_kernel(const Spec& spec);

}  // namespace simd
}  // namespace lsmoe

#endif
