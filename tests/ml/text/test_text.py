"""Sentiment, themes and requested features of customer texts (ml/text)."""

from datetime import datetime

import duckdb
import numpy as np
import pyarrow as pa
import pytest

from ml.text import (
    analyse_texts,
    extract_keyphrases,
    extract_requested_feature,
    sentiment_label,
    sentiment_scores,
    themes_for_keyphrases,
)
from ml.text.records import (
    RECORD_COLUMNS,
    TEXT_INSIGHTS_COLUMNS,
    TEXT_SOURCES,
    build_text_insights,
    text_records_query,
)
from sources.simulator import simulate


@pytest.fixture(scope="module")
def simulated_reviews(tmp_path_factory) -> list[tuple[int, str]]:
    """(rating, text) of every review of a small noise-free simulation."""
    landing = tmp_path_factory.mktemp("text") / "landing"
    simulate(landing, customers=3000, days=150, seed=11, noise_rate=0)
    files = str(landing / "feedback" / "reviews" / "*.csv")
    return duckdb.sql(
        f"select rating, text from read_csv('{files}', all_varchar = true) "
        "where text is not null and rating is not null"
    ).fetchall()


def test_sentiment_rises_with_the_review_rating(simulated_reviews):
    ratings = np.array([int(rating) for rating, _text in simulated_reviews])
    scores = np.array(sentiment_scores([text for _rating, text in simulated_reviews]))
    assert set(ratings) == {1, 2, 3, 4, 5}
    # 1 and 2 stars are pooled: the simulator writes few of each and similar words for both
    groups = [(1, 2), (3,), (4,), (5,)]
    means = [scores[np.isin(ratings, group)].mean() for group in groups]
    assert means == sorted(means), means  # the mean compound score rises with the rating
    assert means[0] < -0.2 and means[-1] > 0.5
    assert spearman(ratings, scores) > 0.6


def spearman(x: np.ndarray, y: np.ndarray) -> float:
    """Rank correlation, ties given their average rank."""

    def ranks(values: np.ndarray) -> np.ndarray:
        order = values.argsort(kind="stable")
        ranked = np.empty(len(values))
        ranked[order] = np.arange(len(values))
        for value in np.unique(values):
            ranked[values == value] = ranked[values == value].mean()
        return ranked

    return float(np.corrcoef(ranks(x), ranks(y))[0, 1])


def test_labels_follow_vaders_thresholds():
    assert [sentiment_label(s) for s in (0.05, 0.049, 0.0, -0.049, -0.05)] == [
        "positive",
        "neutral",
        "neutral",
        "neutral",
        "negative",
    ]
    positive, negative = sentiment_scores(["Brilliant, I love it!", "Terrible, it broke."])
    assert positive > 0.5 and negative < -0.5


@pytest.mark.parametrize(
    ("text", "theme"),
    [
        ("My parcel never arrived and the courier tracking is useless.", "delivery"),
        ("Far too expensive for what you get.", "price"),
        ("Poor quality, it broke after a week.", "quality"),
        ("Customer service was unhelpful and nobody replied.", "support"),
        ("The jumper is a size too small, the sizing is way off.", "sizing"),
        ("I would like a refund, how do I return it?", "returns"),
        ("I was charged twice for my order.", "billing"),
        ("The box was crushed and the packaging torn.", "packaging"),
        ("I received the wrong item.", "order_accuracy"),
    ],
)
def test_obvious_sentences_get_their_theme(text, theme):
    keyphrases = extract_keyphrases(text)
    assert keyphrases, text
    assert theme in themes_for_keyphrases(keyphrases), (text, keyphrases)


def test_text_without_content_has_no_keyphrases_or_themes():
    assert extract_keyphrases("") == []
    assert extract_keyphrases("   ") == []
    assert themes_for_keyphrases([]) == []


@pytest.mark.parametrize(
    ("text", "wanted"),
    [
        ("Lovely jacket. I wish it had deeper pockets.", "deeper pockets"),
        ("Please add more colours to the range!", "more colours to the range"),
        ("Would love to see a vegan option in the hamper.", "a vegan option in the hamper"),
        ("It would be great if you offered gift wrapping.", "offered gift wrapping"),
        ("Do you sell replacement filters?", "replacement filters"),
        ("Why don't you stock wide-fit shoes?", "wide-fit shoes"),
    ],
)
def test_requested_features_are_extracted(text, wanted):
    assert extract_requested_feature(text) == wanted


@pytest.mark.parametrize(
    "text",
    [
        "I'd like a refund for order ORD-1000192.",
        "My daughter would love it.",
        "Please update my delivery address.",
        "Absolutely love this jumper!",
        None,
        "",
    ],
)
def test_service_requests_and_praise_are_not_feature_requests(text):
    assert extract_requested_feature(text) is None


def test_analyse_texts_keeps_rows_in_order_with_nulls_for_empty_texts():
    texts = ["Fast delivery, great quality.", None, "  ", "Fast delivery, great quality.  "]
    result = analyse_texts(texts)
    assert result.num_rows == 4
    rows = result.to_pylist()
    assert rows[1] == rows[2] == dict.fromkeys(result.column_names)
    assert rows[0] == rows[3]  # the same text once trimmed: analysed once, shared
    assert rows[0]["sentiment_label"] == "positive"
    assert rows[0]["primary_theme"] == "delivery"
    assert set(rows[0]["themes"].split(";")) >= {"delivery", "quality"}


def _records(texts: list[str]) -> pa.Table:
    con = duckdb.connect()
    con.execute(
        "create table staging_reviews as select 'R' || i as review_id, text as review_text "
        "from (select unnest(?) as text, unnest(range(len(?))) as i)",
        [texts, texts],
    )
    return con.sql(
        "select 'feedback' as source, 'reviews' as source_table, review_id as source_key, "
        "null::varchar as source_customer_key, null::varchar as product_id, "
        "null::varchar as order_id, timestamp '2025-01-01' as occurred_at, "
        "review_text as text, md5(trim(review_text)) as text_hash from staging_reviews"
    ).to_arrow_table()


def test_build_text_insights_reuses_earlier_results_of_the_same_text():
    records = _records(["Arrived late.", "Lovely quality!", "Arrived late."])
    first, analysed = build_text_insights(records, analysed_at=datetime(2025, 1, 2))
    assert analysed == 2
    assert first.column_names == [name for name, _type in TEXT_INSIGHTS_COLUMNS]
    cache = first.select(["text_hash", *first.column_names[7:13], "analysed_at"])
    more = _records(["Arrived late.", "Lovely quality!", "Too expensive."])
    second, analysed = build_text_insights(more, cache, analysed_at=datetime(2025, 1, 3))
    assert analysed == 1  # only the new text
    rows = second.to_pylist()
    assert rows[0]["analysed_at"] == datetime(2025, 1, 2)  # reused
    assert rows[2]["analysed_at"] == datetime(2025, 1, 3)  # analysed now
    assert rows[0]["sentiment_score"] == first.to_pylist()[0]["sentiment_score"]
    assert rows[2]["primary_theme"] == "price"


def test_records_query_reads_every_text_source_and_nothing_without_sources():
    con = duckdb.connect()
    con.execute("create schema staging")
    for source in TEXT_SOURCES:
        columns = {source.key, source.text, source.occurred_at}
        columns |= {c for c in (source.customer_key, source.product_id, source.order_id) if c}
        con.execute(
            f"create table {source.relation} as select "
            + ", ".join(
                f"'{source.source}-{c}' as {c}" for c in sorted(columns - {source.text})
            ).replace(f"'{source.source}-{source.occurred_at}'", "timestamp '2025-01-01'")
            + f", unnest(['Great.', '', null]) as {source.text}"
        )
    records = con.sql(text_records_query(TEXT_SOURCES)).to_arrow_table()
    assert records.column_names == list(RECORD_COLUMNS)
    assert sorted(records.column("source").to_pylist()) == ["feedback", "support", "surveys"]
    empty = con.sql(text_records_query([])).to_arrow_table()
    assert empty.num_rows == 0 and empty.column_names == list(RECORD_COLUMNS)
