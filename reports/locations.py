"""Where published artefacts live: beside the warehouse file, so that one data folder holds a
deployment's warehouse and everything made from it (the demo: data/bi, data/docs/dbt)."""

from pathlib import Path


def audiences_directory(warehouse: Path) -> Path:
    """The marketing audiences: <audience>__<channel>.csv and .parquet, manifest.json
    (reports/audiences.py)."""
    return warehouse.resolve().parent / "audiences"


def bi_directory(warehouse: Path) -> Path:
    """The BI snapshot: binesh_bi.duckdb and parquet/ (reports/bi_snapshot.py)."""
    return warehouse.resolve().parent / "bi"


def dbt_docs_directory(warehouse: Path) -> Path:
    """dbt's documentation site as one offline page, index.html (reports/dbt_docs.py)."""
    return warehouse.resolve().parent / "docs" / "dbt"


def insight_report_directory(warehouse: Path) -> Path:
    """The insight report: latest.html and runs/<run_id>.html (reports/insight/)."""
    return warehouse.resolve().parent / "reports" / "insight"


def quality_report_directory(warehouse: Path) -> Path:
    """The data-quality report: latest.html, runs/ and quarantine/ (data_quality/report.py)."""
    return warehouse.resolve().parent / "reports" / "quality"


def models_directory(warehouse: Path) -> Path:
    """Trained models: <model>/<version>/ (ml/pipeline/artifacts.py)."""
    return warehouse.resolve().parent / "models"


def logs_directory(warehouse: Path) -> Path:
    """One log file per `binesh run` (orchestration/cli/run.py)."""
    return warehouse.resolve().parent / "logs"
