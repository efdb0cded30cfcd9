"""``python -m textrnn predict ...``: see :mod:`textrnn.cli`."""

import sys

from .cli import main

sys.exit(main())
