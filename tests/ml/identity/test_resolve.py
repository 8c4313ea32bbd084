"""Identity resolution on hand-made records: who ends up together, under which id and rule, and
what the over-merge guards do with shared identifiers and oversized clusters."""

from __future__ import annotations

from datetime import date

import pyarrow as pa
import pytest

from ml.identity.guards import SharingSettings
from ml.identity.ids import customer_id_for
from ml.identity.resolve import PreviousResolution, ResolutionSettings, resolve_identities
from tests.ml.identity.records import Records


def by_record(clusters: pa.Table) -> dict[str, dict]:
    return {row["record_id"]: row for row in clusters.to_pylist()}


def one_person() -> Records:
    """Ann's CRM contact and lead, shop account, a ticket and a logged-in device."""
    records = Records()
    records.add("contacts", "C1", day=2, first_name="Ann", last_name="Lee", email="ann@x.org")
    records.add("leads", "L1", day=1, contact="C1", email="ann@x.org")
    records.add("customers", "100", day=5, first_name="Ann", last_name="Lee", email="ann@x.org")
    records.add("tickets", "T1", day=9, customer="100")
    records.add("events", "device-1", day=4, customer="100")
    return records


def test_key_links_and_a_shared_email_make_one_customer_anchored_on_the_earliest_profile():
    clusters = by_record(resolve_identities(*one_person().tables()).clusters)
    customer_ids = {row["customer_id"] for row in clusters.values()}
    assert len(customer_ids) == 1
    # the lead (day 1) is the earliest profile-like record: its key is the anchor
    assert customer_ids == {customer_id_for("crm/leads/L1")}
    assert clusters["crm/leads/L1"]["match_rule"] == "anchor"
    assert clusters["crm/leads/L1"]["match_confidence"] == 1.0
    assert clusters["crm/contacts/C1"]["match_rule"] == "lead_contact"
    assert clusters["support/tickets/T1"]["match_rule"] == "customer_reference"
    assert clusters["web/events/device-1"]["match_rule"] == "web_login"
    assert clusters["ecommerce/customers/100"]["match_rule"] in {"customer_reference", "email"}
    assert {row["cluster_records"] for row in clusters.values()} == {5}


def test_records_that_identify_nobody_stay_unresolved_and_are_not_customers():
    records = one_person()
    records.add("events", "stranger-device", day=3)
    records.add("tickets", "T-anonymous", day=3)
    resolution = resolve_identities(*records.tables())
    clusters = by_record(resolution.clusters)
    for record_id in ("web/events/stranger-device", "support/tickets/T-anonymous"):
        assert clusters[record_id]["customer_id"] is None
        assert clusters[record_id]["match_rule"] == "unresolved"
        assert clusters[record_id]["match_confidence"] is None
    assert resolution.summary()["customers"] == 1
    assert resolution.summary()["unresolved_records"] == 2


def test_a_ticket_with_only_an_email_is_a_customer_of_its_own():
    records = Records()
    records.add("tickets", "T9", email="someone@x.org")
    clusters = by_record(resolve_identities(*records.tables()).clusters)
    assert clusters["support/tickets/T9"]["customer_id"] == customer_id_for("support/tickets/T9")


def family() -> Records:
    """Two people of one household share the family address; their own records agree."""
    records = Records()
    shared = "thesmithfamily@x.org"
    records.add(
        "contacts",
        "C1",
        day=1,
        first_name="Anna",
        last_name="Smith",
        birth_date=date(1980, 5, 1),
        email=shared,
    )
    records.add("customers", "100", day=3, first_name="Anna", last_name="Smith", email=shared)
    records.add(
        "contacts",
        "C2",
        day=2,
        first_name="John",
        last_name="Smith",
        birth_date=date(1976, 2, 9),
        email=shared,
    )
    records.add("customers", "200", day=4, first_name="Jon", last_name="Smith", email=shared)
    # a lead without a name, tied by its contact_id to John: the guard sees it as John's
    records.add("leads", "L2", day=5, contact="C2", email=shared)
    # a ticket with nothing but the family address: it cannot say who wrote it
    records.add("tickets", "T1", day=6, email=shared)
    return records


def test_a_family_email_is_split_by_person_and_does_not_glue_the_family_together():
    resolution = resolve_identities(*family().tables())
    clusters = by_record(resolution.clusters)
    anna = clusters["crm/contacts/C1"]["customer_id"]
    john = clusters["crm/contacts/C2"]["customer_id"]
    assert anna != john
    assert clusters["ecommerce/customers/100"]["customer_id"] == anna
    assert clusters["ecommerce/customers/200"]["customer_id"] == john  # Jon ~ John: a typo
    assert clusters["crm/leads/L2"]["customer_id"] == john
    assert clusters["support/tickets/T1"]["customer_id"] is None
    assert clusters["support/tickets/T1"]["match_rule"] == "ambiguous"
    [shared] = resolution.shared_identifiers.to_pylist()
    assert shared["identifier_value"] == "thesmithfamily@x.org"
    assert shared["people"] == 2
    assert shared["action"] == "split by person"


def test_an_identifier_used_by_too_many_people_links_nobody():
    records = Records()
    for i, name in enumerate(["Amy", "Ben", "Cleo", "Dev", "Ewa", "Finn"]):
        records.add("contacts", f"C{i}", first_name=name, last_name="Jones", phone="+441000")
    resolution = resolve_identities(*records.tables())
    assert resolution.summary()["customers"] == 6
    [shared] = resolution.shared_identifiers.to_pylist()
    assert shared["people"] == 6
    assert shared["action"] == "ignored: too many people"


def test_an_oversized_cluster_is_cut_along_its_weakest_links_and_reported():
    records = Records()
    # three nameless CRM contacts share one phone number: nothing tells them apart, but three
    # profiles are more than one person has (cap 2 here)
    for i in range(3):
        records.add("contacts", f"C{i}", day=i + 1, phone="+442000")
        records.add("leads", f"L{i}", day=i + 1, contact=f"C{i}")
    settings = ResolutionSettings(max_profiles_per_cluster=2)
    resolution = resolve_identities(*records.tables(), settings)
    clusters = by_record(resolution.clusters)
    assert len({row["customer_id"] for row in clusters.values()}) == 3
    for i in range(3):  # key links are never cut
        assert (
            clusters[f"crm/leads/L{i}"]["customer_id"]
            == clusters[f"crm/contacts/C{i}"]["customer_id"]
        )
    [report] = resolution.oversized_clusters.to_pylist()
    assert report["profile_records"] == 3
    assert report["parts"] == 3
    assert report["action"] == "split"
    dropped = resolution.links.filter(pa.compute.invert(resolution.links["is_kept"]))
    assert set(dropped["match_rule"].to_pylist()) == {"phone"}
    assert set(dropped["dropped_by"].to_pylist()) == {"cluster_size"}


def test_customer_ids_are_stable_across_reruns_and_unrelated_new_records():
    first = resolve_identities(*family().tables())
    again = resolve_identities(*family().tables())
    assert first.clusters.equals(again.clusters)

    grown = family()
    grown.add("contacts", "C9", day=7, first_name="Zoe", last_name="Park", email="zoe@x.org")
    grown.add("customers", "900", day=8, first_name="Zoe", last_name="Park", email="zoe@x.org")
    grown.add("events", "device-9", day=8, customer="900")
    later = by_record(resolve_identities(*grown.tables()).clusters)
    for record_id, row in by_record(first.clusters).items():
        assert later[record_id]["customer_id"] == row["customer_id"], record_id


def test_a_new_record_that_joins_an_existing_customer_keeps_its_id():
    before = by_record(resolve_identities(*one_person().tables()).clusters)
    records = one_person()
    records.add("tickets", "T2", day=20, email="ann@x.org")
    after = by_record(resolve_identities(*records.tables()).clusters)
    assert after["support/tickets/T2"]["customer_id"] == before["crm/leads/L1"]["customer_id"]
    assert after["support/tickets/T2"]["match_rule"] == "email"


def previous(resolution) -> PreviousResolution:
    """What the warehouse keeps of a resolution for the next: its anchors (no linkage: these
    records are too few for the probabilistic model)."""
    clusters = resolution.clusters
    return PreviousResolution(clusters.filter(clusters["is_anchor"])["record_id"], None)


def test_a_customer_keeps_its_id_when_an_earlier_profile_joins_it():
    """A ticket-only customer who then opens a shop account, dated before the ticket: resolved
    from scratch the account would anchor the customer; resolved from the previous answer the
    ticket stays its anchor and the customer keeps its id. Two customers that a new record
    joins keep the id of the earlier anchor."""
    records = Records()
    records.add("tickets", "T1", day=9, email="ann@x.org")
    records.add("tickets", "T2", day=12, email="bob@x.org")
    first = resolve_identities(*records.tables())
    ann = by_record(first.clusters)["support/tickets/T1"]["customer_id"]
    bob = by_record(first.clusters)["support/tickets/T2"]["customer_id"]

    records.add("customers", "100", day=3, first_name="Ann", last_name="Lee", email="ann@x.org")
    from_scratch = by_record(resolve_identities(*records.tables()).clusters)
    assert from_scratch["ecommerce/customers/100"]["customer_id"] != ann
    grown = resolve_identities(*records.tables(), previous=previous(first))
    assert by_record(grown.clusters)["ecommerce/customers/100"]["customer_id"] == ann

    records.add("tickets", "T3", day=14, email="ann@x.org", phone="+44700")
    records.add("tickets", "T4", day=14, email="bob@x.org", phone="+44700")
    merged = by_record(resolve_identities(*records.tables(), previous=previous(grown)).clusters)
    assert {merged[f"support/tickets/T{i}"]["customer_id"] for i in (1, 2, 3, 4)} <= {ann, bob}


@pytest.mark.parametrize("max_people", [1])
def test_sharing_settings_are_honoured(max_people):
    settings = ResolutionSettings(sharing=SharingSettings(max_people=max_people))
    resolution = resolve_identities(*family().tables(), settings)
    [shared] = resolution.shared_identifiers.to_pylist()
    assert shared["action"] == "ignored: too many people"
    clusters = by_record(resolution.clusters)
    # the family email now links nobody: Anna's shop account stands alone
    assert (
        clusters["ecommerce/customers/100"]["customer_id"]
        != clusters["crm/contacts/C1"]["customer_id"]
    )


def test_no_records_give_empty_tables_not_a_failure():
    resolution = resolve_identities(*Records().tables())
    assert resolution.clusters.num_rows == 0
    assert resolution.links.num_rows == 0
    assert resolution.summary()["customers"] == 0
