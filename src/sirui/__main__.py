"""``python -m sirui``: the ``sirui`` command line (see `sirui.cli`)."""

from __future__ import annotations

import sys

from sirui.cli import main

if __name__ == "__main__":
    sys.exit(main())
