"""The public marts: the models in schema `marts` whose dbt contract is enforced.

docs/warehouse.md lists them; BI tools and users query them, so each is described column by
column and published in the BI snapshot. Other models in `marts` (the ML feature marts) are
inputs of Python assets, not a contract.
"""

from typing import Any

PUBLIC_SCHEMA = "marts"


def public_marts(manifest: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Table name -> manifest node of every public mart, by name."""
    marts = {
        node["name"]: node
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model"
        and node["schema"] == PUBLIC_SCHEMA
        and node["config"].get("contract", {}).get("enforced")
    }
    return dict(sorted(marts.items()))
