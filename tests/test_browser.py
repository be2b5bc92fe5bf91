"""The HTML report in a real browser: Debian's headless chromium loads it
with no console errors, draws the diagram (a screenshot that is not blank,
with the diagram's own colours in it), and reads at 1280 px wide (nothing
wider than the window).

CI installs chromium (scripts/setup.sh).  Without it these tests are skipped
on a developer's machine, but never when VERIFY_REQUIRE_BROWSER is set (or
CI is): then a missing browser is a failure.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import struct
import subprocess
import zlib
from pathlib import Path

import pytest

from verify.cli import main

ROOT = Path(__file__).resolve().parent.parent
DESIGNS = ROOT / "designs"
WIDTH = 1280
#: The fill of a decision body in the diagram (verify.render.BODY_STYLE).
BODY_FILL = (0xFF, 0xFF, 0xB3)


def _browser() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        found = shutil.which(name)
        if found:
            return found
    return None


BROWSER = _browser()
_REQUIRED = bool(os.environ.get("VERIFY_REQUIRE_BROWSER") or os.environ.get("CI"))

if BROWSER is None and not _REQUIRED:
    pytest.skip("chromium is not installed (scripts/setup.sh installs it; CI requires it)", allow_module_level=True)


@pytest.fixture(scope="module")
def browser() -> str:
    assert BROWSER is not None, "chromium is required (VERIFY_REQUIRE_BROWSER or CI is set) but not installed"
    return BROWSER


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if shutil.which("dot") is None:
        pytest.fail("Graphviz 'dot' is needed to draw the diagrams of the HTML report")
    out = tmp_path_factory.mktemp("report") / "report.html"
    err = io.StringIO()
    status = main(["report", str(DESIGNS), "--format", "html", "-o", str(out), "-q"], io.StringIO(), err)
    assert status in (0, 1), err.getvalue()
    return out


def chromium(browser: str, tmp: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """One headless run; its console messages are on stderr (``INFO:CONSOLE``)."""
    profile = tmp / "profile"
    profile.mkdir(exist_ok=True)
    done = subprocess.run(
        [browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
         "--no-first-run", "--hide-scrollbars", f"--user-data-dir={profile}", "--enable-logging=stderr",
         "--v=0", f"--window-size={WIDTH},1600", *args],
        capture_output=True, text=True, timeout=180, cwd=tmp)
    assert done.returncode == 0, done.stderr[-2000:]
    return done


def console(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if ":CONSOLE" in line]


def test_the_harness_sees_console_errors(browser, tmp_path):
    """A page that logs an error and throws is caught: the next test's
    'no console errors' could fail."""
    page = tmp_path / "bad.html"
    page.write_text("<!DOCTYPE html><title>t</title><script>console.error('boom-1');</script>"
                    "<script>undefinedFunction()</script>")
    done = chromium(browser, tmp_path, "--dump-dom", page.as_uri())
    lines = console(done.stderr)
    assert any("boom-1" in line for line in lines)
    assert any("undefinedFunction" in line for line in lines)


def test_the_report_loads_without_console_errors(browser, report, tmp_path):
    done = chromium(browser, tmp_path, "--dump-dom", report.as_uri())
    assert console(done.stderr) == []
    dom = done.stdout
    assert "<h1>Verification report</h1>" in dom
    assert dom.count('<svg class="diagram"') >= len(list(DESIGNS.glob("*.yaml")))


def test_the_report_is_self_contained(report):
    page = report.read_text(encoding="utf-8")
    assert not re.search(r"""(?:src|href)\s*=\s*["'](?!#)""", page), "nothing is fetched: no src, no outside href"
    assert "<script" not in page.lower() and "@import" not in page


# ------------------------------------------------------------ the screenshot


def png_pixels(data: bytes) -> tuple[int, int, int, bytes]:
    """(width, height, bytes per pixel, raw pixel rows) of an 8-bit RGB or
    RGBA PNG: the chunks, zlib and the five row filters, nothing more."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, width = 8, b"", 0
    height = bpp = 0
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos:pos + 4])
        kind, body = data[pos + 4:pos + 8], data[pos + 8:pos + 8 + length]
        pos += 12 + length
        if kind == b"IHDR":
            width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", body)
            assert depth == 8 and colour in (2, 6) and interlace == 0, (depth, colour, interlace)
            bpp = 3 if colour == 2 else 4
        elif kind == b"IDAT":
            idat += body
        elif kind == b"IEND":
            break
    raw = zlib.decompress(idat)
    stride = width * bpp
    out = bytearray(height * stride)
    prev = bytearray(stride)
    for y in range(height):
        start = y * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1:start + 1 + stride])
        if kind == 1:
            for i in range(bpp, stride):
                line[i] = (line[i] + line[i - bpp]) & 0xFF
        elif kind == 2:
            line = bytearray((a + b) & 0xFF for a, b in zip(line, prev))
        elif kind == 3:
            for i in range(stride):
                left = line[i - bpp] if i >= bpp else 0
                line[i] = (line[i] + ((left + prev[i]) >> 1)) & 0xFF
        elif kind == 4:
            for i in range(stride):
                a = line[i - bpp] if i >= bpp else 0
                b, c = prev[i], prev[i - bpp] if i >= bpp else 0
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 0xFF
        out[y * stride:(y + 1) * stride] = line
        prev = line
    return width, height, bpp, bytes(out)


def test_png_decoder_on_a_known_image():
    """The decoder itself, on a 2x2 RGB image written here with each filter."""
    rows = [bytes([255, 0, 0, 0, 255, 0]), bytes([0, 0, 255, 255, 255, 255])]
    for filt in (0, 1, 2):
        body = b""
        prev = bytes(6)
        for row in rows:
            if filt == 0:
                enc = row
            elif filt == 1:
                enc = bytes((row[i] - (row[i - 3] if i >= 3 else 0)) & 0xFF for i in range(6))
            else:
                enc = bytes((a - b) & 0xFF for a, b in zip(row, prev))
            body += bytes([filt]) + enc
            prev = row

        def chunk(kind: bytes, data: bytes) -> bytes:
            return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

        png = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0))
               + chunk(b"IDAT", zlib.compress(body)) + chunk(b"IEND", b""))
        assert png_pixels(png) == (2, 2, 3, rows[0] + rows[1])


def test_the_diagram_is_visible_in_a_screenshot(browser, report, tmp_path):
    shot = tmp_path / "shot.png"
    chromium(browser, tmp_path, f"--screenshot={shot}", report.as_uri())
    width, height, bpp, pixels = png_pixels(shot.read_bytes())
    assert width == WIDTH and height > 0
    n = width * height
    grey = [(pixels[i] + pixels[i + 1] + pixels[i + 2]) // 3 for i in range(0, len(pixels), bpp * 7)]
    mean = sum(grey) / len(grey)
    variance = sum((g - mean) ** 2 for g in grey) / len(grey)
    assert variance > 100, "the page is blank (one colour)"
    inked = sum(1 for g in grey if g < 200) / len(grey)
    assert inked > 0.005, "hardly anything is drawn"
    # The first design's diagram is on the first screen: its decision body's
    # fill (and the legend's sample of it) is there, a colour no text has.
    body = sum(1 for i in range(0, n * bpp, bpp) if tuple(pixels[i:i + 3]) == BODY_FILL)
    assert body > 50, "the diagram's decision body is not drawn"


def test_the_report_reads_at_1280_px(browser, report, tmp_path):
    """Nothing is wider than the window: the page's scroll width, and the
    right edge of every element, fit in 1280 px."""
    probe = ("<script>(function(){var d=document.documentElement,w=0;"
             "document.querySelectorAll('body *').forEach(function(e){var r=e.getBoundingClientRect();"
             "if(r.right>w){w=r.right}});document.title='probe '+d.scrollWidth+' '+d.clientWidth+' '+"
             "Math.ceil(w);})();</script>")
    page = tmp_path / "probe.html"
    page.write_text(report.read_text(encoding="utf-8").replace("</body>", probe + "</body>"), encoding="utf-8")
    done = chromium(browser, tmp_path, "--dump-dom", page.as_uri())
    found = re.search(r"<title>probe (\d+) (\d+) (\d+)</title>", done.stdout)
    assert found, done.stdout[:500]
    scroll, client, right = map(int, found.groups())
    assert client == WIDTH
    assert scroll <= client, f"the page scrolls sideways: {scroll} px wide in a {client} px window"
    assert right <= client, f"an element reaches {right} px in a {client} px window"
