"""An unexpected error shows Kunde's own page, in both languages."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import path

from kunde.urls import urlpatterns as kunde_urls

pytestmark = pytest.mark.django_db


def _broken(request):
    raise RuntimeError("boom")


urlpatterns = [path("boom/", _broken), *kunde_urls]


@pytest.mark.urls(__name__)
def test_server_error_page(settings):
    settings.DEBUG = False
    response = Client(raise_request_exception=False).get("/boom/")
    assert response.status_code == 500
    page = response.content.decode()
    assert "Something went wrong" in page and "Bei uns ist ein Fehler aufgetreten" in page
