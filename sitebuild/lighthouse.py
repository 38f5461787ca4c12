"""Lighthouse on the built site (a release check, not a test: it needs Node and its scores depend
on the machine).

    mkdocs build && python -m sitebuild.lighthouse [--site-dir site] [--preset mobile|desktop] [--runs 3]
    python -m sitebuild.lighthouse --against /tmp/site-without --only initialization --runs 10

Serves the built site locally the way GitHub Pages does (gzip for text), runs Lighthouse from npm
(`npx lighthouse`, with Debian's Chromium through CHROME_PATH; it never downloads a browser) on one
page of each type in both languages, and prints a Markdown table of the four category scores and the main metrics per page,
with every audit that does not pass as an HTML comment under it. Reports go to `.cache/lighthouse/` (JSON).

With `--against OTHER_SITE`, each page is measured in both builds, interleaved run by run (the order
alternating, ABBA, so a machine that slows down or speeds up during the runs burdens both alike), and
the table shows each build's median and the median of the paired differences with their range:
how issue 16's "a page with an explorer within 3 points of the same page without" is checked.
"""

from __future__ import annotations

import argparse
import functools
import gzip
import http.server
import json
import mimetypes
import os
import shutil
import statistics
import subprocess
import sys
import threading
import urllib.parse
from pathlib import Path

from sitebuild import cache, chromium

LIGHTHOUSE = "lighthouse@12.8.2"
CATEGORIES = ["performance", "accessibility", "best-practices", "seo"]
PAGES = {  # page: its path, in English; the Chinese one is under zh/
    "home": "",
    "batch-norm": "batch-norm/",
    "edge-of-chaos": "edge-of-chaos/",  # the most math, and an explorer
    "losses-and-priors": "losses-and-priors/",
    "initialization": "initialization/",  # the explorers (issue 16): the largest data
    "attention-scaling": "attention-scaling/",
    "why-gaussian": "why-gaussian/",
    "standardization": "standardization/",
    "number-formats": "number-formats/",
    "notebook generative-models": "notebooks/generative-models/",
    "notebook edge-of-chaos": "notebooks/edge-of-chaos/",
}
COMPRESSED = ("text/", "application/javascript", "application/json", "image/svg+xml", "application/xml")
REPORTS = cache.ROOT / ".cache" / "lighthouse"
TIMEOUT = 300  # seconds per page
METRICS = {  # audit: its column
    "total-blocking-time": "TBT",
    "cumulative-layout-shift": "CLS",
    "largest-contentful-paint": "LCP",
    "total-byte-weight": "transferred",
}


class GzipHandler(http.server.SimpleHTTPRequestHandler):
    """Text files gzip-compressed, as GitHub Pages sends them (Lighthouse audits compression)."""

    def do_GET(self) -> None:
        path = Path(self.translate_path(self.path))
        if path.is_dir():
            if not urllib.parse.urlsplit(self.path).path.endswith("/"):
                return super().do_GET()  # the base class redirects /page to /page/
            path = path / "index.html"
        kind = mimetypes.guess_type(path.name)[0] or ""
        accepts_gzip = "gzip" in self.headers.get("Accept-Encoding", "")
        if not (path.is_file() and kind.startswith(COMPRESSED) and accepts_gzip):
            return super().do_GET()
        body = gzip.compress(path.read_bytes(), mtime=0)
        self.send_response(200)
        self.send_header("Content-Type", kind + ("; charset=utf-8" if kind.startswith("text/") else ""))
        self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "max-age=600")  # what GitHub Pages sends
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


def serve(site_dir: Path) -> tuple[http.server.ThreadingHTTPServer, str]:
    handler = functools.partial(GzipHandler, directory=str(site_dir))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd, f"http://127.0.0.1:{httpd.server_address[1]}/"


def run_lighthouse(url: str, report: Path, preset: str) -> dict:
    command = [
        "npx", "--yes", LIGHTHOUSE, url, "--quiet", "--output=json", f"--output-path={report}",
        f"--only-categories={','.join(CATEGORIES)}", f"--chrome-flags={' '.join(chromium.ARGS)}",
    ]
    if preset == "desktop":
        command.append("--preset=desktop")
    env = {**os.environ, "CHROME_PATH": os.environ.get("CHROME_PATH", chromium.find() or "")}
    # A notebook page's trace (thousands of elements) can keep Lighthouse busy for minutes.
    subprocess.run(command, check=True, env=env, capture_output=True, text=True, timeout=TIMEOUT)
    return json.loads(report.read_text(encoding="utf-8"))


def metric(result: dict, audit: str) -> str:
    if audit == "total-byte-weight":  # "Total size was 240 KiB"
        return f"{result['audits'][audit]['numericValue'] / 1024:.0f} KiB"
    return result["audits"][audit]["displayValue"]


def failing_audits(result: dict) -> list[str]:
    """Audits with a score below 0.9 that count in a category (Lighthouse's own 'failed' line)."""
    counted = {ref["id"] for cat in result["categories"].values() for ref in cat["auditRefs"] if ref["weight"] > 0}
    failing = []
    for audit_id in sorted(counted):
        audit = result["audits"][audit_id]
        if audit["score"] is not None and audit["score"] < 0.9:
            value = f" ({audit['displayValue']})" if audit.get("displayValue") else ""
            failing.append(f"{audit_id} {audit['score']:.2f}{value}")
    return failing


def performance(result: dict) -> int:
    return round(100 * result["categories"]["performance"]["score"])


def paired_summary(scores: list[tuple[int, int]]) -> dict:
    """Medians of two builds' scores, measured in pairs, and of the pairs' differences (A − B)."""
    differences = [a - b for a, b in scores]
    return {
        "a": statistics.median(a for a, _ in scores),
        "b": statistics.median(b for _, b in scores),
        "difference": statistics.median(differences),
        "low": min(differences),
        "high": max(differences),
        "pairs": len(scores),
    }


def compare(base: str, other: str, args: argparse.Namespace) -> None:
    """Each page in two builds, interleaved ABBA, with the paired differences of performance."""
    print(f"| page ({args.preset}) | pairs | performance, {args.site_dir} | performance, {args.against} "
          "| paired difference, median (range) | TBT, median of each |")
    print("|---" * 6 + "|")
    for kind, path in PAGES.items():
        if args.only and kind not in args.only:
            continue
        for lang in ("en", "zh"):
            page = path if lang == "en" else f"zh/{path}"
            scores, blocking = [], ([], [])
            for run in range(args.runs):
                order = [(0, base), (1, other)]
                if run % 2:
                    order.reverse()
                result = [None, None]
                for side, root in order:
                    report = REPORTS / f"compare-{kind.replace(' ', '-')}-{lang}-{args.preset}-{side}-{run}.json"
                    try:
                        result[side] = run_lighthouse(root + page, report, args.preset)
                    except subprocess.TimeoutExpired:
                        pass
                if None in result:
                    continue
                scores.append((performance(result[0]), performance(result[1])))
                for side in (0, 1):
                    blocking[side].append(result[side]["audits"]["total-blocking-time"]["numericValue"])
            if not scores:
                print(f"| {kind} ({lang}) | 0 | no result within {TIMEOUT} s |")
                continue
            summary = paired_summary(scores)
            tbt = " / ".join(f"{statistics.median(side):.0f} ms" for side in blocking)
            print(f"| {kind} ({lang}) | {summary['pairs']} | {summary['a']:g} | {summary['b']:g} "
                  f"| {summary['difference']:+g} ({summary['low']:+d} to {summary['high']:+d}) | {tbt} |", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--site-dir", default=str(cache.ROOT / "site"))
    parser.add_argument("--preset", choices=["mobile", "desktop"], default="mobile")
    parser.add_argument("--only", nargs="*", choices=list(PAGES), help="only these pages (both languages)")
    parser.add_argument("--runs", type=int, default=1, help="runs per page; the median one is shown")
    parser.add_argument("--against", help="another built site: measure each page in both, interleaved")
    args = parser.parse_args()
    site_dir = Path(args.site_dir)
    if not (site_dir / "index.html").exists():
        sys.exit(f"no built site in {site_dir}: run `mkdocs build` first")
    if not shutil.which("npx"):
        sys.exit("Lighthouse needs Node.js (npx): apt-get install npm")
    REPORTS.mkdir(parents=True, exist_ok=True)
    httpd, base = serve(site_dir)
    if args.against:
        other_httpd, other = serve(Path(args.against))
        try:
            compare(base, other, args)
        finally:
            httpd.shutdown()
            other_httpd.shutdown()
        return
    try:
        runs = f", median of {args.runs}" if args.runs > 1 else ""
        print(f"| page ({args.preset}{runs}) | " + " | ".join(CATEGORIES) + " | " + " | ".join(METRICS.values()) + " |")
        print("|---" * (1 + len(CATEGORIES) + len(METRICS)) + "|")
        for kind, path in PAGES.items():
            if args.only and kind not in args.only:
                continue
            for lang in ("en", "zh"):
                url = base + (path if lang == "en" else f"zh/{path}")
                name = f"{kind} ({lang})"
                results = []
                for run in range(args.runs):
                    report = REPORTS / f"{kind.replace(' ', '-')}-{lang}-{args.preset}-{run}.json"
                    try:
                        results.append(run_lighthouse(url, report, args.preset))
                    except subprocess.TimeoutExpired:
                        pass
                if not results:
                    print(f"| {name} | no result within {TIMEOUT} s |")
                    continue
                # The run with the median performance score stands for the page (Lighthouse's own
                # advice for a noisy machine); the range of the others is shown beside it.
                results.sort(key=lambda result: result["categories"]["performance"]["score"])
                result = results[len(results) // 2]
                scores = [str(round(100 * result["categories"][c]["score"])) for c in CATEGORIES]
                if len(results) > 1:
                    low, high = performance(results[0]), performance(results[-1])
                    scores[0] += f" ({low}–{high})"
                metrics = [metric(result, audit) for audit in METRICS]
                print(f"| {name} | " + " | ".join(scores + metrics) + " |", flush=True)
                for line in failing_audits(result):
                    print(f"<!-- {name} below 0.9: {line} -->", flush=True)
    finally:
        httpd.shutdown()


if __name__ == "__main__":
    main()
