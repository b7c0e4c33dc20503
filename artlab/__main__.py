"""``python -m artlab`` is the ``artlab`` command line."""
from artlab.cli import main

raise SystemExit(main())
