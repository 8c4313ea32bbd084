"""Great Expectations: the GX suite of a frame's checks, and GX's results on one chunk of it.

GX's SQL datasource does not work on DuckDB, so frames are pandas DataFrames validated through one
ephemeral GX context per process (its import costs seconds; it happens on first use).
"""

from __future__ import annotations

import functools

import pandas as pd

from data_quality.checks import Check, Suite


@functools.cache
def gx_batch_definition():
    """One ephemeral GX context for the process: no files, no analytics, no progress bars."""
    import great_expectations as gx
    from great_expectations.data_context.types.base import (
        DataContextConfig,
        InMemoryStoreBackendDefaults,
        ProgressBarsConfig,
    )
    from great_expectations.execution_engine import pandas_execution_engine

    # GX fingerprints every pandas batch under this many bytes by hashing all its values, for a
    # batch marker nothing here reads: 40 % of the first raw checks of a million customers.
    pandas_execution_engine.HASH_THRESHOLD = 0

    context = gx.get_context(
        mode="ephemeral",
        project_config=DataContextConfig(
            analytics_enabled=False,
            progress_bars=ProgressBarsConfig(globally=False),
            store_backend_defaults=InMemoryStoreBackendDefaults(),
        ),
    )
    asset = context.data_sources.add_pandas("warehouse").add_dataframe_asset("frame")
    return asset.add_batch_definition_whole_dataframe("whole_frame")


def gx_suite(suite: Suite, checks: list[Check]):
    import great_expectations as gx
    import great_expectations.expectations as gxe
    from great_expectations.expectations.expectation import (
        ColumnMapExpectation,
        ColumnPairMapExpectation,
        MulticolumnMapExpectation,
    )

    # Chunks add up only for rules judged row by row; an aggregate (a row count, a mean) belongs
    # in the frame's SQL, computed by DuckDB over the whole table.
    row_by_row = (ColumnMapExpectation, ColumnPairMapExpectation, MulticolumnMapExpectation)
    gx_batch_definition()  # a suite needs the context to exist
    gx_suite = gx.ExpectationSuite(name=f"{suite.relation}.{checks[0].frame}")
    for check in checks:
        expectation_class = getattr(gxe, check.expectation)
        if not issubclass(expectation_class, row_by_row):
            raise TypeError(f"{check.name}: {check.expectation} is not judged row by row")
        gx_suite.add_expectation(expectation_class(**check.arguments, meta={"check": check.name}))
    return gx_suite


def validate_chunk(expectations, chunk: pd.DataFrame) -> dict[str, dict]:
    """GX's result for each check, by check name: its `result` dict, or the exception raised."""
    validation = (
        gx_batch_definition()
        .get_batch(batch_parameters={"dataframe": with_nanosecond_timestamps(chunk)})
        .validate(expectations, result_format={"result_format": "COMPLETE"})
    )
    results = {}
    for result in validation.results:
        name = result.expectation_config.meta["check"]
        error = gx_exception(result.exception_info or {})
        if error:
            results[name] = {"exception": error}
        else:
            results[name] = result.result
    return results


def with_nanosecond_timestamps(chunk: pd.DataFrame) -> pd.DataFrame:
    """The chunk with its timestamps at nanosecond resolution. DuckDB hands pandas microsecond
    timestamps, and GX compares a timestamp column as a whole only at nanoseconds: otherwise one
    Python value at a time, some 40 times slower (the first raw checks of a large business spent
    most of their time there). A column with a date outside the nanoseconds' range (1677-2262)
    is left as it is: GX still judges it, slowly. Failing values are shown from the chunk as
    read."""
    converted = {}
    for name, dtype in chunk.dtypes.items():
        if isinstance(dtype, pd.DatetimeTZDtype) and dtype.unit != "ns":
            target = pd.DatetimeTZDtype("ns", dtype.tz)
        elif dtype.kind == "M" and dtype != "M8[ns]":
            target = "M8[ns]"
        else:
            continue
        try:
            converted[name] = chunk[name].astype(target)
        except pd.errors.OutOfBoundsDatetime:
            pass
    return chunk.assign(**converted) if converted else chunk


def gx_exception(info: dict) -> str | None:
    """GX reports an error either flat or per metric it could not compute."""
    details = [info] if "raised_exception" in info else list(info.values())
    for detail in details:
        if isinstance(detail, dict) and detail.get("raised_exception"):
            return detail.get("exception_message") or "GX raised an error"
    return None
