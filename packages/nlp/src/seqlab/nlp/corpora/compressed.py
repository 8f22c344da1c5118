"""Compressed-file detection for the corpus readers: `seqlab.autograd.compressed_text`, where
every reader (the table readers' `not_utf8_message` too) finds it."""

from seqlab.autograd.compressed_text import compressed_message, compression_of

__all__ = ["compressed_message", "compression_of"]
