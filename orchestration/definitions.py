"""Everything Dagster loads: the modules of orchestration/defs, bound to the resources."""

import dagster as dg

from orchestration import defs as defs_package
from orchestration.resources import build_resources

defs = dg.load_definitions_from_package_module(defs_package, resources=build_resources())
