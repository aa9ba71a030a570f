"""Public-data pipelines for KOL intelligence: streaming parsers, Parquet outputs with manifests, engines.

Imports no Django (checked by .ci/import_boundary.py): the app loads the Parquet outputs through its own loaders.
"""

__version__ = "0.1.0"
