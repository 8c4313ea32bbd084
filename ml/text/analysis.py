"""One pass over a column of texts: sentiment, themes, keyphrases and requested features.

The work is done once per distinct text (after trimming), then spread back to every row with an
Arrow `take`: feedback is repetitive (the same one-line comment, the same templated ticket), so
this is the batching that pays; VADER and yake themselves score one text at a time.
"""

from __future__ import annotations

from collections.abc import Sequence

import pyarrow as pa
import pyarrow.compute as pc

from ml.text.requests import extract_requested_feature
from ml.text.sentiment import sentiment_label, sentiment_scores
from ml.text.themes import extract_keyphrases, themes_for_keyphrases

# Bump when the lexicons, theme map or patterns change: rows carry it, as ML rows carry a
# model_version, so a result can be traced to the rules that made it.
ANALYSIS_VERSION = "text-1"

# Lists are joined with this separator (as CRM interests are) so every warehouse can hold them.
LIST_SEPARATOR = ";"
# Keyphrases stored per text (all of yake's keyphrases count towards the themes).
KEYPHRASES_KEPT = 5

RESULT_SCHEMA = pa.schema(
    [
        ("sentiment_score", pa.float64()),
        ("sentiment_label", pa.string()),
        ("primary_theme", pa.string()),
        ("themes", pa.string()),
        ("keyphrases", pa.string()),
        ("requested_feature", pa.string()),
    ]
)


def _joined(values: Sequence[str]) -> str | None:
    return LIST_SEPARATOR.join(value.replace(LIST_SEPARATOR, ",") for value in values) or None


def analyse_distinct(texts: Sequence[str]) -> pa.Table:
    """RESULT_SCHEMA rows for non-empty texts, in order (no deduplication here)."""
    scores = sentiment_scores(texts)
    keyphrases = [extract_keyphrases(text) for text in texts]
    themes = [themes_for_keyphrases(phrases) for phrases in keyphrases]
    return pa.table(
        {
            "sentiment_score": pa.array(scores, pa.float64()),
            "sentiment_label": pa.array([sentiment_label(score) for score in scores]),
            "primary_theme": pa.array([found[0] if found else None for found in themes]),
            "themes": pa.array([_joined(found) for found in themes], pa.string()),
            "keyphrases": pa.array(
                [_joined(phrases[:KEYPHRASES_KEPT]) for phrases in keyphrases], pa.string()
            ),
            "requested_feature": pa.array(
                [extract_requested_feature(text) for text in texts], pa.string()
            ),
        },
        schema=RESULT_SCHEMA,
    )


def analyse_texts(texts: pa.Array | pa.ChunkedArray | Sequence[str | None]) -> pa.Table:
    """RESULT_SCHEMA, one row per input text in input order; all nulls where the text is empty."""
    if isinstance(texts, pa.ChunkedArray):
        texts = texts.combine_chunks()
    if not isinstance(texts, pa.Array):
        texts = pa.array(texts, pa.string())
    texts = texts.cast(pa.string())
    trimmed = pc.utf8_trim_whitespace(texts)
    trimmed = pc.if_else(pc.equal(trimmed, ""), pa.scalar(None, pa.string()), trimmed)
    distinct = pc.unique(trimmed).drop_null()
    results = analyse_distinct(distinct.to_pylist())
    # Position of each row's text among the distinct texts; null (-> a null row) when empty.
    return results.take(pc.index_in(trimmed, value_set=distinct))
