"""Requested features and product gaps in customer texts ("I wish it had …", "please add …").

Each pattern is a phrase with which customers ask for something the business does not offer;
the request is the clause after it, up to the end of the sentence, trimmed to a few words.
Patterns are deliberately narrow: "I'd like a refund" is a service request, not a product gap,
and "my daughter would love it" is praise, so neither matches.
"""

from __future__ import annotations

import re

REQUEST_MAX_WORDS = 8

_CLAUSE = r"(?P<request>[^.!?;\n]+)"

REQUEST_PATTERNS = tuple(
    re.compile(pattern, re.IGNORECASE)
    for pattern in (
        r"\bwish (?:it|they|this|these|you|there) (?:had|has|have|came|come|was|were|would|"
        r"could|offered|sold|stocked|made) " + _CLAUSE,
        r"\bplease (?:add|stock|sell|offer|bring back|make|include|consider) " + _CLAUSE,
        r"\bwould love (?:to see |it if |if you |if it |if there was |the option (?:of|to) )"
        + _CLAUSE,
        r"\bwould love (?P<request>(?:more|a|an|some|other) [^.!?;\n]+)",
        r"\bwould be (?:great|nice|good|better|helpful|handy) (?:if|to have) " + _CLAUSE,
        r"\b(?:can|could) you (?:please )?(?:add|stock|sell|offer|make|bring back) " + _CLAUSE,
        r"\b(?:do|will) you (?:ever )?(?:sell|stock|do|make|have) (?P<request>[^.!?;\n]+)\?",
        r"\bwhy (?:don't|do not|doesn't|does not) (?:you|it) (?:sell|stock|offer|have|come with) "
        + _CLAUSE,
        r"\b(?:should|needs to|need to) (?:come with|have|offer|include) " + _CLAUSE,
    )
)

_LEADING_FILLER = re.compile(r"^(?:you |they |it |to |had |have |could |would |please )+")


def extract_requested_feature(text: str | None) -> str | None:
    """The first thing the text asks to be added or offered, lowercased, or None."""
    if not text:
        return None
    for pattern in REQUEST_PATTERNS:
        match = pattern.search(text)
        if match:
            request = _LEADING_FILLER.sub("", match.group("request").strip().lower())
            words = request.split()[:REQUEST_MAX_WORDS]
            if words:
                return " ".join(words).strip(" ,:-'\"")
    return None
