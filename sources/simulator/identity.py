"""How each system writes down a person: the identity noise that entity resolution must undo.

A system that stores a record keeps its quirks (the CRM agent's typo stays in the CRM), so
per-system quirks are drawn once per person. Free-text channels (a support email, a review
form) vary from one message to the next and take a uniform draw per row instead.

Identity noise is natural variation, not a data-quality defect: it does not depend on
noise_rate and is not listed in _truth/noise.csv.

Everything works on arrays of people and returns Arrow string arrays, so a first export of a
million contacts takes seconds; only the few rows with a typo go through Python.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from sources.simulator.lexicon import (
    CITIES,
    DOMAIN_TYPOS,
    EMAIL_DOMAINS,
    FEMALE_FIRST_NAMES,
    LAST_NAMES,
    MALE_FIRST_NAMES,
    STREET_NAMES,
    STREET_TYPES,
    WORK_DOMAINS,
    ascii_slug,
)
from sources.simulator.population import Population
from sources.simulator.product_words import CATEGORIES
from sources.simulator.streams import mix64, static_rng

STRING = pa.string()
FIRST_NAMES = FEMALE_FIRST_NAMES + MALE_FIRST_NAMES
_FIRST = pa.array(FIRST_NAMES, STRING)
_LAST = pa.array(LAST_NAMES, STRING)
_FIRST_SLUGS = pa.array([ascii_slug(n) for n in FIRST_NAMES], STRING)
_LAST_SLUGS = pa.array([ascii_slug(n) for n in LAST_NAMES], STRING)
_DOMAINS = pa.array([d[0] for d in EMAIL_DOMAINS], STRING)
_WORK_DOMAINS = pa.array(WORK_DOMAINS, STRING)
_STREETS = pa.array(STREET_NAMES, STRING)
_STREET_LONG = pa.array([t[0] for t in STREET_TYPES], STRING)
_STREET_SHORT = pa.array([t[1] for t in STREET_TYPES], STRING)
_CITY_NAMES = pa.array([c[0] for c in CITIES], STRING)
_AREAS = pa.array([a for c in CITIES for a in c[1]], STRING)
_AREA_OFFSET = np.cumsum([0] + [len(c[1]) for c in CITIES])[:-1]
_AREA_COUNT = np.array([len(c[1]) for c in CITIES])
_UNIT_LETTERS = pa.array(list("ABDEFGHJLNPQRSTUWXYZ"), STRING)
_KEYBOARD_NEIGHBOURS = dict(zip("aeionrstlh", "sruoptdyjg", strict=True))
# Interests as the CRM preference centre stores them, for every combination of categories.
_INTEREST_TEXT = pa.array(
    [
        ";".join(c[0] for i, c in enumerate(CATEGORIES) if mask >> i & 1) or None
        for mask in range(1 << len(CATEGORIES))
    ],
    STRING,
)


def typo(text: str, key: int) -> str:
    """One keyboard slip, chosen by `key`: swap, drop, double or hit a neighbouring key."""
    if len(text) < 4:
        return text
    position = 1 + (key >> 8) % (len(text) - 2)
    kind = key % 4
    if kind == 0:
        return text[:position] + text[position + 1] + text[position] + text[position + 2 :]
    if kind == 1:
        return text[:position] + text[position + 1 :]
    if kind == 2:
        return text[:position] + text[position] + text[position:]
    letter = text[position]
    return text[:position] + _KEYBOARD_NEIGHBOURS.get(letter, letter) + text[position + 1 :]


def title_email(address: str) -> str:
    """John.Smith@Gmail.com: how some people (and some forms) capitalise an address."""
    local, _, domain = address.partition("@")
    return ".".join(part.capitalize() for part in local.split(".")) + "@" + domain.capitalize()


def _join(*parts) -> pa.Array:
    return pc.binary_join_element_wise(*parts, "")


def _text(numbers: np.ndarray) -> pa.Array:
    return pc.cast(pa.array(np.asarray(numbers, dtype=np.int64)), STRING)


def _patch(values: pa.Array, mask: np.ndarray, change) -> pa.Array:
    """Rewrite the few masked values in Python: change(value, row_index) -> new value."""
    rows = np.flatnonzero(mask)
    if not len(rows):
        return values
    old = values.take(pa.array(rows)).to_pylist()
    new = [None if v is None else change(v, int(r)) for v, r in zip(old, rows, strict=True)]
    return pc.replace_with_mask(values, pa.array(mask), pa.array(new, STRING))


def _null_where(values: pa.Array, mask: np.ndarray) -> pa.Array:
    if not mask.any():
        return values
    return pc.if_else(pa.array(mask), pa.scalar(None, STRING), values)


class Identities:
    def __init__(self, population: Population, seed: int):
        self.pop = population
        n = population.n
        rng = static_rng(seed, "identity")
        self.key = {
            system: mix64(np.arange(n), seed * 1_000_003 + i).astype(np.int64) & (2**62 - 1)
            for i, system in enumerate(("crm", "shop"))
        }
        alt = population.alt_email
        self.profile = {
            "crm": {
                "name_typo": rng.random(n) < 0.03,
                "email_title": rng.random(n) < 0.18,
                "email_space": rng.random(n) < 0.03,
                "email_missing": rng.random(n) < 0.04,
                "email_domain_typo": rng.random(n) < 0.015,
                "use_alt": alt & (rng.random(n) < 0.3),
                "phone_style": rng.integers(0, 6, n),
                "phone_missing": rng.random(n) < 0.35,
                "street_short": rng.random(n) < 0.5,
                "address_typo": rng.random(n) < 0.02,
                "postcode_tight": rng.random(n) < 0.08,
            },
            "shop": {
                "name_typo": rng.random(n) < 0.015,
                "email_title": np.zeros(n, dtype=bool),  # the shop lower-cases addresses
                "email_space": np.zeros(n, dtype=bool),
                "email_missing": rng.random(n) < 0.05,
                "email_domain_typo": np.zeros(n, dtype=bool),
                "use_alt": alt & (rng.random(n) < 0.6),
                "phone_style": rng.integers(0, 6, n),
                "phone_missing": rng.random(n) < 0.45,
                "street_short": rng.random(n) < 0.1,
                "address_typo": rng.random(n) < 0.01,
                "postcode_tight": rng.random(n) < 0.05,
            },
        }
        self._esp: pa.Array | None = None

    # -- names -------------------------------------------------------------------------------

    def _typo_mask(self, people: np.ndarray, system: str | None, last: bool) -> np.ndarray:
        if system is None:
            return np.zeros(len(people), dtype=bool)
        odd = (self.key[system][people] & 1) == 1
        return self.profile[system]["name_typo"][people] & (odd != last)

    def first_names(self, people: np.ndarray, system: str | None = None) -> pa.Array:
        names = _FIRST.take(pa.array(self.pop.first_name[people]))
        keys = self.key[system][people] if system else None
        return _patch(
            names, self._typo_mask(people, system, False), lambda v, r: typo(v, int(keys[r]))
        )

    def last_names(self, people: np.ndarray, system: str | None = None) -> pa.Array:
        names = _LAST.take(pa.array(self.pop.last_name[people]))
        keys = self.key[system][people] if system else None
        return _patch(
            names, self._typo_mask(people, system, True), lambda v, r: typo(v, int(keys[r]) >> 3)
        )

    def author_names(self, people: np.ndarray, u: np.ndarray) -> pa.Array:
        """How a reviewer signs: full name, first name and initial, or first name only."""
        first, last = self.first_names(people), self.last_names(people)
        initial = _join(pc.utf8_slice_codeunits(last, 0, 1), ".")
        style = np.digitize(u, [0.45, 0.85])
        return pc.choose(
            pa.array(style), _join(first, " ", last), _join(first, " ", initial), first
        )

    # -- email -------------------------------------------------------------------------------

    def primary_emails(self, people: np.ndarray) -> pa.Array:
        """The person's own address (a family address for people in a shared household)."""
        pop = self.pop
        owner = pop.email_owner[people]
        first = _FIRST_SLUGS.take(pa.array(pop.first_name[owner]))
        last = _LAST_SLUGS.take(pa.array(pop.last_name[owner]))
        initial = pc.utf8_slice_codeunits(first, 0, 1)
        local = pc.choose(
            pa.array(pop.email_pattern[people].astype(np.int64)),
            _join(first, ".", last),
            _join(first, last),
            _join(initial, last),
            _join(first, "_", last),
            _join(last, ".", first),
            _join("the", last, "family"),
        )
        digits = pop.email_digits[people]
        local = pc.if_else(pa.array(digits >= 0), _join(local, _text(digits)), local)
        return _join(local, "@", _DOMAINS.take(pa.array(pop.email_domain[people])))

    def alternative_emails(self, people: np.ndarray) -> pa.Array:
        pop = self.pop
        first = _FIRST_SLUGS.take(pa.array(pop.first_name[people]))
        local = _join(
            pc.utf8_slice_codeunits(first, 0, 1),
            ".",
            _LAST_SLUGS.take(pa.array(pop.last_name[people])),
        )
        digits = pop.alt_digits[people]
        local = pc.if_else(pa.array(digits >= 0), _join(local, _text(digits)), local)
        address = _join(local, "@", _WORK_DOMAINS.take(pa.array(pop.alt_domain[people])))
        return _null_where(address, ~pop.alt_email[people])

    def emails(self, people: np.ndarray, system: str) -> pa.Array:
        """The address a system holds for each person (null where it has none)."""
        profile = {k: v[people] for k, v in self.profile[system].items()}
        typo_domain = profile["email_domain_typo"] & ~profile["use_alt"]
        primary = _patch(self.primary_emails(people), typo_domain, _misspell_domain)
        address = pc.if_else(pa.array(profile["use_alt"]), self.alternative_emails(people), primary)
        address = _patch(address, profile["email_title"], lambda v, r: title_email(v))
        keys = self.key[system][people]
        address = _patch(
            address, profile["email_space"], lambda v, r: f" {v}" if keys[r] & 2 else f"{v} "
        )
        return _null_where(address, profile["email_missing"])

    def esp_emails(self, people: np.ndarray) -> pa.Array:
        """CRM addresses as the email service provider stores them: trimmed, lower-case."""
        if self._esp is None:
            everyone = np.arange(self.pop.n)
            self._esp = pc.utf8_lower(pc.utf8_trim_whitespace(self.emails(everyone, "crm")))
        return self._esp.take(pa.array(np.asarray(people, dtype=np.int64)))

    def bounces(self, people: np.ndarray) -> np.ndarray:
        """Mail to the CRM address never arrives (a misspelt domain)."""
        crm = self.profile["crm"]
        return crm["email_domain_typo"][people] & ~crm["use_alt"][people]

    def typed_emails(self, people: np.ndarray, u: np.ndarray) -> pa.Array:
        """Addresses as typed into a form or mail client, one uniform draw per row."""
        alternative = self.alternative_emails(people)
        use_alt = (u < 0.35) & self.pop.alt_email[people]
        address = pc.if_else(pa.array(use_alt), alternative, self.primary_emails(people))
        address = _patch(address, u > 0.85, lambda v, r: title_email(v))
        return pc.if_else(pa.array((u > 0.8) & (u <= 0.85)), pc.utf8_upper(address), address)

    # -- phone and address -------------------------------------------------------------------

    def phones(self, people: np.ndarray, system: str) -> pa.Array:
        """UK mobile numbers as people and systems write them."""
        profile = self.profile[system]
        number = _join("7", pc.utf8_lpad(_text(self.pop.phone[people]), 9, "0"))
        head = pc.utf8_slice_codeunits(number, 0, 4)
        tail = pc.utf8_slice_codeunits(number, 4, 10)
        styled = pc.choose(
            pa.array(profile["phone_style"][people].astype(np.int64)),
            _join("+44 ", head, " ", tail),
            _join("0", number),
            _join("0", head, " ", tail),
            _join(
                "(0",
                head,
                ") ",
                pc.utf8_slice_codeunits(number, 4, 7),
                "-",
                pc.utf8_slice_codeunits(number, 7, 10),
            ),
            _join("44", number),
            _join("+44", number),
        )
        return _null_where(styled, profile["phone_missing"][people])

    def streets(self, people: np.ndarray, system: str) -> pa.Array:
        pop = self.pop
        profile = self.profile[system]
        names = _STREETS.take(pa.array(pop.street[people]))
        keys = self.key[system][people]
        names = _patch(names, profile["address_typo"][people], lambda v, r: typo(v, int(keys[r])))
        kind = pa.array(pop.street_type[people].astype(np.int64))
        suffix = pc.if_else(
            pa.array(profile["street_short"][people]),
            _STREET_SHORT.take(kind),
            _STREET_LONG.take(kind),
        )
        line = _join(_text(pop.house[people]), " ", names, " ", suffix)
        flat = pop.flat[people]
        return pc.if_else(pa.array(flat > 0), _join("Flat ", _text(flat), ", ", line), line)

    def cities(self, people: np.ndarray) -> pa.Array:
        return _CITY_NAMES.take(pa.array(self.pop.city[people]))

    def postcodes(self, people: np.ndarray, system: str) -> pa.Array:
        pop = self.pop
        city = pop.city[people].astype(np.int64)
        area = _AREAS.take(
            pa.array(_AREA_OFFSET[city] + pop.postcode_area[people] % _AREA_COUNT[city])
        )
        unit = pop.postcode_unit[people].astype(np.int64)
        outward = _join(area, _text(pop.postcode_district[people]))
        inward = _join(
            _text(pop.postcode_sector[people]),
            _UNIT_LETTERS.take(pa.array(unit % 20)),
            _UNIT_LETTERS.take(pa.array(unit // 20)),
        )
        tight = self.profile[system]["postcode_tight"][people]
        joined = _join(outward, inward)
        if system == "shop":
            joined = pc.utf8_lower(joined)
        return pc.if_else(pa.array(tight), joined, _join(outward, " ", inward))

    def interests(self, people: np.ndarray) -> pa.Array:
        return _INTEREST_TEXT.take(pa.array(self.pop.interests[people].astype(np.int64)))


def _misspell_domain(address: str, row: int) -> str:
    local, _, domain = address.partition("@")
    return f"{local}@{DOMAIN_TYPOS.get(domain, domain)}"
