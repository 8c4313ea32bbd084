"""Everything Dagster loads: each module of orchestration/defs contributes its own `defs`."""

import dagster as dg

from orchestration.defs import automation, dbt, identity, ml, quality, raw, reports, text
from orchestration.resources import build_resources

defs = dg.Definitions.merge(
    raw.defs,
    dbt.defs,
    identity.defs,
    text.defs,
    ml.defs,
    reports.defs,
    quality.defs,
    automation.defs,
    dg.Definitions(resources=build_resources()),
)
