"""The SSRF guard refuses internal addresses in every notation, and lets configured networks through."""

from __future__ import annotations

import pytest

from kunde.webhooks.guard import UnsafeURL, check_url

INTERNAL = [
    "http://127.0.0.1/", "http://localhost:8000/x", "http://10.1.2.3/", "http://172.16.0.1/", "http://192.168.1.1/",
    "http://169.254.169.254/latest/meta-data/", "http://0.0.0.0/", "http://[::1]/", "http://[::ffff:127.0.0.1]/",
    "http://[::ffff:7f00:1]/", "http://2130706433/", "http://0177.0.0.1/", "http://0x7f.0.0.1/", "http://127.1/",
    "http://100.64.0.1/", "http://[fe80::1]/", "http://[fd00::1]/", "http://224.0.0.1/",
]


@pytest.mark.parametrize("url", INTERNAL)
def test_internal_addresses_are_refused(url):
    with pytest.raises(UnsafeURL, match="internal address"):
        check_url(url)


@pytest.mark.parametrize(("url", "reason"), [
    ("ftp://93.184.216.34/", "Only http and https"),
    ("file:///etc/passwd", "Only http and https"),
    ("http://user:secret@93.184.216.34/", "Credentials"),
    ("http:///path", "no host"),
    ("http://93.184.216.34:99999/", "not a valid URL"),
])
def test_other_bad_urls_say_why(url, reason):
    with pytest.raises(UnsafeURL, match=reason):
        check_url(url)


def test_public_address_is_pinned_with_path_and_query():
    target = check_url("https://93.184.216.34:8443/hooks?a=1")
    assert (target.scheme, target.address, target.port, target.path) == ("https", "93.184.216.34", 8443, "/hooks?a=1")


def test_allowed_network_lets_an_internal_receiver_through(settings):
    settings.KUNDE_WEBHOOK_ALLOWED_NETWORKS = ["10.20.0.0/16"]
    assert check_url("http://10.20.3.4/erp").address == "10.20.3.4"
    with pytest.raises(UnsafeURL):
        check_url("http://10.21.0.1/")
