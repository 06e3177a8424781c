"""Built-in NLU engine (pure Python + numpy) trained on the Rasa project's own
data: intent classification with calibrated confidence and nlu_fallback,
dossier code / verification digits / procedure entities."""

from assistant.nlu.engine import BuiltinNlu
from assistant.nlu.normalize import SHORTHAND, fold, normalize, tokenize
from assistant.nlu.training_data import Example, TrainingData, load_project, load_test_set

__all__ = [
    "SHORTHAND",
    "BuiltinNlu",
    "Example",
    "TrainingData",
    "fold",
    "load_project",
    "load_test_set",
    "normalize",
    "tokenize",
]
