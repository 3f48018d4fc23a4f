"""`/openapi.json` describes the API as it behaves: our error body, 400 instead of 422, the batch schema."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from sync_server.app import create_app
from sync_server.settings import Settings


def _schema(tmp_path: Path) -> dict[str, Any]:
    app = create_app(Settings(database_url=f"sqlite:///{tmp_path}/s.db", data_dir=tmp_path))
    with TestClient(app) as client:
        reply = client.get("/openapi.json")
    assert reply.status_code == 200
    schema: dict[str, Any] = reply.json()
    return schema


def test_every_api_error_is_declared_with_the_error_body(tmp_path: Path) -> None:
    schema = _schema(tmp_path)
    paths = schema["paths"]
    expected = {
        ("/api/v1/devices/enrol", "post"): {"201", "400", "403", "429"},
        ("/api/v1/device/config", "get"): {"200", "304", "401", "503"},
        ("/api/v1/device/responses", "post"): {"200", "400", "401", "413", "415", "429"},
        ("/api/v1/auth/token", "post"): {"200", "400", "401", "429"},
        ("/api/v1/indices", "get"): {"200", "400", "401", "403", "404"},
        ("/healthz", "get"): {"200", "503"},
    }
    for (path, method), codes in expected.items():
        responses = paths[path][method]["responses"]
        assert codes <= set(responses), (path, set(responses))
        assert "422" not in responses
        for code in codes - {"200", "201", "304"}:
            if path == "/healthz":
                continue  # 503 is {"status": "degraded", "detail": …}, as the protocol says
            ref = responses[code]["content"]["application/json"]["schema"]["$ref"]
            assert ref == "#/components/schemas/ErrorBody", (path, code)
    degraded = paths["/healthz"]["get"]["responses"]["503"]["content"]["application/json"]["schema"]["$ref"]
    assert degraded == "#/components/schemas/Degraded"
    assert "HTTPValidationError" not in schema["components"]["schemas"]
    assert set(schema["components"]["schemas"]["ErrorBody"]["required"]) == {"error", "detail"}


def test_the_upload_body_and_reply_are_described(tmp_path: Path) -> None:
    schema = _schema(tmp_path)
    upload = schema["paths"]["/api/v1/device/responses"]["post"]
    body_ref = upload["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    assert body_ref == "#/components/schemas/BatchIn"
    components = schema["components"]["schemas"]
    item = components["ResponseIn"]
    assert {"id", "seq", "survey_id", "survey_version", "answers", "lang"} <= set(item["required"])
    assert components["IndicesReply"]["properties"].keys() >= {"method", "unit", "from", "to", "rows"}
    assert schema["components"]["securitySchemes"]  # device bearer and OAuth2 password
