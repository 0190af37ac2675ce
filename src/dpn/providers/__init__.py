"""Platform providers: one per resource type, behind ``dpn.providers.base.Provider``.

Only ``dpn.providers.aws`` imports boto3 and only ``dpn.providers.databricks`` imports
databricks-sdk; both are imported lazily by ``dpn.providers.registry``.
"""
