# lsmoe developer targets. `make demo` and `make test` work on a fresh machine.
LIB ?= .lib
R_LIBS_ENV = R_LIBS=$(CURDIR)/$(LIB):$${R_LIBS:-}

.PHONY: deps install demo test check docs bench clean

deps:
	bash tools/deps.sh

install: deps
	mkdir -p $(LIB)
	R CMD INSTALL --preclean --no-multiarch --library=$(LIB) .

# The main job: fit MASS::mcycle, print the summary, write the plot to a file.
demo: install
	$(R_LIBS_ENV) Rscript --vanilla tools/demo.R

# The whole test suite; ends with the line "N passed, N failed".
test: install
	LSMOE_LIB=$(LIB) Rscript --vanilla tools/run-tests.R

# roxygen2 compiles src/ without optimisation through pkgload: remove those objects afterwards.
docs: deps
	Rscript --vanilla -e 'Rcpp::compileAttributes(); roxygen2::roxygenise()'
	rm -f src/*.o src/*.so

check: deps
	rm -rf check && mkdir -p check
	cd check && R CMD build .. && _R_CHECK_FORCE_SUGGESTS_=false R CMD check --as-cran --no-manual lsmoe_*.tar.gz

bench: install
	$(R_LIBS_ENV) Rscript --vanilla bench/fit.R

clean:
	rm -rf $(LIB) check src/*.o src/*.so
