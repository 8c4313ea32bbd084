"""The scan's two ways to find an identifier standing alone agree: the regular expression that
DuckDB runs over every text column (Traces.patterns) and the Aho-Corasick search that reads
files and redacts them (Traces.spans), on the edges where a match is easy to get wrong."""

import re

import duckdb

from privacy.artefacts import REDACTED, redact_text_files
from privacy.verify import traces_of
from sources.contract import EMAIL

TRACES = traces_of(
    {EMAIL: {"ann@x.co", "bo.li@mail.com"}, "crm__contacts": {"CRM-0100001"}}, {("Ann", "Lee")}
)
CASES = {
    "ann@x.co": 1,
    "to: ann@x.co.": 1,  # a full stop ends the sentence
    "ann@x.co, bo.li@mail.com;": 2,
    "joann@x.co": 0,  # inside a longer email
    "ann@x.co.uk": 0,  # a longer domain
    "ann@x.co_2 ann@x.co-b": 0,
    "mr.bo.li@mail.com": 0,
    "crm-0100001": 1,
    "crm-01000012 crm-0100001x": 0,  # a longer key
    '{"name": "ann lee", "key": "crm-0100001"}': 2,
    "joann lee": 0,
    "": 0,
}


def test_the_pattern_and_the_file_search_find_the_same_identifiers():
    [pattern] = TRACES.patterns
    with duckdb.connect() as con:
        for text, expected in CASES.items():
            assert len(TRACES.spans(text.encode())) == expected, text
            assert len(re.findall(pattern, text)) == expected, text
            [(matched,)] = con.execute("select regexp_matches(?, ?)", [text, pattern]).fetchall()
            assert matched == (expected > 0), text


def test_redaction_replaces_each_identifier_and_keeps_what_is_around_it(tmp_path):
    page = tmp_path / "page.html"
    page.write_bytes(b"<td>Ann@X.co</td><td>joann@x.co</td><p>Ann Lee, CRM-0100001.</p>")
    assert redact_text_files([tmp_path], TRACES.spans, skip=()) == [str(page)]
    erased = REDACTED.decode()
    assert page.read_text() == (f"<td>{erased}</td><td>joann@x.co</td><p>{erased}, {erased}.</p>")


def test_many_identifiers_are_split_into_several_expressions_that_find_each_one():
    emails = {f"person{i}@example.com" for i in range(1_234)}
    traces = traces_of({EMAIL: emails}, set())
    assert len(traces.patterns) == 3
    with duckdb.connect() as con:
        for email in ("person0@example.com", "person777@example.com", "person1233@example.com"):
            found = [
                con.execute("select regexp_matches(?, ?)", [f"to {email}.", p]).fetchall()[0][0]
                for p in traces.patterns
            ]
            assert found.count(True) == 1, email
