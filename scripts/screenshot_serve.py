"""The README's screenshot of `tonertrack serve` in a browser (PNG), from the demo fleet.

Polls the demo fleet once into a scratch dir (`tonertrack demo --keep DIR --print`), serves it
read-only (`tonertrack serve --read-only`) and photographs the page in Debian's headless
Chromium, driven by selenium through Debian's chromedriver (tests/browser.py):

    .venv/bin/python scripts/screenshot_serve.py [--out docs/screenshots/serve-browser.png]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from browser import chromium, missing, start_session, wait_for_text  # noqa: E402
from servetools import free_port  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default=str(ROOT / "docs" / "screenshots" / "serve-browser.png"))
    parser.add_argument("--size", default="1180x640", help="browser window, WIDTHxHEIGHT pixels")
    args = parser.parse_args()
    if (why := missing()) is not None:
        print(f"screenshot_serve: {why}", file=sys.stderr)
        return 1
    width, height = (int(n) for n in args.size.split("x"))
    with tempfile.TemporaryDirectory() as tmp:
        tonertrack = [sys.executable, "-m", "tonertrack_tui"]
        subprocess.run([*tonertrack, "demo", "--keep", tmp, "--print"], check=True, capture_output=True)
        port = free_port()
        server = subprocess.Popen([*tonertrack, "--config", f"{tmp}/config.toml", "--data-dir", f"{tmp}/data",
                                   "serve", "--read-only", "--port", str(port)], stdout=subprocess.PIPE, text=True)
        driver = chromium(width, height)
        try:
            assert server.stdout is not None
            print(server.stdout.readline().strip())
            start_session(driver, f"http://127.0.0.1:{port}/")
            wait_for_text(driver, "READ-ONLY", "Error", "Warning", "OK")
            wait_for_text(driver, "RICOH-B2-RECEPTION")  # the rows are drawn, not only the summary
            driver.save_screenshot(args.out)
            print(f"wrote {args.out}")
        finally:
            driver.quit()
            server.terminate()
            server.wait(timeout=30)
    return 0


if __name__ == "__main__":
    sys.exit(main())
