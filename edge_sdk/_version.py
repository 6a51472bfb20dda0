"""The version and the distribution name on PyPI (setup.py reads both from this file).

The import name is ``edge_sdk``; the distribution is ``edge-scene-sdk`` because ``edge-sdk`` on
PyPI is an unrelated project.
"""

from __future__ import annotations

__version__ = "0.2.0"
DISTRIBUTION = "edge-scene-sdk"


def install_hint(extra: str) -> str:
    """The pip command that installs ``extra``, e.g. ``pip install 'edge-scene-sdk[asr]'``."""
    return f"pip install '{DISTRIBUTION}[{extra}]'"
