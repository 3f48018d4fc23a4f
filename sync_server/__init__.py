"""The sync server: devices, configuration, idempotent ingest, indices, dashboard and reports."""
