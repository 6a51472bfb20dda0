"""Whisper's byte-level BPE tokens as bytes: the vocabulary of a ggml file, and the text of a decode."""

from __future__ import annotations

__all__ = ["N_BPE", "bpe_token_bytes"]

N_BPE = 50257  # entries of whisper's tiktoken files (gpt2: ranks 0-50256, 50256 = <|endoftext|>; multilingual: 0-50256)


def bpe_token_bytes(vocabulary: list[str]) -> list[bytes]:
    """The byte strings of the first 50257 tokens, as whisper's tiktoken files list them, decoded from
    GPT-2's printable byte-level alphabet. whisper.cpp derives the other special tokens from n_vocab."""
    printable = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    codes, n = printable[:], 0
    for b in range(256):
        if b not in printable:
            printable.append(b)
            codes.append(256 + n)
            n += 1
    decoder = {chr(c): b for b, c in zip(printable, codes)}
    return [tok.encode() if tok.startswith("<|") else bytes(decoder[ch] for ch in tok) for tok in vocabulary[:N_BPE]]
