"""seqlab.nlp.generation: one sampler for neural and n-gram language models."""

from seqlab.nlp.generation.beam import beam_search
from seqlab.nlp.generation.protocol import (
    ContextWindowModel,
    FusedTokenModel,
    TokenDrawer,
    TokenModel,
)
from seqlab.nlp.generation.sampling import (
    SamplingOptions,
    apply_repetition_penalty,
    ban,
    next_token_distribution,
    sample,
    sample_chunks,
)
from seqlab.nlp.generation.text import (
    UnknownPromptWarning,
    cut_at_stop,
    encode_prompt,
    generate_text,
    stream_chunk_pieces,
    stream_pieces,
    whole_text,
)

__all__ = [
    "ContextWindowModel", "FusedTokenModel", "SamplingOptions", "TokenDrawer", "TokenModel",
    "UnknownPromptWarning", "apply_repetition_penalty", "ban", "beam_search", "cut_at_stop",
    "encode_prompt", "generate_text", "next_token_distribution", "sample", "sample_chunks",
    "stream_chunk_pieces", "stream_pieces", "whole_text",
]
