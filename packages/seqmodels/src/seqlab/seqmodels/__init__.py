"""seqlab.seqmodels: RNN / LSTM / GRU stacks with PyTorch's conventions and fused Numba BPTT,
heads for language modelling, classification and forecasting, and a resumable training loop."""

from seqlab.seqmodels.batches import ExampleBatches
from seqlab.seqmodels.cells import GRUCell, LSTMCell, RNNCell
from seqlab.seqmodels.checkpoint import (
    CheckpointManager,
    load_checkpoint,
    load_model,
    save_checkpoint,
)
from seqlab.seqmodels.classifier import SequenceClassifier
from seqlab.seqmodels.data import TokenStreams
from seqlab.seqmodels.language_model import LanguageModel, LMState
from seqlab.seqmodels.recurrent import GRU, LSTM, RNN, RNNBase
from seqlab.seqmodels.regressor import (
    SequenceRegressor,
    StandardScaler,
    load_series,
    make_windows,
)
from seqlab.seqmodels.seq2seq import Seq2Seq
from seqlab.seqmodels.trainer import Callback, NonFiniteLossError, Trainer, TrainResult

__all__ = [
    "GRU", "LSTM", "RNN", "Callback", "CheckpointManager", "ExampleBatches", "GRUCell",
    "LMState", "LSTMCell", "LanguageModel", "NonFiniteLossError", "RNNBase", "RNNCell",
    "Seq2Seq", "SequenceClassifier", "SequenceRegressor", "StandardScaler", "TokenStreams",
    "TrainResult", "Trainer", "load_checkpoint", "load_model", "load_series", "make_windows",
    "save_checkpoint",
]
