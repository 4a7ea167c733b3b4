"""``python -m notelint``: the same command line as the ``notelint`` script."""

from notelint.cli import main

raise SystemExit(main())
