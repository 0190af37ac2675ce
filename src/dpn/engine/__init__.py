"""The transactional engine: state, write-ahead log, lock, executor, rollback, recovery.

The engine imports neither boto3 nor databricks-sdk; it talks to platforms only through
``dpn.providers.base.Provider``.
"""
