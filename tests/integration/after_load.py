"""The Dagster automation the pipeline's nights are checked against: what the UI's
build_after_load sensor asks for after the latest load_landing_zone run, and the asset keys a
night scores (SCORING_KEYS), may retrain (TRAINING_KEYS, LINKAGE_MODEL among them) and never
rebuilds (DBT_DOCS), from the project's own definitions.
"""

import dagster as dg
from dagster import DagsterEventType, DagsterInstance

from orchestration import definitions
from orchestration.defs.automation import build_after_load
from orchestration.defs.ml import SCORING_ASSETS
from orchestration.planning import ON_CADENCE, rebuild_rule


def build_after_load_request(instance: DagsterInstance) -> dg.RunRequest | dg.SkipReason:
    """What build_after_load asks for after the latest run, a successful load_landing_zone."""
    [load] = instance.get_runs(limit=1)
    assert load.job_name == "load_landing_zone"
    [success] = instance.get_records_for_run(
        load.run_id, of_type=DagsterEventType.RUN_SUCCESS
    ).records
    context = dg.build_run_status_sensor_context(
        sensor_name="build_after_load",
        dagster_event=success.event_log_entry.dagster_event,
        dagster_instance=instance,
        dagster_run=load,
        repository_def=definitions.defs.get_repository_def(),
    )
    return build_after_load(context)


GRAPH = definitions.defs.resolve_asset_graph()
TRAINING_KEYS = {  # the ML models' and identity's probabilistic model
    key for key in GRAPH.get_all_asset_keys() if rebuild_rule(GRAPH, key) == ON_CADENCE
}
LINKAGE_MODEL = dg.AssetKey(["ml", "identity_linkage_model"])
SCORING_KEYS = {key for assets in SCORING_ASSETS for key in assets.keys}
DBT_DOCS = dg.AssetKey(["reports", "dbt_docs"])
