"""seqlab.seqmodels: RNN / LSTM / GRU stacks with PyTorch's conventions and fused Numba BPTT,
heads for language modelling, classification and forecasting, and a resumable training loop."""

from seqlab.seqmodels.cells import GRUCell, LSTMCell, RNNCell
from seqlab.seqmodels.checkpoint import load_checkpoint, load_model, save_checkpoint
from seqlab.seqmodels.classifier import SequenceClassifier
from seqlab.seqmodels.data import TokenStreams
from seqlab.seqmodels.language_model import LanguageModel
from seqlab.seqmodels.recurrent import GRU, LSTM, RNN, RNNBase
from seqlab.seqmodels.regressor import SequenceRegressor, StandardScaler, make_windows
from seqlab.seqmodels.trainer import Callback, NonFiniteLossError, Trainer, TrainResult

__all__ = [
    "GRU", "LSTM", "RNN", "Callback", "GRUCell", "LSTMCell", "LanguageModel",
    "NonFiniteLossError", "RNNBase", "RNNCell", "SequenceClassifier", "SequenceRegressor",
    "StandardScaler", "TokenStreams", "TrainResult", "Trainer", "load_checkpoint", "load_model",
    "make_windows", "save_checkpoint",
]
