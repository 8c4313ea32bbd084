"""Themes of customer texts: yake keyphrases, mapped to a small set of readable themes.

yake (unsupervised, statistical, stopwords shipped in the package) picks the phrases that carry
a text; THEMES maps them to what a marketing or service manager reads. A keyphrase belongs to a
theme when it contains one of the theme's terms as whole words ("Customer service" contains
"service": support). One text can have several themes; the first is the theme of its most
relevant keyphrase. Keyphrases that match no theme are still kept, so new topics stay visible.

| theme | what it covers | example terms |
|---|---|---|
| delivery | arrival, speed, courier, tracking | delivery, arrived, courier, parcel, late |
| price | price level and value for money | price, expensive, pricey, value, money |
| quality | build quality, defects, breakage | quality, broke, faulty, flimsy, damaged |
| support | customer service and its responsiveness | service, staff, helpful, replied, hold |
| sizing | size and fit | size, sizing, fits, smaller, tight |
| returns | returns, refunds, exchanges | return, refund, exchange, replacement |
| billing | charges, invoices, discount codes | charged, invoice, vat, payment, code |
| account | login, account and contact details | account, log in, password, unsubscribe |
| website | website and app usability | website, app, checkout, clunky |
| appearance | looks, colour, matching the photos | colour, photos, pictured, looks |
| packaging | box and packing | packaging, box, wrapping, crushed |
| order_accuracy | wrong or missing items | wrong, missing, incorrect |
| store | the physical shop | shop, store, in store |
| range | product range and availability | range, selection, choice, stock |
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import cache

import yake

# Maximum words per keyphrase, and keyphrases yake returns per text (all map to themes).
KEYPHRASE_MAX_WORDS = 3
KEYPHRASES_PER_TEXT = 10

# Terms per theme, comma-separated; matched as whole words in lowercased keyphrases.
THEME_TERMS = {
    "delivery": "delivery, deliveries, deliver, delivered, arrive, arrived, arrival, courier, "
    "parcel, tracking, shipping, dispatch, dispatched, postage, late",
    "price": "price, prices, priced, pricey, expensive, cheap, value, money, cost, costs, "
    "overpriced, bargain, deal",
    "quality": "quality, broke, broken, breaks, faulty, fault, defect, defective, flimsy, damaged, "
    "cheaply, durable, sturdy, stopped working, well made, badly made, uncomfortable, comfortable",
    "support": "service, customer service, staff, helpful, unhelpful, hold, replied, reply, "
    "response, agent, chase, informed",
    "sizing": "size, sizes, sizing, fit, fits, fitted, smaller, bigger, tight, loose",
    "returns": "return, returns, returned, refund, refunds, exchange, replacement, sent back",
    "billing": "charged, charge, invoice, vat, payment, paid, discount code, code",
    "account": "account, log in, login, password, reset, unsubscribe, emails, address",
    "website": "website, site, app, checkout, online, clunky",
    "appearance": "colour, color, photos, photo, pictured, looks, look, design",
    "packaging": "packaging, box, wrapping, packed, crushed",
    "order_accuracy": "wrong, missing, incorrect, wrong item",
    "store": "shop, store, in store, stores",
    "range": "range, selection, choice, stock, options",
}
THEMES: dict[str, tuple[str, ...]] = {
    theme: tuple(term.strip() for term in terms.split(",")) for theme, terms in THEME_TERMS.items()
}

_THEME_PATTERNS = {
    theme: re.compile(r"\b(?:" + "|".join(re.escape(term) for term in terms) + r")\b")
    for theme, terms in THEMES.items()
}


@cache
def _extractor() -> yake.KeywordExtractor:
    return yake.KeywordExtractor(lan="en", n=KEYPHRASE_MAX_WORDS, top=KEYPHRASES_PER_TEXT)


def extract_keyphrases(text: str) -> list[str]:
    """The text's keyphrases, most relevant first, lowercased (empty for an empty text)."""
    if not text or not text.strip():
        return []
    phrases: list[str] = []
    for phrase, _score in _extractor().extract_keywords(text):
        phrase = phrase.lower()
        if phrase not in phrases:
            phrases.append(phrase)
    return phrases


def themes_for_keyphrases(keyphrases: Sequence[str]) -> list[str]:
    """The themes the keyphrases belong to, in the order of the first keyphrase that has each."""
    themes: list[str] = []
    for phrase in keyphrases:
        for theme, pattern in _THEME_PATTERNS.items():
            if theme not in themes and pattern.search(phrase):
                themes.append(theme)
    return themes
