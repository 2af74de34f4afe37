"""A PNG of a layer's HTML report, as the README shows it (docs/report-big-layer.png).

    python tools/report_screenshot.py build/lambda/layer/layer.zip.html docs/report-big-layer.png

Opens the page in headless Chromium (Debian's ``chromium``) through the tests' DevTools driver
(tests/helpers/browser.py), screenshots the whole page 1,100 pixels wide, and reduces it to 64 colours
with ``pngquant`` (Debian's) when it is installed, which keeps the README's image small.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.helpers.browser import Browser, find_browser  # after the checkout is on the path

WIDTH = 1100


def main(report: Path, png: Path) -> None:
    chromium = find_browser()
    if chromium is None:
        sys.exit("no Chromium on PATH: `apt-get install -y chromium`")
    with tempfile.TemporaryDirectory() as profile, Browser(chromium, Path(profile), width=WIDTH) as browser:
        browser.screenshot(browser.open(report.resolve().as_uri()), png)
    if shutil.which("pngquant"):
        subprocess.run(["pngquant", "--force", "--skip-if-larger", "--strip", "--output", str(png), "64", str(png)],
                       check=False)
    print(f"{png}: {png.stat().st_size:,} bytes")


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
