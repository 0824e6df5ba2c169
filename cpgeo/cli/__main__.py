"""``python -m cpgeo.cli``: the same as the ``cpgeo`` command."""

import sys

from cpgeo.cli import main

sys.exit(main())
