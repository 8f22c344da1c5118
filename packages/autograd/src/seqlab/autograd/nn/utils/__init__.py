"""`seqlab.autograd.nn.utils`, as `torch.nn.utils`: gradient clipping, and `rnn` (padding a
list of sequences into the padded batch and lengths that seqlab's recurrent layers take)."""

from seqlab.autograd.nn.utils import rnn
from seqlab.autograd.nn.utils.clip_grad import clip_grad_norm_, clip_grad_value_

__all__ = ["clip_grad_norm_", "clip_grad_value_", "rnn"]
