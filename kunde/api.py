"""The REST API at /api/v1/: one NinjaAPI that mounts each app's routers."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest
from ninja import NinjaAPI, Router
from ninja.openapi.docs import Swagger

from kunde.activities.api import activities, tasks
from kunde.analytics import api as analytics_api
from kunde.audience import api as audience_api
from kunde.campaigns import api as campaigns_api
from kunde.commerce import api as commerce_api
from kunde.contacts.api import employments, organisations, people
from kunde.contracts import api as contracts_api
from kunde.core.api.auth import API_AUTH
from kunde.core.api.body import refuse_chunked_bodies
from kunde.core.api.changes import changes
from kunde.core.api.custom_fields import custom_fields
from kunde.core.api.errors import ErrorOut, install_error_handlers
from kunde.core.api.search import search
from kunde.customer_events import api as customer_events_api
from kunde.dedupe import api as dedupe_api
from kunde.ideas import api as ideas_api
from kunde.imports import api as imports_api
from kunde.knowledge import api as knowledge_api
from kunde.loyalty import api as loyalty_api
from kunde.mail import api as mail_api
from kunde.partners import api as partners_api
from kunde.retention import api as retention_api
from kunde.sales import api as sales_api
from kunde.service import api as service_api
from kunde.webhooks import api as webhooks_api

DESCRIPTION = """
Kunde's REST API. Everything the web UI does goes through the same services and the same
permission rules.

**Authentication.** Create a personal API token in the web UI (Settings → API tokens) and
send it as `Authorization: Bearer <token>`. A *read* token may only use GET; a *write*
token may change data. A logged-in browser session works too (with the `X-CSRFToken`
header on changes). Without either: 401.

**Errors.** Every error answers `{"detail": "...", "errors": [{"path": ["body", "emails", 1,
"email"], "message": "..."}]}`: 400 bad filter/sort/cursor, 401 not authenticated, 403 not
allowed, 404 missing *or not visible to you*, 411 chunked body without `Content-Length`,
412 stale `If-Match`/`version`, 413 body too large, 422 invalid input, 428 PUT without
`If-Match`.

**Lists** page by cursor: follow `next_cursor` / `previous_cursor` (`?cursor=…`); there is
no total count. Filters and sort orders are those of the list pages.

**Concurrency.** A single record's GET answers an `ETag` (its version). Send it back as
`If-Match` on PUT (required), PATCH and DELETE (optional), or send `"version"` in the body;
a stale one answers 412.

**Retries.** POST accepts an `Idempotency-Key` header: a retry with the same key and body
within 24 hours answers the first response again instead of creating twice.
"""


class KundeAPI(NinjaAPI):
    """NinjaAPI with short operation ids (the handler names, unique across the API)."""

    def get_openapi_operation_id(self, operation: Any) -> str:
        return str(operation.view_func.__name__)


api = KundeAPI(
    title="Kunde CRM API",
    version="1",
    description=DESCRIPTION.strip(),
    urls_namespace="api-v1",
    auth=API_AUTH,
    # Served from the vendored copy in django-ninja's static files ("ninja" in INSTALLED_APPS), so the
    # docs page works under the strict CSP; no validator badge fetched from swagger.io.
    docs=Swagger(settings={"validatorUrl": None, "persistAuthorization": False}),
)
install_error_handlers(api)
refuse_chunked_bodies(api)

api.add_router("/people", people)
api.add_router("/organisations", organisations)
api.add_router("/employments", employments)
api.add_router("/activities", activities)
api.add_router("/tasks", tasks)
api.add_router("/custom-fields", custom_fields)
api.add_router("/search", search)
api.add_router("/changes", changes)
for app_api in (mail_api, sales_api, commerce_api, service_api, knowledge_api, audience_api, campaigns_api,
                webhooks_api, imports_api, analytics_api, dedupe_api, contracts_api, loyalty_api,
                customer_events_api, partners_api, ideas_api, retention_api):
    for prefix, router in app_api.routers:
        api.add_router(prefix, router)

# Registered last, so it only sees paths no router knows: they answer 404 in the error schema too.
unknown = Router()


@unknown.api_operation(["GET", "POST", "PUT", "PATCH", "DELETE"], "/{path:path}", auth=None,
                       response={404: ErrorOut}, include_in_schema=False)
def unknown_path(request: HttpRequest, path: str) -> None:
    """Answer 404 for any path below /api/v1/ that no endpoint serves."""
    raise Http404(path)


api.add_router("", unknown)
