"""`python -m kb ...`: the command line (kb/cli.py); exits with its code (0 ok, 1 invalid input,
2 index problem)."""

import sys

from .cli import main

sys.exit(main())
