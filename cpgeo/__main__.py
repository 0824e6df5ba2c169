import sys

from cpgeo.cli import main

sys.exit(main())
