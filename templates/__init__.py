"""The report templates, installed as reportgen.templates (see reportgen/config.py)."""
