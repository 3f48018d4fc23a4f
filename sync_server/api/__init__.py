"""The HTTP API (`/api/v1/…`, `/healthz`): thin routers over ingest, queries and admin."""
