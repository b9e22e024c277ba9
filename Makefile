# lsmoe developer targets. `make demo` and `make test` work on a fresh machine.
LIB ?= .lib
R_LIBS_ENV = R_LIBS=$(CURDIR)/$(LIB):$${R_LIBS:-}
# Parallel compilation inside R CMD INSTALL and R CMD check: one job per core.
JOBS ?= $(shell nproc 2>/dev/null || sysctl -n hw.ncpu 2>/dev/null || echo 1)
# What an installed package is made of; `make install` reinstalls when one of these is newer than the
# stamp of the last successful install. The directories count (a file added or removed changes them),
# except src/, which the build itself writes to (its files count).
PKG_SOURCES := DESCRIPTION NAMESPACE $(shell find R inst man vignettes data 2>/dev/null) \
  $(shell find src -type f ! -name '*.o' ! -name '*.so' ! -name '*.dll' ! -name symbols.rds)
STAMP = $(LIB)/.lsmoe-installed
STAGE = $(LIB)/.install-stage

.PHONY: deps deps-check install demo test check docs bench clean fuzz sanitize build-profile cluster-smoke site site-check

deps:
	bash tools/deps.sh

# Every Suggests package too: R CMD check --as-cran stops without one on a network that serves only
# the package repositories (tools/deps.sh says which failed to install, and why).
deps-check:
	bash tools/deps.sh --check

install: $(STAMP)

# Installs into a staging library and moves the package into $(LIB) only on success, so that $(LIB)
# keeps the previous build while this one compiles or when it fails. The stamp is dated from the
# start, so that a source edited during the build is seen by the next `make install`.
# The vignettes are built against the staged package and installed with it (about 20 s), so that
# vignette("getting-started", package = "lsmoe") works; a vignette that fails fails the install.
# VIGNETTES=no skips them.
VIGNETTES ?= yes
$(STAMP): $(PKG_SOURCES) | deps
	rm -rf $(STAGE) && mkdir -p $(STAGE)
	touch $(STAGE)/stamp
	MAKEFLAGS=-j$(JOBS) R CMD INSTALL --preclean --no-multiarch --library=$(STAGE) .
	if [ "$(VIGNETTES)" != no ]; then Rscript --vanilla tools/install-vignettes.R $(STAGE); fi
	rm -rf $(LIB)/lsmoe.old
	if [ -d $(LIB)/lsmoe ]; then mv $(LIB)/lsmoe $(LIB)/lsmoe.old; fi
	mv $(STAGE)/lsmoe $(LIB)/lsmoe
	mv $(STAGE)/stamp $@
	rm -rf $(LIB)/lsmoe.old $(STAGE)

# The main job: fit MASS::mcycle, print the summary, write the plot to a file.
demo: install
	$(R_LIBS_ENV) Rscript --vanilla tools/demo.R

# The whole test suite, run twice: with the AVX2 build of the fused pass and with the portable
# build (LSMOE_SIMD=true, then false; on a CPU without AVX2 and FMA both runs are portable, and the
# output says so). Ends with the line "N passed, N failed", the totals of both runs.
# KERNELS=avx2, portable or default (LSMOE_SIMD as the environment has it) runs it once.
KERNELS ?= both
test: install
	LSMOE_LIB=$(LIB) Rscript --vanilla tools/run-tests.R --kernels=$(KERNELS)

# roxygen2 compiles src/ without optimisation through pkgload: remove those objects afterwards.
docs: deps
	Rscript --vanilla -e 'Rcpp::compileAttributes(); roxygen2::roxygenise()'
	rm -f src/*.o src/*.so

check: deps-check
	rm -rf check && mkdir -p check
	cd check && MAKEFLAGS=-j$(JOBS) R CMD build .. && \
	  MAKEFLAGS=-j$(JOBS) _R_CHECK_FORCE_SUGGESTS_=false R CMD check --as-cran --no-manual lsmoe_*.tar.gz

bench: install
	$(R_LIBS_ENV) Rscript --vanilla bench/fit.R
	$(R_LIBS_ENV) Rscript --vanilla bench/pass.R
	$(R_LIBS_ENV) Rscript --vanilla bench/paired.R
	$(R_LIBS_ENV) Rscript --vanilla bench/realdata.R
	$(R_LIBS_ENV) LSMOE_BENCH_SEEDS=6:10 Rscript --vanilla bench/realdata.R
	$(R_LIBS_ENV) Rscript --vanilla bench/reanchor.R
	$(R_LIBS_ENV) Rscript --vanilla bench/simulated.R quick
	$(R_LIBS_ENV) Rscript --vanilla bench/scale.R
	$(R_LIBS_ENV) Rscript --vanilla bench/memory.R
	$(R_LIBS_ENV) Rscript --vanilla bench/threads.R

# Seeded fuzzer over every exported function and S3 method, each call in a forked child:
# prints counts and fails on a crash, a hang, a silent NaN/Inf or an unclassed error from an
# ordinary input. FUZZ_ARGS, e.g. FUZZ_ARGS="--calls 50000 --seed 7".
FUZZ_ARGS ?= --calls 10000 --seed 1
fuzz: install
	LSMOE_LIB=$(LIB) Rscript --vanilla tools/fuzz.R $(FUZZ_ARGS)

# Build with -fsanitize=address,undefined into ./sanitize/lib and run the test suite under it.
sanitize: deps
	bash tools/sanitize.sh

# A one-node Slurm cluster on this machine (installs slurmctld, slurmd, munge and future.batchtools
# from Debian when missing; root): a small rate_study() through future.batchtools::batchtools_slurm
# must equal the sequential run; the daemons are stopped and their temporary directory removed.
cluster-smoke: install
	LSMOE_LIB=$(LIB) bash tools/cluster-smoke.sh

# CPU seconds and object size (with and without debug information) per translation unit of src/.
build-profile: deps
	bash tools/build-profile.sh

clean:
	rm -rf $(LIB) check sanitize src/*.o src/*.so

# The pkgdown website, offline, into site/ (git-ignored; tools/site.R): every reference page with
# its examples run against the installed package, every vignette as an article, README.md as the
# home page, NEWS.md as the changelog, a grouped reference index (_pkgdown.yml; a topic missing
# from it fails the build). Debian's pkgdown 2.0.7 with the local head template in pkgdown/.
site: install
	bash tools/deps-site.sh
	$(R_LIBS_ENV) Rscript --vanilla tools/site.R

# Opens every page of site/ in headless Chromium (tools/site-check.mjs, Node and the DevTools
# protocol, no npm packages) and fails on a JavaScript or console error, a failed or external
# request, a broken image or untypeset math; screenshots of four pages go to site/screenshots/.
# Builds the site first when there is none.
site-check:
	if [ ! -f site/index.html ]; then $(MAKE) site; fi
	bash tools/deps-site.sh
	node tools/site-check.mjs site

# The standalone C++ tests of the core headers (tests/cpp; a C++ compiler and Eigen's headers, no R
# at run time), built into $(LIB): prints "N passed, N failed" and fails when a check fails.
.PHONY: cpp-test
CPP_TEST_EIGEN = $$(Rscript --vanilla -e 'cat(system.file("include", package = "RcppEigen"))')
cpp-test:
	mkdir -p $(LIB)
	$(CXX) -std=c++14 -O2 -Wall -I inst/include -isystem "$(CPP_TEST_EIGEN)" tests/cpp/test_core.cpp -o $(LIB)/cpp-test
	$(LIB)/cpp-test
