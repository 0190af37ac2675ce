"""dpn's Databricks emulator: clusters (API 2.1), jobs (API 2.2) and Unity Catalog
catalogs, schemas and tables (API 2.1), with the real service's paths, bodies, error
shapes and codes, so databricks-sdk raises its proper exception classes."""
