"""reportgen: turn a customer table into a segmentation report for managers and the CRM.

The Python API, for notebooks and scripts::

    import reportgen

    result = reportgen.segment("customers.csv", features=["Income", "Spending"])
    result.k, result.profiles, result.segments
    result.save("output/2026-11")

``segment``, ``Result`` and ``read_table`` are imported on first use, so that the
command line (``reportgen --help``) starts without loading pandas.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from reportgen.errors import DataError, EmailError, ReportgenError, SettingsError

__version__ = "0.1.0"

if TYPE_CHECKING:
    from pathlib import Path

    from reportgen.api import Result, read_table, segment

    SAMPLE_DATA: Path
    SAMPLE_CONFIG: Path

__all__ = [
    "SAMPLE_CONFIG",
    "SAMPLE_DATA",
    "DataError",
    "EmailError",
    "ReportgenError",
    "Result",
    "SettingsError",
    "__version__",
    "read_table",
    "segment",
]

_LAZY = {
    "segment": "reportgen.api",
    "Result": "reportgen.api",
    "read_table": "reportgen.api",
    "SAMPLE_DATA": "reportgen.config",
    "SAMPLE_CONFIG": "reportgen.config",
}


def __getattr__(name: str) -> Any:
    """Import the API on first use (PEP 562)."""
    if name not in _LAZY:
        raise AttributeError(f"module 'reportgen' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(_LAZY[name]), name)
