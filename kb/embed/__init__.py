"""Embed: text encoders behind one `Encoder` protocol, the embedding and token caches keyed by
content hash, and the language-direction projection. Owns every model call.
Imports: kb.config, kb.errors, kb.atomic, kb.faults, kb.text (never ingest, index, or later)."""

from .cache import QUERY_MARK, EmbeddingCache, TokenCache, side_key, text_key
from .encoders import Encoder, HashingEncoder, another_model, make_encoder
from .language import direction_keys, language_direction, project_out

__all__ = [
    "QUERY_MARK",
    "EmbeddingCache",
    "Encoder",
    "HashingEncoder",
    "TokenCache",
    "another_model",
    "direction_keys",
    "language_direction",
    "make_encoder",
    "project_out",
    "side_key",
    "text_key",
]
