"""``python -m mutualaid.cli``: the ``mutualaid`` command, as before the package split."""

import sys

from mutualaid.cli.main import main

sys.exit(main())
