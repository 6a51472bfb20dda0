"""Audio: validation/resampling, VAD, whisper.cpp speech-to-text, microphone capture.

Import the submodules you need; this package imports nothing heavy.
"""
