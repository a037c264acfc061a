# Writes cohort_subset.sas7bdat from cohort_subset.csv (the first 12 patients of
# data/sample/cohort_long.csv), so the SAS reader is tested on a real sas7bdat file.
# No Python library writes sas7bdat; haven (ReadStat) does. Run from this folder:
#   Rscript make_sas7bdat.R      (Debian: apt-get install r-base-core r-cran-haven)
# Produced with R 4.2 and haven 2.5.1. CI does not need R: the .sas7bdat file is committed.
library(haven)
d <- read.csv("cohort_subset.csv", colClasses = c(patient_id = "character"),
              stringsAsFactors = FALSE, na.strings = "")
write_sas(d, "cohort_subset.sas7bdat")
