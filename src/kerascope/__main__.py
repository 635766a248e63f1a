"""`python -m kerascope` is the `kerascope` command."""

import sys

from kerascope.cli import main

sys.exit(main())
