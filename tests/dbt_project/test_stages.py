"""The dbt project's stages, from its manifest: every model is in exactly one, and none reads a
model of a later stage or a Python step's table before that step has run."""

import json

import pytest

from orchestration.defs.dbt import STAGES
from orchestration.project import dbt_project

STAGE_TAGS = [stage.removeprefix("tag:") for stage in STAGES]
# The stage from which a Python step's tables (dbt sources outside raw), by schema, can be read:
# identity resolution's and text analysis's after before_identity, the models' scores after
# features.
SOURCE_READABLE_FROM = {"identity": "after_identity", "text": "after_identity", "ml": "after_ml"}


@pytest.fixture(scope="module")
def manifest() -> dict:
    return json.loads(dbt_project.manifest_path.read_text())


def built_nodes(manifest: dict) -> dict[str, dict]:
    return {
        unique_id: node
        for unique_id, node in manifest["nodes"].items()
        if node["resource_type"] in ("model", "snapshot")
    }


def stage_of(node: dict) -> str:
    [stage] = [tag for tag in node["tags"] if tag in STAGE_TAGS]
    return stage


def test_every_model_and_snapshot_is_in_exactly_one_stage(manifest):
    for node in built_nodes(manifest).values():
        stages = [tag for tag in node["tags"] if tag in STAGE_TAGS]
        assert len(stages) == 1, f"{node['original_file_path']}: stage tags {stages}"


def test_no_model_reads_a_later_stage(manifest):
    nodes = built_nodes(manifest)
    for node in nodes.values():
        for parent in node["depends_on"]["nodes"]:
            if parent in nodes:
                own, theirs = stage_of(node), stage_of(nodes[parent])
                assert STAGE_TAGS.index(theirs) <= STAGE_TAGS.index(own), (
                    f"{node['name']} ({own}) reads {nodes[parent]['name']} ({theirs})"
                )


def test_python_tables_are_read_only_after_their_step(manifest):
    nodes = built_nodes(manifest)
    python_sources = {
        unique_id: source
        for unique_id, source in manifest["sources"].items()
        if source["schema"] != "raw"
    }
    assert {source["schema"] for source in python_sources.values()} <= set(SOURCE_READABLE_FROM)
    for node in nodes.values():
        for parent in node["depends_on"]["nodes"]:
            if parent in python_sources:
                readable_from = SOURCE_READABLE_FROM[python_sources[parent]["schema"]]
                assert STAGE_TAGS.index(stage_of(node)) >= STAGE_TAGS.index(readable_from), (
                    f"{node['name']} ({stage_of(node)}) reads {python_sources[parent]['name']}"
                )


def test_the_python_steps_tables_are_declared_in_one_sources_file(manifest):
    python_sources = [s for s in manifest["sources"].values() if s["schema"] != "raw"]
    assert {source["schema"] for source in python_sources} == set(SOURCE_READABLE_FROM)
    assert {source["original_file_path"] for source in python_sources} == {
        "models/_python__sources.yml"
    }
