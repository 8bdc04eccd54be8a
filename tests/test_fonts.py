"""Screenshots render what a user sees: colour emoji, CJK and Latin text, no missing-glyph boxes (the fonts
shell/setup.sh installs: fonts-noto-color-emoji, fonts-noto-cjk, fonts-liberation)."""
from __future__ import annotations

import io

import pytest
from PIL import Image

from jamel.env.browser import find_chromium

TOFU = "\U0010fffd"  # a private-use code point no font has: Chromium draws its missing-glyph box
PAGE = """<html><body style="margin:0;background:#fff;color:#000;font-size:48px">
<span id="emoji">🛒😀</span><br><span id="cjk">购物车</span><br><span id="latin">Cart</span><br>
<span id="tofu3">{t}{t}{t}</span><br><span id="tofu4">{t}{t}{t}{t}</span></body></html>""".format(t=TOFU)


@pytest.fixture(scope="module")
def shots():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=find_chromium(None, pw), args=["--no-sandbox"])
        page = browser.new_page(device_scale_factor=1)
        page.set_content(PAGE)
        out = {k: Image.open(io.BytesIO(page.locator(f"#{k}").screenshot())).convert("RGB")
               for k in ("emoji", "cjk", "latin", "tofu3", "tofu4")}
        browser.close()
    return out


def saturated(img: Image.Image) -> int:
    import numpy as np

    rgb = np.asarray(img, dtype=np.int16)
    return int(((rgb.max(axis=-1) - rgb.min(axis=-1)) > 60).sum())


def test_emoji_render_in_colour(shots):
    assert saturated(shots["emoji"]) > 200, "emoji drawn without a colour-emoji font (fonts-noto-color-emoji)"
    assert saturated(shots["latin"]) == 0 and saturated(shots["tofu4"]) == 0  # the measure itself


def test_cjk_and_latin_are_not_missing_glyph_boxes(shots):
    assert shots["cjk"].tobytes() != shots["tofu3"].tobytes(), "CJK drawn as boxes (fonts-noto-cjk)"
    assert shots["latin"].tobytes() != shots["tofu4"].tobytes()
