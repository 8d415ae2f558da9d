"""``python -m accountdesk.server.cli``."""

import sys

from . import main

sys.exit(main())
