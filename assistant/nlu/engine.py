"""BuiltinNlu: train on the Rasa project's own data, parse like Rasa's
/model/parse (intent, calibrated confidence, entities, nlu_fallback below the
FallbackClassifier thresholds of config.yml)."""

from __future__ import annotations

import time
from collections.abc import Iterable
from pathlib import Path
from typing import Literal

import numpy as np

from assistant.nlu.classifier import Featurizer, SoftmaxRegression, feature_strings, fit_temperature, softmax
from assistant.nlu.entities import EntityExtractor
from assistant.nlu.normalize import Token, tokenize
from assistant.nlu.training_data import TrainingData, load_project
from assistant.port import FALLBACK_INTENT, Entity, Parse

# Entities replaced by one placeholder token before featurising, so that the
# classifier learns "a dossier code" rather than one particular code.
MASKED_ENTITIES = {"dossier_code": "__dossiercode__", "verify_digits": "__verifydigits__"}


class BuiltinNlu:
    """Pure Python + numpy NLU. Build it with `BuiltinNlu.train()` (blocking:
    run it in a thread from async code)."""

    def __init__(
        self,
        data: TrainingData,
        featurizer: Featurizer,
        model: SoftmaxRegression,
        temperature: float,
        extractor: EntityExtractor,
        *,
        fallback_confidence: Literal["threshold", "top"] = "threshold",
    ) -> None:
        self.intents = list(data.intents)
        self.threshold = data.threshold
        self.ambiguity_threshold = data.ambiguity_threshold
        self.featurizer = featurizer
        self.model = model
        self.temperature = temperature
        self.extractor = extractor
        # Rasa's FallbackClassifier reports nlu_fallback with the threshold as its
        # confidence; "top" reports the best intent's confidence instead.
        self.fallback_confidence = fallback_confidence
        self.training_seconds = 0.0
        self.training_examples = len(data.examples)
        self.oof_accuracy = float("nan")  # out-of-fold accuracy measured while calibrating

    # ----------------------------------------------------------------- training
    @classmethod
    def train(
        cls,
        project_dir: Path | None = None,
        *,
        data: TrainingData | None = None,
        l2: float = 1e-4,
        folds: int = 5,
        seed: int = 42,
        fallback_confidence: Literal["threshold", "top"] = "threshold",
    ) -> BuiltinNlu:
        started = time.perf_counter()
        if data is None:
            data = load_project(project_dir)
        extractor = EntityExtractor(data)
        label = {intent: i for i, intent in enumerate(data.intents)}
        docs = [feature_strings(_tokens(extractor, ex.text)[1]) for ex in data.examples]
        y = np.array([label[ex.intent] for ex in data.examples])
        k = len(data.intents)

        # calibration: out-of-fold logits from `folds` models, then one temperature
        rng = np.random.default_rng(seed)
        fold_of = np.empty(len(y), dtype=int)
        for c in range(k):  # stratified
            members = rng.permutation(np.flatnonzero(y == c))
            fold_of[members] = np.arange(len(members)) % folds
        oof = np.zeros((len(y), k))
        for f in range(folds):
            train_idx, held_idx = np.flatnonzero(fold_of != f), np.flatnonzero(fold_of == f)
            feat = Featurizer().fit([docs[i] for i in train_idx])
            model = SoftmaxRegression(k, l2=l2).fit(feat.transform(docs[i] for i in train_idx), y[train_idx])
            oof[held_idx] = model.logits(feat.transform(docs[i] for i in held_idx))
        temperature = fit_temperature(oof, y)

        featurizer = Featurizer().fit(docs)
        model = SoftmaxRegression(k, l2=l2).fit(featurizer.transform(docs), y)
        nlu = cls(data, featurizer, model, temperature, extractor, fallback_confidence=fallback_confidence)
        nlu.oof_accuracy = float(np.mean(oof.argmax(axis=1) == y))
        nlu.training_seconds = time.perf_counter() - started
        return nlu

    # ------------------------------------------------------------------ parsing
    def probabilities(self, texts: Iterable[str]) -> tuple[np.ndarray, list[tuple[Entity, ...]]]:
        """Calibrated intent probabilities (rows follow `self.intents`) and the
        entities of each text."""
        entities: list[tuple[Entity, ...]] = []
        docs = []
        for text in texts:
            ents, toks = _tokens(self.extractor, text)
            entities.append(ents)
            docs.append(feature_strings(toks))
        x = self.featurizer.transform(docs)
        return softmax(self.model.logits(x).astype(np.float64) / self.temperature), entities

    def parse_many(self, texts: Iterable[str]) -> list[Parse]:
        texts = list(texts)
        if not texts:
            return []
        probs, entities = self.probabilities(texts)
        order = np.argsort(-probs, axis=1)[:, :2]
        out = []
        for text, row, top, ents in zip(texts, probs, order, entities, strict=True):
            first = float(row[top[0]])
            second = float(row[top[1]]) if len(top) > 1 else 0.0
            if first < self.threshold or first - second < self.ambiguity_threshold:
                confidence = self.threshold if self.fallback_confidence == "threshold" else first
                out.append(Parse(text, FALLBACK_INTENT, confidence, ents))
            else:
                out.append(Parse(text, self.intents[top[0]], first, ents))
        return out

    def parse(self, text: str) -> Parse:
        return self.parse_many([text])[0]

    def ranking(self, text: str, n: int = 10) -> list[tuple[str, float]]:
        """The best `n` intents with their calibrated confidences (Rasa's intent_ranking)."""
        probs, _ = self.probabilities([text])
        order = np.argsort(-probs[0])[:n]
        return [(self.intents[i], float(probs[0, i])) for i in order]


def _tokens(extractor: EntityExtractor, text: str) -> tuple[tuple[Entity, ...], list[Token]]:
    """Entities of `text`, and its tokens with regex entities masked."""
    raw = tokenize(text)
    entities = extractor.extract(text, raw)
    masks = tuple((e.start, e.end, MASKED_ENTITIES[e.entity]) for e in entities if e.entity in MASKED_ENTITIES)
    return entities, (tokenize(text, masks=masks) if masks else raw)
