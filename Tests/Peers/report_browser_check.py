#!/usr/bin/env python3
"""Opens a `reins test` HTML report in headless Chromium (Debian's chromium and chromium-driver,
driven by selenium) and checks what a reader would see.

usage: report_browser_check.py REPORT.html SCREENSHOT.png MIN_DRAWN_SVGS

Checks, each reported in the JSON printed on standard output:
- the browser console holds no SEVERE entry while the report loads;
- the page asked for nothing but itself: no request in Chromium's network log and no resource
  timing entry besides the report's own file:// URL and data: URLs;
- at least MIN_DRAWN_SVGS inline SVG figures have a size on the page and drawn marks
  (rect, polyline, circle with a non-empty box);
- a full-page screenshot (saved to SCREENSHOT.png) is not blank: decoded here with zlib and
  struct, it has many distinct colours, ink on a fair part of the page, and the verdict's
  colours.
Two canaries then prove the console and network checks can see something: a console.error and
a fetch to a closed loopback port must both show up in the logs.

Exit status: 0 all checks passed, 1 a check failed, 2 no browser (install chromium and
chromium-driver from Debian, selenium from pip).
"""
import json
import os
import shutil
import struct
import sys
import tempfile
import time
import zlib

FAIL_RED = (0xCF, 0x22, 0x2E)
PASS_GREEN = (0x1A, 0x7F, 0x37)


def find_browser():
    try:
        from selenium import webdriver  # noqa: F401
    except ImportError:
        return None, None, "python3 has no selenium: python3 -m pip install -r Tests/requirements.txt"
    browser = next((p for p in (shutil.which(n) for n in ("chromium", "chromium-browser")) if p), None)
    driver = shutil.which("chromedriver") or ("/usr/bin/chromedriver" if os.path.exists("/usr/bin/chromedriver") else None)
    if browser is None or driver is None:
        missing = ", ".join(n for n, p in (("chromium", browser), ("chromedriver", driver)) if p is None)
        return None, None, f"headless Chromium not found ({missing} missing): apt-get install -y chromium chromium-driver"
    return browser, driver, None


def start(browser, driver_path, profile):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = browser
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--window-size=1280,1000", "--hide-scrollbars", "--force-device-scale-factor=1",
                     "--no-first-run", "--no-default-browser-check", "--disable-background-networking",
                     "--disable-component-update", "--disable-sync", f"--user-data-dir={profile}"):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    # An explicit driver path: selenium never looks for (or downloads) a driver of its own.
    driver = webdriver.Chrome(service=Service(executable_path=driver_path), options=options)
    driver.set_page_load_timeout(60)
    driver.set_script_timeout(30)
    return driver


def requests_sent(driver):
    """(url, document url) of each request in the network log since the last call."""
    sent = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"]).get("message", {})
        if message.get("method") == "Network.requestWillBeSent":
            sent.append((message["params"]["request"]["url"], message["params"].get("documentURL", "")))
    return sent


def foreign_requests(sent, page_url):
    """Requests the report made for anything but itself, and any request off the machine at all
    (the browser's own pages, such as its new-tab page, load chrome:// resources: not the report's)."""
    network = ("http:", "https:", "ws:", "wss:", "ftp:")
    return [url for url, document in sent
            if (document == page_url and url != page_url and not url.startswith("data:")) or url.startswith(network)]


def png_pixels(data):
    """Decodes an 8-bit RGB or RGBA, non-interlaced PNG (what Chromium writes) into (width, height, rows of RGB tuples)."""
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG")
    position, idat = 8, b""
    width = height = depth = colour = interlace = None
    while position < len(data):
        length, kind = struct.unpack(">I4s", data[position:position + 8])
        chunk = data[position + 8:position + 8 + length]
        position += 12 + length
        if kind == b"IHDR":
            width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", chunk)
        elif kind == b"IDAT":
            idat += chunk
        elif kind == b"IEND":
            break
    if depth != 8 or colour not in (2, 6) or interlace != 0:
        raise ValueError(f"unsupported PNG: depth {depth}, colour type {colour}, interlace {interlace}")
    channels = 3 if colour == 2 else 4
    stride = width * channels
    raw = zlib.decompress(idat)
    previous = bytearray(stride)
    rows = []
    for y in range(height):
        start = y * (stride + 1)
        kind = raw[start]
        line = bytearray(raw[start + 1:start + 1 + stride])
        if kind == 1:
            for i in range(channels, stride):
                line[i] = (line[i] + line[i - channels]) & 0xFF
        elif kind == 2:
            for i in range(stride):
                line[i] = (line[i] + previous[i]) & 0xFF
        elif kind == 3:
            for i in range(stride):
                left = line[i - channels] if i >= channels else 0
                line[i] = (line[i] + ((left + previous[i]) >> 1)) & 0xFF
        elif kind == 4:
            for i in range(stride):
                a = line[i - channels] if i >= channels else 0
                b = previous[i]
                c = previous[i - channels] if i >= channels else 0
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                predictor = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
                line[i] = (line[i] + predictor) & 0xFF
        elif kind != 0:
            raise ValueError(f"bad PNG filter {kind} on row {y}")
        rows.append([tuple(line[i:i + 3]) for i in range(0, stride, channels)])
        previous = line
    return width, height, rows


def near(pixel, colour, tolerance=40):
    return all(abs(a - b) <= tolerance for a, b in zip(pixel, colour))


def screenshot_stats(png):
    width, height, rows = png_pixels(png)
    colours, ink, red, green = set(), 0, 0, 0
    for row in rows:
        for pixel in row:
            colours.add(pixel)
            if min(pixel) < 235:
                ink += 1
            if near(pixel, FAIL_RED):
                red += 1
            elif near(pixel, PASS_GREEN):
                green += 1
    total = max(width * height, 1)
    return {"width": width, "height": height, "distinct_colours": len(colours), "ink_fraction": ink / total,
            "fail_red_pixels": red, "pass_green_pixels": green}


SVG_SURVEY = """
return Array.from(document.querySelectorAll('svg')).map(function (svg) {
  var box = svg.getBoundingClientRect();
  var drawn = 0;
  svg.querySelectorAll('rect,polyline,circle,path').forEach(function (mark) {
    var b = mark.getBBox();
    if (b.width > 0 || b.height > 0) drawn += 1;
  });
  var title = svg.querySelector('title');
  return {title: title ? title.textContent : '', width: box.width, height: box.height, drawn: drawn,
          polylines: svg.querySelectorAll('polyline').length};
});
"""


def main():
    if len(sys.argv) != 4:
        print(__doc__, file=sys.stderr)
        return 2
    report, screenshot, minimum_svgs = os.path.abspath(sys.argv[1]), sys.argv[2], int(sys.argv[3])
    browser, driver_path, problem = find_browser()
    if problem:
        print(problem, file=sys.stderr)
        return 2
    profile = tempfile.mkdtemp(prefix="reins-chromium-")
    failures, result = [], {}
    driver = None
    try:
        driver = start(browser, driver_path, profile)
        result["browser"] = driver.capabilities.get("browserVersion", "")
        page_url = "file://" + report
        requests_sent(driver)  # what the browser did before the report opened
        driver.get(page_url)
        deadline = time.time() + 30
        while driver.execute_script("return document.readyState") != "complete" and time.time() < deadline:
            time.sleep(0.1)

        console = driver.get_log("browser")
        result["console"] = console
        severe = [entry for entry in console if entry.get("level") == "SEVERE"]
        if severe:
            failures.append(f"{len(severe)} SEVERE console entries: {severe}")

        foreign = foreign_requests(requests_sent(driver), page_url)
        resources = driver.execute_script("return performance.getEntriesByType('resource').map(function (e) { return e.name; })")
        foreign += [url for url in resources if not url.startswith("data:")]
        result["foreign_requests"] = foreign
        if foreign:
            failures.append(f"the report asked for other resources: {foreign}")

        svgs = driver.execute_script(SVG_SURVEY)
        drawn = [svg for svg in svgs if svg["drawn"] > 0 and svg["width"] > 0 and svg["height"] > 0]
        result["svgs"] = len(svgs)
        result["drawn_svgs"] = len(drawn)
        result["polylines"] = sum(svg["polylines"] for svg in svgs)
        result["svg_titles"] = [svg["title"] for svg in drawn]
        if len(drawn) < minimum_svgs:
            failures.append(f"only {len(drawn)} of {len(svgs)} SVG figures have drawn content; expected at least {minimum_svgs}")

        height = int(driver.execute_script("return Math.ceil(document.documentElement.scrollHeight)"))
        result["page_height"] = height
        full = driver.execute_cdp_cmd("Page.captureScreenshot", {
            "format": "png", "captureBeyondViewport": True,
            "clip": {"x": 0, "y": 0, "width": 1280, "height": height, "scale": 1}})
        import base64
        with open(screenshot, "wb") as file:
            file.write(base64.b64decode(full["data"]))
        # A quarter-scale copy keeps the pure-Python PNG decoding to a second or two.
        small = driver.execute_cdp_cmd("Page.captureScreenshot", {
            "format": "png", "captureBeyondViewport": True,
            "clip": {"x": 0, "y": 0, "width": 1280, "height": height, "scale": 0.25}})
        stats = screenshot_stats(base64.b64decode(small["data"]))
        result["screenshot"] = stats
        if stats["distinct_colours"] < 40:
            failures.append(f"the screenshot has only {stats['distinct_colours']} distinct colours: blank or nearly so")
        if stats["ink_fraction"] < 0.03:
            failures.append(f"only {stats['ink_fraction']:.3%} of the screenshot is not background")
        if stats["fail_red_pixels"] < 50 or stats["pass_green_pixels"] < 20:
            failures.append(f"the verdict colours are missing: {stats['fail_red_pixels']} red, {stats['pass_green_pixels']} green pixels")

        # Canaries: the same checks must see a console error and a request the page makes on purpose.
        driver.execute_script("console.error('reins-canary'); fetch('http://127.0.0.1:9/reins-canary').catch(function () {});")
        time.sleep(1)
        canary_console = any("reins-canary" in entry.get("message", "") and entry.get("level") == "SEVERE"
                             for entry in driver.get_log("browser"))
        canary_request = any("reins-canary" in url for url in foreign_requests(requests_sent(driver), page_url))
        result["canaries"] = {"console": canary_console, "network": canary_request}
        if not (canary_console and canary_request):
            failures.append(f"the console or network log sees nothing (canaries: console {canary_console}, network {canary_request})")
    finally:
        if driver is not None:
            driver.quit()
        shutil.rmtree(profile, ignore_errors=True)
    result["failures"] = failures
    print(json.dumps(result))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
