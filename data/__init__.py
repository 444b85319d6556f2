"""The bundled sample and its config, installed as reportgen.data (see reportgen/config.py)."""
