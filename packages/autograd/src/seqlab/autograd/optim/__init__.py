"""seqlab.autograd.optim: optimizers and learning-rate schedulers with PyTorch's update rules."""

from seqlab.autograd.optim import lr_scheduler
from seqlab.autograd.optim.adagrad import Adagrad
from seqlab.autograd.optim.adam import Adam, AdamW
from seqlab.autograd.optim.optimizer import Optimizer
from seqlab.autograd.optim.rmsprop import RMSprop
from seqlab.autograd.optim.sgd import SGD

__all__ = ["SGD", "Adagrad", "Adam", "AdamW", "Optimizer", "RMSprop", "lr_scheduler"]
