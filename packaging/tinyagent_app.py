"""The app bundle's entry point (py2app runs this file)."""

import sys

from gui.app import main

sys.exit(main())
