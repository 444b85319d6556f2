"""reportgen: turn a customer table into a segmentation report for managers and the CRM."""

from __future__ import annotations

__version__ = "0.1.0"
