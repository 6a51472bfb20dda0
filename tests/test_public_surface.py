"""The public surface: README snippets import only from ``edge_sdk``, and every name they use exists."""

from __future__ import annotations

import ast
import re

from conftest import ROOT

import edge_sdk


def _readme_snippets() -> list[str]:
    return re.findall(r"```python\n(.*?)```", (ROOT / "README.md").read_text(), flags=re.S)


def test_readme_snippets_import_only_from_the_top_level():
    snippets = _readme_snippets()
    assert len(snippets) >= 4
    names = 0
    for code in snippets:
        for node in ast.walk(ast.parse(code)):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "edge_sdk":
                assert node.module == "edge_sdk", f"README imports from {node.module}: {ast.unparse(node)}"
                for alias in node.names:
                    assert alias.name in edge_sdk.__all__ and hasattr(edge_sdk, alias.name), alias.name
                    names += 1
    assert names >= 10


def test_everything_exported_exists():
    missing = [n for n in edge_sdk.__all__ if not hasattr(edge_sdk, n)]
    assert missing == [] and len(set(edge_sdk.__all__)) == len(edge_sdk.__all__)


def test_the_top_level_stays_small_and_every_error_is_reachable():
    """~30 names at the top (faster-whisper: 7, MediaPipe Tasks: a handful per task); the rest in modules."""
    import inspect

    from edge_sdk import errors

    assert 20 <= len(edge_sdk.__all__) <= 32, len(edge_sdk.__all__)
    tree = [c for _, c in inspect.getmembers(errors, inspect.isclass) if issubclass(c, errors.EdgeSdkError)]
    assert len(tree) >= 15 and all(c.__module__ == "edge_sdk.errors" for c in tree)


def test_name_tables_match_the_implementations():
    import edge_sdk.action  # noqa: F401  (each media package registers its backends)
    import edge_sdk.audio.backends  # noqa: F401
    import edge_sdk.pose  # noqa: F401
    from edge_sdk.backends import BACKENDS
    from edge_sdk.config import ACTION_BACKENDS, POSE_BACKENDS, RUNTIME_CHOICES, SPEECH_BACKENDS
    from edge_sdk.runtime import RUNTIMES

    assert RUNTIME_CHOICES == ("auto", *RUNTIMES)
    builtins = {"pose": POSE_BACKENDS, "action": ACTION_BACKENDS, "speech": SPEECH_BACKENDS}
    assert {k: BACKENDS.names(k)[: len(v)] for k, v in builtins.items()} == builtins
