"""Numbers and words for people, one way everywhere a report shows them.

Money always carries its currency: `Money("GBP")(1234.5)` is "£1,235". Labels turn column values
into words ("cant_lose" -> "Can't lose"); `LABELS` holds the few that underscores-to-spaces gets
wrong, and the report's spelling test reads every label through `label`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

CURRENCY_SYMBOLS = {"GBP": "£", "EUR": "€", "USD": "$", "JPY": "¥", "INR": "₹"}


@dataclass(frozen=True)
class Money:
    """Amounts in one currency (ISO 4217 code): a symbol where one is common, else the code."""

    currency: str | None

    def __call__(self, value: float) -> str:
        digits = f"{abs(value):,.0f}" if abs(value) >= 100 else f"{abs(value):,.2f}"
        sign = "−" if value < 0 else ""
        if not self.currency:
            return f"{sign}{digits}"
        symbol = CURRENCY_SYMBOLS.get(self.currency)
        return f"{sign}{symbol}{digits}" if symbol else f"{sign}{digits} {self.currency}"


def number(value: float) -> str:
    return f"{value:,.0f}"


def percent(value: float) -> str:
    return f"{value:.1%}" if abs(value) < 0.1 and value != 0 else f"{value:.0%}"


def signed_percent(value: float) -> str:
    return f"{value:+.0%}"


def score(value: float) -> str:
    return f"{value:.0f}"


def index(value: float) -> str:
    return f"{value:.2f}"


def duration(seconds: float) -> str:
    if not np.isfinite(seconds):
        return "n/a"
    if seconds >= 3600:
        return f"{seconds / 3600:.1f} h"
    if seconds >= 60:
        return f"{seconds / 60:.0f} min"
    return f"{seconds:.0f} s"


ACRONYMS = {"vip": "VIP", "rfm": "RFM", "nps": "NPS", "csat": "CSAT", "sms": "SMS"}
# Values that read wrongly with underscores as spaces.
LABELS = {
    "cant_lose": "Can't lose",
    "need_attention": "Needs attention",
    "web_session": "Web session",
}


def label(value: object) -> str:
    """A column value for people: underscores to spaces, acronyms in capitals, first letter
    upper case."""
    if str(value) in LABELS:
        return LABELS[str(value)]
    words = [ACRONYMS.get(word, word) for word in str(value).replace("_", " ").split(" ")]
    text = " ".join(words)
    return text[:1].upper() + text[1:]


def phrase(value: object) -> str:
    """`label` for the middle of a sentence: "loyalty tier", but "RFM segment"."""
    text = label(value)
    first = text.split(" ")[0]
    return text if first in ACRONYMS.values() else text[:1].lower() + text[1:]
