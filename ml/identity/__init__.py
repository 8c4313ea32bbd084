"""Identity resolution: every record from every source tied to the person behind it, with a
stable customer_id.

    from ml.identity import read_identity_inputs, resolve_identities, write_resolution
    previous = read_previous_resolution(con)                      # None before the first run
    resolution = resolve_identities(*read_identity_inputs(con), previous=previous)
    write_resolution(con, resolution)                             # identity.*
    evaluate_identity(con, "<landing>/_truth/identity.csv").format()

Modules: resolve (the pipeline), links (identifier and probabilistic links between records),
guards (shared identifiers, conflicting people), probabilistic (Splink linkage: normalise,
comparisons, training, threshold), clusters and graph (components, the cluster-size guard,
customers), ids (stable ids), evaluation (pairwise precision, recall, F1 against ground truth),
warehouse (read and write).
No Dagster here; orchestration/defs/identity.py runs it as an asset.
"""

from ml.identity.evaluation import IdentityEvaluation, PairwiseScores, evaluate_identity
from ml.identity.resolve import (
    IdentityResolution,
    PreviousResolution,
    ResolutionSettings,
    resolve_identities,
)
from ml.identity.warehouse import read_identity_inputs, read_previous_resolution, write_resolution

__all__ = [
    "IdentityEvaluation",
    "IdentityResolution",
    "PairwiseScores",
    "PreviousResolution",
    "ResolutionSettings",
    "evaluate_identity",
    "read_identity_inputs",
    "read_previous_resolution",
    "resolve_identities",
    "write_resolution",
]
