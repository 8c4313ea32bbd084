"""What a build has to do, from Dagster's own records: which assets are out of date with the
landing zone and the code, and which models are due for retraining and why. `binesh run` and the
build_after_load sensor (orchestration/defs/automation.py) both plan with it."""

import datetime as dt
import json

import dagster as dg

from ml.pipeline import cadence

RAW_GROUP = "raw"

# Tags Dagster writes on every materialization (docs: "Asset versioning and caching").
CODE_VERSION_TAG = "dagster/code_version"
DATA_VERSION_TAG = "dagster/data_version"
INPUT_DATA_VERSION_TAG = "dagster/input_data_version/"

# An asset tag for assets that are not rebuilt whenever their inputs change:
# - on_code_change: only its code makes it (the dbt docs site: the catalog's tables and columns
#   change only with the dbt code);
# - on_cadence: a model's training; it retrains when `retrain_reason` says so, while the scores
#   made with the current model follow the data every night.
REBUILDS_TAG = "binesh/rebuilds"
ON_CODE_CHANGE = "on_code_change"
ON_CADENCE = "on_cadence"


def rebuild_rule(graph, key: dg.AssetKey) -> str | None:
    """The asset's own REBUILDS_TAG rule, or None: rebuilt whenever its inputs change."""
    return graph.get(key).tags.get(REBUILDS_TAG)


# A run tag: why each model it retrains is retrained ({asset key: reason}, JSON), decided when
# the build is planned; the training asset records it with the artifact.
RETRAIN_REASONS_TAG = "binesh/retrain_reasons"


def buildable_assets(graph) -> list[dg.AssetKey]:
    """Every asset built from raw: all but the raw group, which loading materializes."""
    return sorted(
        key for key in graph.materializable_asset_keys if graph.get(key).group_name != RAW_GROUP
    )


def out_of_date_assets(graph, instance: dg.DagsterInstance) -> list[dg.AssetKey]:
    """The buildable assets a build has to materialize, by Dagster's own record of what each
    materialization was built from: never materialized, materialized by other code (a dbt
    model's SQL changed: its code version), or from other upstream data (the data version a
    parent has now is not the one recorded as its input); and everything downstream of those.

    An asset tagged REBUILDS_TAG is also rebuilt when never materialized or its code changed,
    but otherwise goes by its own rule: dbt docs never, a model's training when tonight's new
    data reaches it (it is downstream of an out-of-date asset) and `retrain_reason` finds it
    due; never on a night with nothing new, even when it became due since.

    An asset whose quality checks have not passed on its latest materialization is built again
    too (`unchecked_assets`): a run killed before its checks, or a blocking check not cleared.

    This is what the Dagster UI shows as "unsynced". Raw assets version their data by the files
    they hold (sources.load_log.table_state), so after a night with nothing new, nothing is.
    `graph` is the asset graph (Definitions.resolve_asset_graph(), RepositoryDefinition's).
    """
    keys = buildable_assets(graph)
    events = instance.get_latest_materialization_events(list(graph.materializable_asset_keys))
    tags = {key: event.asset_materialization.tags for key, event in events.items() if event}

    def due(key: dg.AssetKey) -> bool:
        """Whether an asset is due once new data reached it: always, but by its own rule."""
        rule = rebuild_rule(graph, key)
        return rule is None or (
            rule == ON_CADENCE and retrain_reason(graph, instance, key) is not None
        )

    def out_of_date(key: dg.AssetKey) -> bool:
        if key not in tags:
            return True
        recorded = tags[key]
        node = graph.get(key)
        if node.code_version is not None and recorded.get(CODE_VERSION_TAG) != node.code_version:
            return True
        if rebuild_rule(graph, key) is not None:
            return False  # only when tonight's new data reaches it (below), and it is due
        return any(
            parent in tags
            and tags[parent].get(DATA_VERSION_TAG)
            != recorded.get(INPUT_DATA_VERSION_TAG + parent.to_user_string())
            for parent in node.parent_keys
        )

    unchecked = unchecked_assets(graph, instance, keys, events)
    roots = [key for key in keys if out_of_date(key) or key in unchecked]
    if not roots:
        return []
    downstream = dg.AssetSelection.assets(*roots).downstream().resolve(graph)
    return sorted(key for key in set(keys) & downstream if key in roots or due(key))


def unchecked_assets(graph, instance: dg.DagsterInstance, keys, latest: dict) -> set:
    """Assets whose quality checks (data_quality/rules/) have not passed on their latest
    materialization: a run was killed between building a layer and checking it, or a blocking
    check failed and is not cleared yet. They are built again, so their checks run again (raw
    and staging checks judge the rows after their watermark: nothing is judged twice)."""
    from data_quality.suites import LAYERS, quality_suites

    quality = {
        dg.AssetCheckKey(dg.AssetKey(suite.asset_path), check.name)
        for layer in LAYERS
        for suite in quality_suites(layer)
        for check in suite.checks
    }
    checks = [check for key in keys for check in graph.get(key).check_keys if check in quality]
    executions = instance.event_log_storage.get_latest_asset_check_execution_by_key(checks)
    unchecked = set()
    for check in checks:
        materialization = latest.get(check.asset_key)
        if materialization is None:
            continue  # never built: out of date anyway
        record = executions.get(check)
        entry = record.event if record else None
        evaluation = (
            entry.dagster_event.event_specific_data if entry and entry.dagster_event else None
        )
        target = getattr(evaluation, "target_materialization_data", None)
        if target is None or target.run_id != materialization.run_id or failed_evaluation(record):
            unchecked.add(check.asset_key)
    return unchecked


def retrain_reason(
    graph, instance: dg.DagsterInstance, key: dg.AssetKey, now: dt.datetime | None = None
) -> str | None:
    """Why the model trained by asset `key` is due for retraining (ml/pipeline/cadence.py),
    from Dagster's record: its latest materialization (when, by which code, whether a model was
    fitted at all) and the checks on it and on the scores made with it since. A score-drift
    check counts from the first night after the training: the night a new model is trained,
    its scores differ from the old model's by design."""
    event = instance.get_latest_materialization_event(key)
    last = None
    if event is not None and event.asset_materialization is not None:
        node = graph.get(key)
        checked = [*node.check_keys]
        for child in node.child_keys:
            checked += graph.get(child).check_keys
        evaluations = instance.event_log_storage.get_latest_asset_check_execution_by_key(checked)
        failed = [
            f"{check.name} on {check.asset_key.to_user_string()}"
            for check, record in sorted(evaluations.items(), key=lambda item: item[0].name)
            if (evaluation := failed_evaluation(record)) is not None
            and evaluation.timestamp >= event.timestamp
            and (check.asset_key == key or record.run_id != event.run_id)
        ]
        materialization = event.asset_materialization
        last = cadence.LastTraining(
            trained_at=dt.datetime.fromtimestamp(event.timestamp, dt.UTC),
            code_changed=materialization.tags.get(CODE_VERSION_TAG) != node.code_version,
            skipped="why_no_model" in materialization.metadata,
            failed_checks=failed,
        )
    return cadence.retrain_reason(
        last, now or dt.datetime.now(dt.UTC), cadence.retrain_every_days()
    )


def retrain_tags(graph, instance: dg.DagsterInstance, keys) -> dict[str, str]:
    """The RETRAIN_REASONS_TAG of a build of `keys`: each due model's reason."""
    reasons = {
        key.to_user_string(): reason
        for key in keys
        if rebuild_rule(graph, key) == ON_CADENCE
        and (reason := retrain_reason(graph, instance, key)) is not None
    }
    return {RETRAIN_REASONS_TAG: json.dumps(reasons)} if reasons else {}


def failed_evaluation(record) -> dg.EventLogEntry | None:
    """The event of a check execution that ran and failed at severity ERROR, else None."""
    entry = record.event
    evaluation = entry.dagster_event.event_specific_data if entry and entry.dagster_event else None
    if isinstance(evaluation, dg.AssetCheckEvaluation) and not evaluation.passed:
        return entry if evaluation.severity == dg.AssetCheckSeverity.ERROR else None
    return None
