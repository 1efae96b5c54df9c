"""``python -m microgradnet`` runs the command line."""

import sys

from microgradnet.cli import main

sys.exit(main())
