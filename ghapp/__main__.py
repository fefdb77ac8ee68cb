"""`python -m ghapp`: the same as the `ghapp` console script."""

import sys

from ghapp.cli import main

sys.exit(main())
