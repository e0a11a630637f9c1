"""The OpenAPI document: committed, current, served, and browsable under the strict CSP."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders
from django.core.management import CommandError, call_command
from django.test import Client

from kunde.core.management.commands.openapi import REGENERATE, SNAPSHOT, openapi_document


@pytest.fixture(scope="module")
def document() -> dict:
    return json.loads(openapi_document())


def test_committed_snapshot_is_current():
    committed = SNAPSHOT.read_text(encoding="utf-8") if SNAPSHOT.exists() else ""
    assert committed == openapi_document(), f"docs/openapi.json is stale. Regenerate it: {REGENERATE}"


def test_check_command_fails_on_a_stale_file_and_write_fixes_it(tmp_path: Path):
    target = tmp_path / "openapi.json"
    target.write_text('{"openapi": "3.1.0"}\n', encoding="utf-8")
    with pytest.raises(CommandError, match="stale"):
        call_command("openapi", "--check", output=target)
    call_command("openapi", output=target)
    assert target.read_text(encoding="utf-8") == openapi_document()
    call_command("openapi", "--check", output=target)


@pytest.mark.django_db
def test_served_document_is_the_generated_one(document):
    response = Client().get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert response.json() == document


def test_every_operation_is_authenticated_and_documents_its_errors(document):
    operation_ids = []
    for path, methods in document["paths"].items():
        assert path.startswith("/api/v1/")
        for method, operation in methods.items():
            operation_ids.append(operation["operationId"])
            assert operation["security"] == [{"TokenAuth": []}, {"SessionAuth": []}], (method, path)
            errors = {code for code in operation["responses"] if code.startswith(("4", "5"))}
            assert {"401", "403"} <= errors, (method, path)
            for code in errors:
                schema = operation["responses"][code]["content"]["application/json"]["schema"]
                assert schema == {"$ref": "#/components/schemas/ErrorOut"}, (method, path, code)
            if method in ("put", "patch", "delete") or path.endswith(("/complete", "/reopen")):
                assert "412" in errors, (method, path)
    assert len(operation_ids) == len(set(operation_ids))
    assert document["components"]["securitySchemes"]["TokenAuth"] == {"type": "http", "scheme": "bearer"}


def test_lists_document_their_filters_and_posts_their_idempotency_key(document):
    def parameters(path: str, method: str) -> set[str]:
        return {p["name"] for p in document["paths"][path][method]["parameters"]}

    assert {"tag", "lifecycle_stage", "owner", "city", "sort", "cursor", "page_size"} <= parameters(
        "/api/v1/people", "get")
    assert {"industry", "size", "sort", "cursor"} <= parameters("/api/v1/organisations", "get")
    assert {"channel", "mood_min", "occurred_after", "sort"} <= parameters("/api/v1/activities", "get")
    assert "kind" not in parameters("/api/v1/tasks", "get")
    for path, methods in document["paths"].items():
        if "post" in methods and not path.endswith(("/restore", "/complete", "/reopen")):
            assert "Idempotency-Key" in parameters(path, "post"), path
    sort = next(p for p in document["paths"]["/api/v1/people"]["get"]["parameters"] if p["name"] == "sort")
    assert sort["schema"]["enum"] == ["-created", "-name", "-updated", "created", "name", "updated"]


def test_schema_names_follow_the_convention(document):
    names = set(document["components"]["schemas"])
    for model in ("Person", "Organisation", "Employment", "Activity", "CustomFieldDefinition"):
        assert {f"{model}Out", f"{model}Patch"} <= names
    assert {"PersonIn", "OrganisationIn", "EmploymentIn", "ActivityIn", "TaskIn", "ErrorOut"} <= names
    person = document["components"]["schemas"]["PersonOut"]["properties"]
    for field in ("emails", "phones", "addresses", "tags", "organisations", "custom_fields", "lifecycle_stage",
                  "owner", "version", "created_at", "updated_at"):
        assert field in person


@pytest.mark.django_db
def test_docs_page_loads_only_local_assets_under_the_strict_csp():
    response = Client().get("/api/v1/docs")
    assert response.status_code == 200
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    html = response.content.decode()
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert assets and not [a for a in assets if "//" in a]
    for asset in assets:
        assert finders.find(asset.removeprefix("/static/")), asset
    # The only inline <script> is a JSON data block, which CSP does not execute.
    inline = re.findall(r"<script(?![^>]*\bsrc=)([^>]*)>", html)
    assert inline == [' type="application/json" id="swagger-settings"']
    assert '"validatorUrl": null' in html


@pytest.mark.browser
def test_swagger_ui_renders_without_csp_violations(live_server):
    from playwright.sync_api import sync_playwright

    violations: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium")
        try:
            page = browser.new_page()
            page.on("console", lambda message: violations.append(message.text)
                    if "Content Security Policy" in message.text else None)
            page.goto(f"{live_server.url}/api/v1/docs")
            page.wait_for_selector(".opblock-summary-path", timeout=15000)
            paths = page.locator(".opblock-summary-path").all_inner_texts()
            title = page.locator(".info .title").inner_text()
        finally:
            browser.close()
    assert "/api/v1/people" in {p.strip() for p in paths}
    assert title.startswith("Kunde CRM API")
    assert violations == []
