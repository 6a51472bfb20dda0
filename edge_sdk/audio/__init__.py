"""Audio: validation/resampling, VAD, speech-to-text (CTranslate2, whisper.cpp), microphone capture.

Import the submodules you need; this package imports nothing heavy.
"""
