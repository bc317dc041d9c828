"""`make bench`: what a phone downloads, and Lighthouse's mobile scores.

Twice: as browsers get the app (its ES modules joined into one script, lmcself/web/scripts.py),
and as before that (`JS_MODULES`: nine modules, each preloaded, as developers load them); the
table ends with the difference. For each language, a fresh Chromium profile at phone size opens the one-page app (`/<lang>/app`,
every question page in one document) through a byte-counting proxy:
- first visit: the bytes the page itself received (compressed, headers included), without and
  with its web font, and all bytes on the wire (the service worker's precache included);
- repeat visit: the bytes the page received from the network (its service worker answers), and
  all bytes on the wire (the revalidations: 304s).
Then Lighthouse (the npm package pinned in bench/package.json) scores /en/app as a phone.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import tempfile
import threading
from pathlib import Path

from common import ROOT, free_port, start_server

from lmcself.web.i18n import LOCALES

CHROMIUM = os.environ.get("LMCSELF_CHROMIUM", "/usr/bin/chromium")
PHONE = {"width": 360, "height": 740}
PRECACHED = """async (path) => {
  for (const key of await caches.keys()) {
    if (await (await caches.open(key)).match(path)) return true;
  }
  return false;
}"""


class CountingProxy:
    """A TCP proxy on loopback that counts the bytes the server sends to the browser."""

    def __init__(self, target_port: int) -> None:
        self.target_port, self.port, self.received = target_port, free_port(), 0
        self.loop = asyncio.new_event_loop()
        threading.Thread(target=self.loop.run_forever, daemon=True).start()
        asyncio.run_coroutine_threadsafe(self._serve(), self.loop).result()

    async def _serve(self) -> None:
        self.server = await asyncio.start_server(self._client, "127.0.0.1", self.port)

    async def _client(self, reader, writer) -> None:
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target_port)

        async def pipe(src, dst, count: bool) -> None:
            try:
                while data := await src.read(65536):
                    if count:
                        self.received += len(data)
                    dst.write(data)
                    await dst.drain()
            except ConnectionError:
                pass
            finally:
                dst.close()

        await asyncio.gather(pipe(reader, up_writer, False), pipe(up_reader, writer, True))

    def reset(self) -> int:
        value, self.received = self.received, 0
        return value


def page_bytes(cdp_events: list[dict]) -> tuple[int, int]:
    """(bytes without fonts, font bytes) the page received from the network."""
    kinds, from_sw, other, fonts = {}, set(), 0, 0
    for method, params in cdp_events:
        if method == "Network.responseReceived":
            kinds[params["requestId"]] = params["type"]
            if params["response"].get("fromServiceWorker") or params["response"].get(
                "fromDiskCache"
            ):
                from_sw.add(params["requestId"])
        elif method == "Network.loadingFinished" and params["requestId"] not in from_sw:
            if kinds.get(params["requestId"]) == "Font":
                fonts += params["encodedDataLength"]
            else:
                other += params["encodedDataLength"]
    return other, fonts


def visit(context, url: str, path: str) -> tuple[int, int]:
    """Open the page; return its (bytes without fonts, font bytes) once its offline copy is kept."""
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    events: list = []
    for name in ("Network.responseReceived", "Network.loadingFinished"):
        cdp.on(name, lambda params, name=name: events.append((name, params)))
    cdp.send("Network.enable")
    page.goto(url, wait_until="networkidle")
    page.evaluate("document.fonts.ready.then(() => true)")
    page.wait_for_function(PRECACHED, arg=path)
    page.wait_for_timeout(300)
    result = page_bytes(events)
    page.close()
    return result


def measure_bytes(server_port: int, label: str) -> dict[str, tuple[int, int]]:
    """Print the table; return each language's (first visit all, wire all) in bytes."""
    from playwright.sync_api import sync_playwright

    proxy = CountingProxy(server_port)
    base = f"http://127.0.0.1:{proxy.port}"
    figures = {}
    print(
        "\nbytes for a first visit to the question pages (/<lang>/app), compressed, headers included"
        f" ({label})"
    )
    print(
        f"{'lang':<5} {'first, no font':>15} {'font':>9} {'first, all':>11} {'wire, all':>10}   {'repeat':>7} {'wire':>6}"
    )
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-background-networking"]
        )
        for code in LOCALES:
            context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
            proxy.reset()
            path = f"/{code}/app"
            other, fonts = visit(context, base + path, path)
            wire_first = proxy.reset()
            repeat_other, repeat_fonts = visit(context, base + path, path)
            wire_repeat = proxy.reset()
            print(
                f"{code:<5} {other / 1024:13.1f} KB {fonts / 1024:6.1f} KB {(other + fonts) / 1024:8.1f} KB"
                f" {wire_first / 1024:7.1f} KB   {(repeat_other + repeat_fonts):5d} B {wire_repeat:4d} B"
            )
            figures[code] = (other + fonts, wire_first)
            context.close()
        browser.close()
    print("(wire, all: every byte the server sent, the service worker's precache included;")
    print(
        " repeat: bytes the page took from the network on a second visit; wire: the 304 revalidations)"
    )
    return figures


def lighthouse(url: str) -> None:
    cli = ROOT / "bench" / "node_modules" / ".bin" / "lighthouse"
    if not cli.exists():
        print(f"\nLighthouse: not installed ({cli}); `make bench` installs it with npm")
        return
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "report.json"
        cmd = [
            str(cli),
            url,
            "--quiet",
            "--output=json",
            f"--output-path={report}",
            "--only-categories=performance,accessibility,best-practices",
            "--form-factor=mobile",
            "--chrome-flags=--headless=new --no-sandbox --disable-gpu --disable-background-networking",
        ]
        subprocess.run(cmd, check=True, env={**os.environ, "CHROME_PATH": CHROMIUM}, timeout=300)
        data = json.loads(report.read_text())
    scores = {k: round(v["score"] * 100) for k, v in data["categories"].items()}
    audits = data["audits"]
    print(
        f"\nLighthouse 12 mobile, {url.split('/', 3)[-1]}: performance {scores['performance']}, "
        f"accessibility {scores['accessibility']}, best practices {scores['best-practices']}"
    )
    print(
        f"  first contentful paint {audits['first-contentful-paint']['displayValue']}, "
        f"largest contentful paint {audits['largest-contentful-paint']['displayValue']}, "
        f"total blocking time {audits['total-blocking-time']['displayValue']}"
    )
    for category in data["categories"].values():
        for ref in category["auditRefs"]:
            audit = audits[ref["id"]]
            if ref["weight"] and audit["score"] is not None and audit["score"] < 1:
                print(f"  to look at ({category['title']}): {audit['title']}")


def compare(before: dict, after: dict) -> None:
    print("\nfirst visit, all bytes the page received / every byte on the wire: modules -> joined")
    for code in after:
        (page0, wire0), (page1, wire1) = before[code], after[code]
        print(
            f"{code:<5} {page0 / 1024:5.1f} -> {page1 / 1024:5.1f} KB ({(page1 - page0) / 1024:+.1f})"
            f"   {wire0 / 1024:5.1f} -> {wire1 / 1024:5.1f} KB ({(wire1 - wire0) / 1024:+.1f})"
        )


def main() -> None:
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for label, env in (
            ("before: nine modules, JS_MODULES", {"LMCSELF_JS_MODULES": "true"}),
            ("the joined script, as served", {}),
        ):
            proc, url = start_server(Path(tmp) / "bench.db", extra_env=env)
            try:
                results[label] = measure_bytes(int(url.rsplit(":", 1)[1]), label)
                if not env:
                    for code in ("en", "my"):
                        lighthouse(f"{url}/{code}/app")
            finally:
                proc.terminate()
                proc.wait(timeout=10)
    compare(*results.values())


if __name__ == "__main__":
    main()
