// lsmoe: what the least squares solvers see of a problem: its number of parameters and one pass
// over the rows (the RSS, and on request J'J and J'r). The solvers (lm.hpp, multistart.hpp,
// reciprocal.hpp) are ordinary functions of a `const Problem&`, compiled once however many
// problems there are; each kind of problem (MoeProblem per expert family and gate, fused.hpp)
// compiles only its pass. One virtual call per pass, which costs at least microseconds.
#ifndef LSMOE_PROBLEM_HPP
#define LSMOE_PROBLEM_HPP

#include <Eigen/Dense>

namespace lsmoe {

// Sums of one pass: the RSS, and after a pass with the Jacobian J'J (full) and J'r.
struct PassSums {
  Eigen::MatrixXd A;  // J'J
  Eigen::VectorXd g;  // J'r
  double rss = 0.0;
  void reset(int p, bool jac) {
    rss = 0.0;
    if (jac) {
      A.setZero(p, p);
      g.setZero(p);
    }
  }
};

// A least squares problem in p parameters theta.
class Problem {
 public:
  virtual ~Problem() {}
  virtual int p() const = 0;
  // The RSS at theta (length p()); with jac also J'J (p x p, full) in sums.A and J'r in sums.g.
  virtual double eval(const Eigen::VectorXd& theta, PassSums& sums, bool jac) const = 0;
};

// Any type with the same p() and eval() as a Problem (a problem written for the template solvers
// of lsmoe 0.1), seen as one: lm_fit(ProblemAdapter<P>(prob), ...).
template <class P>
class ProblemAdapter final : public Problem {
 public:
  explicit ProblemAdapter(const P& prob) : prob_(prob) {}
  int p() const override { return prob_.p(); }
  double eval(const Eigen::VectorXd& theta, PassSums& sums, bool jac) const override {
    return prob_.eval(theta, sums, jac);
  }

 private:
  const P& prob_;
};

}  // namespace lsmoe

#endif
