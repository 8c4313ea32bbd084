"""Sentiment of short customer texts with VADER (vaderSentiment), a lexicon and rule-based model
made for short informal text; its lexicon ships inside the package.

The compound score is VADER's normalised sum of word valences in [-1, 1]. Labels follow VADER's
documented thresholds: positive at >= 0.05, negative at <= -0.05, neutral in between.

VADER's general-purpose lexicon has no valence for a few words that carry a clear opinion in
retail feedback ("late", "flimsy", "overpriced"); RETAIL_LEXICON adds them, on VADER's scale
(-4 most negative … +4 most positive), and overrides nothing VADER already scores. A few
idioms VADER misreads word by word ("expected better" reads as praise, "nothing special" as a
strong negative) are rewritten to one word of the intended valence before scoring
(RETAIL_IDIOMS); only the score sees the rewrite.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import cache

from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

POSITIVE_THRESHOLD = 0.05
NEGATIVE_THRESHOLD = -0.05

RETAIL_LEXICON = {
    "late": -1.2,
    "slow": -1.0,
    "flimsy": -1.5,
    "cheaply": -1.2,
    "pricey": -0.8,
    "expensive": -1.0,
    "overpriced": -1.8,
    "unhelpful": -1.8,
    "hassle": -1.5,
    "clunky": -1.2,
    "quick": 1.0,
    "fast": 1.0,
    "reliable": 1.6,
    "barely": -0.8,
}

RETAIL_IDIOMS = {
    "expected better": "disappointed",
    "nothing special": "meh",
    "way off": "wrong",
    "took far too long": "was slow",
    "took too long": "was slow",
    "not as pictured": "misleading",
    "not as described": "misleading",
    "nothing like the photos": "misleading",
    "never arrived": "lost",
    "took ages": "was slow",
    "on hold for ages": "ignored",
    "not be ordering again": "never return",
    "won't be ordering again": "never return",
}
_IDIOM_PATTERN = re.compile(
    r"\b(" + "|".join(re.escape(idiom) for idiom in RETAIL_IDIOMS) + r")\b", re.IGNORECASE
)


def _rewrite_idioms(text: str) -> str:
    return _IDIOM_PATTERN.sub(lambda match: RETAIL_IDIOMS[match.group(1).lower()], text)


@cache
def _analyzer() -> SentimentIntensityAnalyzer:
    analyzer = SentimentIntensityAnalyzer()
    for word, valence in RETAIL_LEXICON.items():
        analyzer.lexicon.setdefault(word, valence)
    return analyzer


def sentiment_scores(texts: Iterable[str]) -> list[float]:
    """VADER compound score in [-1, 1] for each text (0.0 for an empty text)."""
    analyzer = _analyzer()
    return [
        analyzer.polarity_scores(_rewrite_idioms(text))["compound"] if text else 0.0
        for text in texts
    ]


def sentiment_label(score: float) -> str:
    """positive, negative or neutral, by VADER's thresholds on the compound score."""
    if score >= POSITIVE_THRESHOLD:
        return "positive"
    if score <= NEGATIVE_THRESHOLD:
        return "negative"
    return "neutral"
