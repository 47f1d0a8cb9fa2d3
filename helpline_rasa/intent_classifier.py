"""The intent classifier: TF-IDF of words and character n-grams, a linear SVM, temperature-scaled confidences.

Why not DIET (Rasa's default) or Rasa's LogisticRegressionClassifier: measured on the held-out splits
(docs/decisions.md, "Intent classifier"), this scores higher in every language, trains in about 20 seconds
instead of 15-30 minutes on two cores, and the model is a few megabytes.

- Features: TF-IDF (sublinear term frequency, L2-normalised) of lower-cased words and of character
  n-grams (1-5, inside word boundaries), accents stripped. Character n-grams absorb typos, missing
  diacritics ("sa dorm", "ne ma"), Latin-letter Arabic and mixed scripts; nothing is language-specific.
- Typos (helpline_rasa/spelling.py): every text is read in one normal form (a repeated letter once, Arabic
  ة/ى plain, đ as d); with `spelling_variants` (config.yml, off: measured in docs/decisions.md) each
  Latin-script training example also gets one spelling variant.
- Classifier: one linear SVM per intent (one-vs-rest), classes balanced.
- Confidence: softmax of the SVM scores times one temperature, fitted (least log-loss) on a fifth of the
  training data held apart, then the SVM is refitted on all of it ("temperature scaling"). Rasa's
  FallbackClassifier and the danger score (bot/actions/nlg.py) read these confidences.

The model is stored as plain arrays and vocabularies (numpy `.npz` without pickles, and JSON), never as
pickled objects, so loading a model cannot run code.
"""

# Rasa validates a graph component's signatures against its own `typing.List`/`Dict` annotations, so this
# file keeps Rasa's spelling of them.
# ruff: noqa: UP006, UP019, UP035, UP037, UP045
from __future__ import annotations

import json
import logging
from typing import Any, Dict, List, Optional, Text, Tuple

import numpy as np
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from scipy import sparse
from scipy.special import log_softmax, softmax
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer
from sklearn.model_selection import train_test_split
from sklearn.svm import LinearSVC

from helpline_rasa.spelling import is_latin_script, normal_form, spelling_variant

logger = logging.getLogger(__name__)

WORDS = r"(?u)\b\w+\b"
# Ge'ez script (Tigrinya) may separate words with the Ethiopic wordspace "፡" instead of a space: it is a
# space here, so the character n-grams stay inside words as they do for other scripts.
ETHIOPIC_WORDSPACE = "\u1361"
TEMPERATURES = np.arange(1.0, 40.0, 0.5)


def _spaced(text: str) -> str:
    """The text with Ethiopic wordspaces as spaces ("ሓገዝ፡ደልየ" is "ሓገዝ ደልየ")."""
    return text.replace(ETHIOPIC_WORDSPACE, " ")


def _vectorizers(config: Dict[Text, Any]) -> Tuple[TfidfVectorizer, TfidfVectorizer]:
    low, high = config["char_ngrams"]
    words = TfidfVectorizer(token_pattern=WORDS, sublinear_tf=True, strip_accents="unicode")
    chars = TfidfVectorizer(
        analyzer="char_wb",
        ngram_range=(low, high),
        sublinear_tf=True,
        min_df=config["min_df"],
        strip_accents="unicode",
    )
    return words, chars


class _Fitted:
    """What a trained model is: two vocabularies with their IDF weights, the SVM's weights, the classes
    and the temperature. Features are computed exactly as TfidfVectorizer does (see `features`)."""

    def __init__(
        self,
        vocabularies: List[Dict[str, int]],
        idfs: List[np.ndarray],
        coef: np.ndarray,
        intercept: np.ndarray,
        classes: List[str],
        temperature: float,
        char_ngrams: Tuple[int, int],
        normalised: bool = False,
    ) -> None:
        self.classes = classes
        self.normalised = normalised  # trained on normal forms (older models were not)
        self.temperature = temperature
        self._coef, self._intercept = coef, intercept
        self._idfs = idfs
        low, high = char_ngrams
        self._vocabularies = vocabularies
        self._counters = [
            CountVectorizer(token_pattern=WORDS, strip_accents="unicode", vocabulary=vocabularies[0]),
            CountVectorizer(
                analyzer="char_wb",
                ngram_range=(low, high),
                strip_accents="unicode",
                vocabulary=vocabularies[1],
            ),
        ]

    def features(self, texts: List[str]) -> sparse.csr_matrix:
        blocks = []
        for counter, idf in zip(self._counters, self._idfs, strict=True):
            counts = counter.transform(texts).astype(np.float64).tocsr()
            counts.data = 1.0 + np.log(counts.data)  # sublinear tf
            weighted = counts.multiply(idf).tocsr()
            norms = np.sqrt(np.asarray(weighted.multiply(weighted).sum(axis=1)).ravel())
            norms[norms == 0] = 1.0
            blocks.append(sparse.diags(1.0 / norms) @ weighted)
        return sparse.hstack(blocks).tocsr()

    def probabilities(self, texts: List[str]) -> np.ndarray:
        if self.normalised:
            texts = [normal_form(text) for text in texts]
        scores = self.features(texts) @ self._coef.T + self._intercept
        return softmax(np.asarray(scores) * self.temperature, axis=1)

    def save(self, directory: Any) -> None:
        np.savez_compressed(
            directory / "model.npz",
            coef=self._coef,
            intercept=self._intercept,
            idf_words=self._idfs[0],
            idf_chars=self._idfs[1],
        )
        meta = {
            "classes": self.classes,
            "temperature": self.temperature,
            "char_ngrams": list(self._counters[1].ngram_range),
            "vocabularies": self._vocabularies,
            "normalised": self.normalised,
        }
        (directory / "model.json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")

    @classmethod
    def read(cls, directory: Any) -> "_Fitted":
        meta = json.loads((directory / "model.json").read_text(encoding="utf-8"))
        with np.load(directory / "model.npz", allow_pickle=False) as arrays:
            return cls(
                [{str(k): int(v) for k, v in vocabulary.items()} for vocabulary in meta["vocabularies"]],
                [arrays["idf_words"], arrays["idf_chars"]],
                arrays["coef"],
                arrays["intercept"],
                [str(name) for name in meta["classes"]],
                float(meta["temperature"]),
                (int(meta["char_ngrams"][0]), int(meta["char_ngrams"][1])),
                bool(meta.get("normalised", False)),
            )


def _fit_svm(texts: List[str], labels: List[str], config: Dict[Text, Any]) -> Tuple[Any, Any, LinearSVC]:
    words, chars = _vectorizers(config)
    features = sparse.hstack([words.fit_transform(texts), chars.fit_transform(texts)]).tocsr()
    svm = LinearSVC(C=config["C"], class_weight="balanced", random_state=config["random_state"])
    svm.fit(features, labels)
    return words, chars, svm


def _temperature(texts: List[str], labels: List[str], config: Dict[Text, Any]) -> float:
    """The temperature that makes softmax(scores × T) fit held-apart training data best (least log-loss)."""
    fit_texts, check_texts, fit_labels, check_labels = train_test_split(
        texts,
        labels,
        test_size=config["calibration_share"],
        random_state=config["random_state"],
        stratify=labels,
    )
    words, chars, svm = _fit_svm(fit_texts, fit_labels, config)
    features = sparse.hstack([words.transform(check_texts), chars.transform(check_texts)]).tocsr()
    scores = np.asarray(svm.decision_function(features))
    truth = np.searchsorted(svm.classes_, check_labels)
    rows = np.arange(len(check_labels))
    losses = [-log_softmax(scores * t, axis=1)[rows, truth].mean() for t in TEMPERATURES]
    return float(TEMPERATURES[int(np.argmin(losses))])


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=True)
class TfidfSvmIntentClassifier(IntentClassifier, GraphComponent):
    """Intent classifier: TF-IDF words and character n-grams, linear SVM, temperature-scaled softmax."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        """C of the SVM, character n-gram sizes, the share held apart to fit the temperature."""
        return {
            "C": 0.5,
            "char_ngrams": [1, 5],
            "min_df": 2,
            "calibration_share": 0.2,
            "random_state": 42,
            "ranking_length": 10,
            "spelling_variants": False,
        }

    def __init__(
        self,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        fitted: Optional[_Fitted] = None,
    ) -> None:
        self._config = {**self.get_default_config(), **config}
        self._storage = model_storage
        self._resource = resource
        self._fitted = fitted

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "TfidfSvmIntentClassifier":
        """A new, untrained classifier."""
        return cls(config, model_storage, resource)

    def train(self, training_data: TrainingData) -> Resource:
        """Fit the temperature on held-apart data, then the SVM on all the examples; store both."""
        examples = [e for e in training_data.intent_examples if e.get(INTENT) and e.get(TEXT)]
        if not examples:
            logger.debug("No intent examples: the classifier is not trained.")
            return self._resource
        texts = [_spaced(str(e.get(TEXT))) for e in examples]
        labels = [str(e.get(INTENT)) for e in examples]
        if self._config["spelling_variants"]:
            latin = [
                (text, label) for text, label in zip(texts, labels, strict=True) if is_latin_script(text)
            ]
            variants = [(spelling_variant(text), label) for text, label in latin]
            texts += [variant for variant, _ in variants if variant]
            labels += [label for variant, label in variants if variant]
        texts = [normal_form(text) for text in texts]
        temperature = _temperature(texts, labels, self._config)
        words, chars, svm = _fit_svm(texts, labels, self._config)
        low, high = self._config["char_ngrams"]
        self._fitted = _Fitted(
            [
                {str(k): int(v) for k, v in words.vocabulary_.items()},
                {str(k): int(v) for k, v in chars.vocabulary_.items()},
            ],
            [words.idf_, chars.idf_],
            svm.coef_,
            svm.intercept_,
            [str(name) for name in svm.classes_],
            temperature,
            (int(low), int(high)),
            normalised=True,
        )
        with self._storage.write_to(self._resource) as directory:
            self._fitted.save(directory)
        logger.info(f"Intent classifier trained on {len(texts)} examples (temperature {temperature}).")
        return self._resource

    @classmethod
    def load(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> "TfidfSvmIntentClassifier":
        """The trained classifier from the model's storage (an untrained one if there is none)."""
        try:
            with model_storage.read_from(resource) as directory:
                return cls(config, model_storage, resource, _Fitted.read(directory))
        except (ValueError, FileNotFoundError):
            logger.debug(f"No stored intent classifier '{resource.name}': using an untrained one.")
            return cls(config, model_storage, resource)

    def process(self, messages: List[Message]) -> List[Message]:
        """Set each message's intent and its ranking (the `ranking_length` best, with confidences)."""
        if self._fitted is None or not messages:
            return messages
        texts = [_spaced(str(message.get(TEXT) or "")) for message in messages]
        probabilities = self._fitted.probabilities(texts)
        for message, row in zip(messages, probabilities, strict=True):
            order = np.argsort(-row)
            ranking = [
                {"name": self._fitted.classes[i], "confidence": float(row[i])}
                for i in order[: max(1, int(self._config["ranking_length"]))]
            ]
            message.set(INTENT, ranking[0], add_to_output=True)
            message.set(INTENT_RANKING_KEY, ranking, add_to_output=True)
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        """Classify the training examples too (later components may read the intent)."""
        self.process(training_data.training_examples)
        return training_data
