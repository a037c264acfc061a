"""``python -m ketanalysis.simulate OUT_DIR``: write the sample cohort (see ``make sample``)."""

import sys

from .sample import main

sys.exit(main())
