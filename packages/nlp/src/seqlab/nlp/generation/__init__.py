"""seqlab.nlp.generation: one sampler for neural and n-gram language models."""

from seqlab.nlp.generation.beam import beam_search
from seqlab.nlp.generation.protocol import ContextWindowModel, TokenModel
from seqlab.nlp.generation.sampling import (
    SamplingOptions,
    apply_repetition_penalty,
    ban,
    next_token_distribution,
    sample,
)
from seqlab.nlp.generation.text import (
    UnknownPromptWarning,
    encode_prompt,
    generate_text,
    stream_pieces,
)

__all__ = [
    "ContextWindowModel", "SamplingOptions", "TokenModel", "UnknownPromptWarning",
    "apply_repetition_penalty", "ban", "beam_search", "encode_prompt", "generate_text",
    "next_token_distribution", "sample", "stream_pieces",
]
