"""The parts of `python -m sitebuild.lighthouse` that can be checked without Node: its local
server sends what GitHub Pages sends (gzip for text, redirects for folders), and its summary
names the audits that fail."""

from __future__ import annotations

import gzip
import urllib.error
import urllib.request

from sitebuild import lighthouse


def fetch(url: str, gzip_ok: bool = True):
    request = urllib.request.Request(url, headers={"Accept-Encoding": "gzip"} if gzip_ok else {})
    return urllib.request.urlopen(request)


def test_server_compresses_text_like_github_pages(tmp_path):
    (tmp_path / "page").mkdir()
    (tmp_path / "page" / "index.html").write_text("<p>" + "x" * 5000, encoding="utf-8")
    (tmp_path / "image.png").write_bytes(b"\x89PNG" + bytes(100))
    httpd, base = lighthouse.serve(tmp_path)
    try:
        with fetch(base + "page/") as response:
            assert response.headers["Content-Encoding"] == "gzip"
            assert gzip.decompress(response.read()).decode() == "<p>" + "x" * 5000
        with fetch(base + "page/", gzip_ok=False) as response:
            assert response.headers["Content-Encoding"] is None and len(response.read()) == 5003
        with fetch(base + "image.png") as response:  # already compressed: sent as is
            assert response.headers["Content-Encoding"] is None
        with fetch(base + "page") as response:  # urllib follows the redirect to page/
            assert response.url == base + "page/"
    finally:
        httpd.shutdown()


def test_summary_lists_counted_audits_below_0_9():
    result = {
        "categories": {"performance": {"auditRefs": [
            {"id": "slow", "weight": 10}, {"id": "fine", "weight": 10}, {"id": "info", "weight": 0},
        ]}},
        "audits": {
            "slow": {"score": 0.5, "displayValue": "3.2 s"},
            "fine": {"score": 0.95},
            "info": {"score": 0.1},
        },
    }
    assert lighthouse.failing_audits(result) == ["slow 0.50 (3.2 s)"]
