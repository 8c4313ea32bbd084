"""The rule tables (data_quality/rules/) against what they name: raw tables that are delivered,
one event time per table judged on freshness, check names that identify a check in its suite.
Building every suite imports no GX, so these run in well under a second."""

from data_quality.checks import LAYERS
from data_quality.frames import EVENT_COLUMNS
from data_quality.suites import quality_suites
from sources.contract import LANDING_TABLES


def test_every_landing_table_has_raw_rules_and_every_raw_rule_a_landing_table():
    raw = {suite.table for suite in quality_suites("raw")}
    assert raw == {table.qualified_name for table in LANDING_TABLES}


def test_freshness_is_judged_on_exactly_the_tables_with_an_event_time():
    fresh = {
        suite.table
        for suite in quality_suites("raw")
        if any(check.name == "freshness" for check in suite.checks)
    }
    assert fresh == set(EVENT_COLUMNS)


def test_a_check_name_identifies_one_check_of_its_suite_and_each_frame_has_its_sql():
    for layer in LAYERS:
        for suite in quality_suites(layer):
            names = [check.name for check in suite.checks]
            assert len(names) == len(set(names)), suite.relation
            assert {check.frame for check in suite.checks} <= set(suite.frames), suite.relation


def test_derived_columns_are_added_to_the_rows_frame_once():
    [surveys] = [s for s in quality_suites("raw") if s.table == "surveys__responses"]
    assert surveys.frames["rows"].count("as survey_kind") == 1
    [leads] = [s for s in quality_suites("staging") if s.table == "stg_crm__leads"]
    assert "as has_valid_email" in leads.frames["rows"]
    assert "as contact_id_reference" in leads.frames["rows"]
