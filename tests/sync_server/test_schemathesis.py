"""Schemathesis against the live app's `/openapi.json`: no 5xx, every reply matches the schema.

The app runs on a real database (SQLite file, then PostgreSQL) with a unit, officers and the default
survey; the generated requests carry an enrolled device's token or an administrator's access token,
so the authenticated paths are exercised too, not only their 401s.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from api_helpers import Api, populate
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.core.result import Ok
from schemathesis.specs.openapi.checks import negative_data_rejection

from sync_server.app import create_app
from sync_server.db import make_engine
from sync_server.settings import Settings

# Kept small so the whole file runs in well under a minute on a shared 2-core machine.
MAX_EXAMPLES = 15


@pytest.fixture()
def live(server_db_url: str, tmp_path: Path) -> Iterator[tuple[Api, dict[str, str], dict[str, str]]]:
    """The app on a populated database, a device token (XA01) and an administrator's access token."""
    app_settings = Settings(
        database_url=server_db_url, data_dir=tmp_path / "server", secret_key="test-secret"
    )
    engine = make_engine(server_db_url)
    survey = populate(engine, tmp_path, app_settings)
    app = create_app(app_settings, engine=engine)
    with TestClient(app) as client:
        api = Api(client=client, engine=engine, settings=app_settings, survey=survey, tmp=tmp_path)
        api.add_user("quan_tri", "admin")
        yield api, api.enrol(), api.login("quan_tri")
    engine.dispose()


OPERATIONS = [
    ("GET", "/healthz"),
    ("POST", "/api/v1/devices/enrol"),
    ("GET", "/api/v1/device/config"),
    ("GET", "/api/v1/device/ledger"),
    ("GET", "/api/v1/device/photos/{staff_id}"),
    ("POST", "/api/v1/device/responses"),
    ("POST", "/api/v1/auth/token"),
    ("GET", "/api/v1/indices"),
]


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=str)
def test_api_conforms_to_its_schema(
    live: tuple[Api, dict[str, str], dict[str, str]], mode: GenerationMode
) -> None:
    api, device, admin = live
    schema = schemathesis.openapi.from_asgi("/openapi.json", api.client.app)
    operations = [result.ok() for result in schema.get_all_operations() if isinstance(result, Ok)]
    listed = {(op.method.upper(), op.path) for op in operations}
    assert listed == set(OPERATIONS), "a new endpoint: add it to OPERATIONS (and give it a token below)"
    for method, path in OPERATIONS:
        if mode is GenerationMode.NEGATIVE and path == "/healthz":
            continue  # nothing to make invalid
        check_operation(schema[path][method], mode, device, admin)


def check_operation(
    operation: Any, mode: GenerationMode, device: dict[str, str], admin: dict[str, str]
) -> None:
    """Run schemathesis' checks on generated requests to one operation, with the right token."""
    path = operation.path
    auth: dict[str, str] = {}
    if path.startswith("/api/v1/device/"):
        auth = device
    elif path == "/api/v1/indices":
        auth = admin
    fixed: dict[str, str] = {}
    excluded = []
    if path == "/api/v1/device/responses":
        if mode is GenerationMode.POSITIVE:
            # The schema cannot say "a gzip-encoded body"; schemathesis would send plain JSON labelled
            # gzip. Gzip bodies are tested in test_ingest.py and test_bad_input.py.
            fixed["content-encoding"] = "identity"
        else:
            # The protocol answers a schema-violating *item* with 200 and a `rejected` verdict for that
            # item (one bad item never rejects its neighbours): "invalid data gets a 4xx" does not apply.
            excluded.append(negative_data_rejection)

    @given(case=operation.as_strategy(generation_mode=mode, headers=fixed or None))
    @settings(
        max_examples=MAX_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None
    )
    def run(case: Any) -> None:
        case.call_and_validate(headers=auth, excluded_checks=excluded)

    run()
