"""``python -m edge_sdk``: the ``edge-sdk`` command."""

from .cli import main

raise SystemExit(main())
