"""Text analytics for customer feedback: sentiment, themes and requested features.

Pure Python on lexicons that ship inside their packages (vaderSentiment, yake), so nothing is
downloaded at run time. `analyse_texts` takes a column of texts and returns one result per text;
each distinct text is analysed once, so templated or repeated texts cost nothing extra.

    from ml.text import analyse_texts
    table = analyse_texts(["Arrived late and the box was crushed.", None])
"""

from ml.text.analysis import ANALYSIS_VERSION, RESULT_SCHEMA, analyse_texts
from ml.text.requests import extract_requested_feature
from ml.text.sentiment import sentiment_label, sentiment_scores
from ml.text.themes import THEMES, extract_keyphrases, themes_for_keyphrases

__all__ = [
    "ANALYSIS_VERSION",
    "RESULT_SCHEMA",
    "THEMES",
    "analyse_texts",
    "extract_keyphrases",
    "extract_requested_feature",
    "sentiment_label",
    "sentiment_scores",
    "themes_for_keyphrases",
]
