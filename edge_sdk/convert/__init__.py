"""Pure-numpy model conversion that runs on the device (no TensorFlow): CTranslate2 Whisper -> ggml."""
