"""Intent classifier: sparse TF-IDF features (word uni/bigrams on the accented
and on the diacritics-free form, char_wb 2-4-grams on the diacritics-free
form) and a multinomial logistic regression trained with numpy (L-BFGS, L2),
calibrated by temperature scaling on out-of-fold predictions."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import pairwise

import numpy as np

from assistant.nlu.normalize import Token

CHAR_NGRAMS = (2, 4)
# weight of each feature block before the final L2 normalisation
BLOCK_WEIGHTS = {"w": 1.0, "u": 1.0, "c": 1.0}


def feature_strings(tokens: Sequence[Token]) -> dict[str, list[str]]:
    """Raw features of one tokenised text, per block."""
    acc = [t.acc for t in tokens]
    bare = [t.bare for t in tokens]
    words = acc + [f"{a} {b}" for a, b in pairwise(acc)]
    unacc = bare + [f"{a} {b}" for a, b in pairwise(bare)]
    chars: list[str] = []
    lo, hi = CHAR_NGRAMS
    for w in bare:
        padded = f" {w} "
        for n in range(lo, hi + 1):
            chars.extend(padded[i : i + n] for i in range(len(padded) - n + 1))
    return {"w": words, "u": unacc, "c": chars}


@dataclass(slots=True)
class Csr:
    indptr: np.ndarray  # int64, rows + 1
    indices: np.ndarray  # int32
    data: np.ndarray  # float32
    n_cols: int

    @property
    def n_rows(self) -> int:
        return len(self.indptr) - 1

    def matmul(self, w: np.ndarray) -> np.ndarray:
        """self @ w for a dense w (n_cols x k)."""
        out = np.zeros((self.n_rows, w.shape[1]), dtype=w.dtype)
        if len(self.data) == 0:
            return out
        prod = w[self.indices]
        prod *= self.data[:, None]
        nonempty = self.indptr[:-1] < self.indptr[1:]
        out[nonempty] = np.add.reduceat(prod, self.indptr[:-1][nonempty], axis=0)
        return out

    def transpose(self) -> Csr:
        rows = np.repeat(np.arange(self.n_rows), np.diff(self.indptr))
        order = np.argsort(self.indices, kind="stable")
        counts = np.bincount(self.indices, minlength=self.n_cols)
        indptr = np.concatenate([[0], np.cumsum(counts)])
        return Csr(indptr, rows[order].astype(np.int32), self.data[order], self.n_rows)


class Featurizer:
    """Vocabulary-indexed, TF-IDF (sublinear tf), each block L2-normalised and
    weighted, the whole vector L2-normalised."""

    def __init__(self) -> None:
        self.vocab: dict[str, int] = {}
        self.idf: np.ndarray = np.zeros(0, dtype=np.float32)
        self.block_of: np.ndarray = np.zeros(0, dtype=np.int8)

    def fit(self, docs: list[dict[str, list[str]]]) -> Featurizer:
        df: dict[str, int] = {}
        for doc in docs:
            for block, feats in doc.items():
                for f in set(feats):
                    key = f"{block}:{f}"
                    df[key] = df.get(key, 0) + 1
        self.vocab = {key: i for i, key in enumerate(sorted(df))}
        n = len(docs)
        self.idf = np.array([math.log((1 + n) / (1 + df[k])) + 1.0 for k in sorted(df)], dtype=np.float32)
        blocks = sorted(BLOCK_WEIGHTS)
        self.block_of = np.array([blocks.index(k.split(":", 1)[0]) for k in sorted(df)], dtype=np.int8)
        return self

    def _row(self, doc: dict[str, list[str]]) -> tuple[list[int], list[float]]:
        indices: list[int] = []
        values: list[float] = []
        vocab = self.vocab
        for block, feats in doc.items():
            counts: dict[int, int] = {}
            for f in feats:
                i = vocab.get(f"{block}:{f}")
                if i is not None:
                    counts[i] = counts.get(i, 0) + 1
            if not counts:
                continue
            idx = list(counts)
            vals = [(1.0 + math.log(c)) * float(self.idf[i]) for i, c in counts.items()]
            norm = math.sqrt(sum(v * v for v in vals)) or 1.0
            scale = BLOCK_WEIGHTS[block] / norm
            indices.extend(idx)
            values.extend(v * scale for v in vals)
        norm = math.sqrt(sum(v * v for v in values)) or 1.0
        return indices, [v / norm for v in values]

    def transform(self, docs: Iterable[dict[str, list[str]]]) -> Csr:
        indptr = [0]
        indices: list[int] = []
        data: list[float] = []
        for doc in docs:
            idx, vals = self._row(doc)
            indices.extend(idx)
            data.extend(vals)
            indptr.append(len(indices))
        return Csr(
            np.array(indptr, dtype=np.int64),
            np.array(indices, dtype=np.int32),
            np.array(data, dtype=np.float32),
            len(self.vocab),
        )

    def known_fraction(self, doc: dict[str, list[str]]) -> float:
        """Share of the text's word features seen in training (0 for gibberish)."""
        feats = doc["u"]
        if not feats:
            return 0.0
        return sum(f"u:{f}" in self.vocab for f in feats) / len(feats)


def softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def _dot(a: np.ndarray, b: np.ndarray) -> float:
    # einsum, not BLAS: a multi-threaded OpenBLAS dot on a busy 2-core host is
    # ~100x slower than this for vectors of this size
    return float(np.einsum("i,i->", a, b))


def _lbfgs(fun, x0: np.ndarray, max_iter: int = 300, m: int = 10, tol: float = 1e-5) -> np.ndarray:
    """Minimise a smooth convex `fun(x) -> (f, grad)` (limited-memory BFGS with
    a backtracking Armijo line search)."""
    x = x0.copy()
    f, g = fun(x)
    s_hist: list[np.ndarray] = []
    y_hist: list[np.ndarray] = []
    for _ in range(max_iter):
        if math.sqrt(_dot(g, g)) < tol:
            break
        q = g.copy()
        alphas = []
        for s, y in zip(reversed(s_hist), reversed(y_hist), strict=True):
            rho = 1.0 / _dot(y, s)
            a = rho * _dot(s, q)
            alphas.append((rho, a))
            q -= a * y
        if s_hist:
            q *= _dot(s_hist[-1], y_hist[-1]) / _dot(y_hist[-1], y_hist[-1])
        for (s, y), (rho, a) in zip(zip(s_hist, y_hist, strict=True), reversed(alphas), strict=True):
            b = rho * _dot(y, q)
            q += s * (a - b)
        d = -q
        slope = _dot(g, d)
        if slope >= 0:  # not a descent direction: restart from steepest descent
            s_hist.clear()
            y_hist.clear()
            d, slope = -g, -_dot(g, g)
        step = 1.0
        while True:
            x_new = x + step * d
            f_new, g_new = fun(x_new)
            if f_new <= f + 1e-4 * step * slope or step < 1e-10:
                break
            step *= 0.5
        s, y = x_new - x, g_new - g
        if _dot(s, y) > 1e-10:
            s_hist.append(s)
            y_hist.append(y)
            if len(s_hist) > m:
                s_hist.pop(0)
                y_hist.pop(0)
        converged = abs(f - f_new) < tol * max(1.0, abs(f))
        x, f, g = x_new, f_new, g_new
        if converged:
            break
    return x


class SoftmaxRegression:
    def __init__(self, n_classes: int, l2: float = 1e-4, class_balance: float = 0.5) -> None:
        self.n_classes = n_classes
        self.l2 = l2
        self.class_balance = class_balance  # 0: no re-weighting, 1: fully balanced classes
        self.w = np.zeros((0, n_classes))
        self.b = np.zeros(n_classes)

    def fit(self, x: Csr, y: np.ndarray) -> SoftmaxRegression:
        n, d, k = x.n_rows, x.n_cols, self.n_classes
        xt = x.transpose()
        onehot = np.zeros((n, k))
        onehot[np.arange(n), y] = 1.0
        counts = np.bincount(y, minlength=k).astype(float)
        weights = (counts.mean() / np.maximum(counts, 1.0))[y] ** self.class_balance
        weights /= weights.sum()
        l2 = self.l2

        def fun(theta: np.ndarray):
            # float32 sparse products (memory bound), float64 for the rest
            w = theta[: d * k].reshape(d, k)
            b = theta[d * k :]
            z = x.matmul(w.astype(np.float32)).astype(np.float64) + b
            z -= z.max(axis=1, keepdims=True)
            logsum = np.log(np.exp(z).sum(axis=1))
            p = np.exp(z - logsum[:, None])
            loss = float((weights * (logsum - (z * onehot).sum(axis=1))).sum()) + 0.5 * l2 * _dot(
                theta[: d * k], theta[: d * k]
            )
            gz = (p - onehot) * weights[:, None]
            gw = xt.matmul(gz.astype(np.float32)) + l2 * w
            return loss, np.concatenate([gw.ravel(), gz.sum(axis=0)])

        theta = _lbfgs(fun, np.zeros(d * k + k))
        self.w = theta[: d * k].reshape(d, k).astype(np.float32)
        self.b = theta[d * k :].astype(np.float32)
        return self

    def logits(self, x: Csr) -> np.ndarray:
        return x.matmul(self.w) + self.b


def fit_temperature(logits: np.ndarray, y: np.ndarray) -> float:
    """Temperature minimising the negative log-likelihood (golden-section
    search on log T)."""

    def nll(log_t: float) -> float:
        z = logits / math.exp(log_t)
        z = z - z.max(axis=1, keepdims=True)
        return float(np.mean(np.log(np.exp(z).sum(axis=1)) - z[np.arange(len(y)), y]))

    lo, hi = math.log(0.02), math.log(20.0)
    ratio = (math.sqrt(5) - 1) / 2
    a, b = hi - ratio * (hi - lo), lo + ratio * (hi - lo)
    fa, fb = nll(a), nll(b)
    for _ in range(60):
        if fa < fb:
            hi, b, fb = b, a, fa
            a = hi - ratio * (hi - lo)
            fa = nll(a)
        else:
            lo, a, fa = a, b, fb
            b = lo + ratio * (hi - lo)
            fb = nll(b)
    return math.exp((lo + hi) / 2)
