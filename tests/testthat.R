library(testthat)
library(lsmoe)

test_check("lsmoe")
