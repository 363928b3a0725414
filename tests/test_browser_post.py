"""A real browser uploads with our form: headless Chromium (Debian's chromium and
chromium-driver, through Selenium) opens the ``presign post --html`` page, picks a file and
submits it to the loopback ``PostUploadServer``, which stores it only on a valid verdict."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from selenium.webdriver.support.ui import WebDriverWait

from sigv4kit import Credentials
from sigv4kit.cli import cli
from sigv4kit.testing.post_server import PostUploadServer

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
CREDS = Credentials("AKIDBROWSER", "browser/secret+KEY")
BUCKET = "browser-uploads"

pytestmark = pytest.mark.slow


def form_page(srv: PostUploadServer, *conditions: str) -> bytes:
    env = {"AWS_ACCESS_KEY_ID": CREDS.access_key_id,
           "AWS_SECRET_ACCESS_KEY": CREDS.secret_access_key,
           "AWS_CONFIG_FILE": os.devnull, "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
           "AWS_EC2_METADATA_DISABLED": "true"}
    args = ["presign", "post", f"s3://{BUCKET}/in/${{filename}}", "--region", "us-east-1",
            "--endpoint-url", srv.origin, "--html"]
    for condition in conditions:
        args += ["--condition", condition]
    result = CliRunner().invoke(cli, args, env=env)
    assert result.exit_code == 0, result.output
    return result.output.encode()


@pytest.fixture
def browser(tmp_path: Path) -> Any:
    if not (shutil.which(CHROMIUM) and shutil.which(CHROMEDRIVER)):
        pytest.fail("Debian's chromium and chromium-driver are needed (.ci/run installs them)")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync",
                 f"--user-data-dir={tmp_path / 'profile'}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()


def submit(driver: Any, url: str, path: Path) -> None:
    from selenium.webdriver.common.by import By

    driver.get(url)
    driver.find_element(By.ID, "file").send_keys(str(path))
    driver.find_element(By.ID, "upload").click()


def test_browser_uploads_and_is_refused_as_s3_would(browser: Any, tmp_path: Path) -> None:
    from selenium.webdriver.support.ui import WebDriverWait

    data = bytes(range(256)) * 40  # 10,240 bytes, every byte value
    picked = tmp_path / "photo.bin"
    picked.write_bytes(data)
    with PostUploadServer(CREDS, bucket=BUCKET) as srv:
        srv.pages["/form.html"] = form_page(srv, '["content-length-range", 1, 1048576]')
        srv.pages["/small.html"] = form_page(srv, '["content-length-range", 1, 100]')

        browser.get(srv.origin + "/form.html")
        browser.save_screenshot(str(tmp_path / "form.png"))
        submit(browser, srv.origin + "/form.html", picked)
        WebDriverWait(browser, 20).until(lambda d: srv.verdicts)
        assert srv.verdicts[0].valid, srv.verdicts[0].message
        assert srv.objects == {"in/photo.bin": data}

        submit(browser, srv.origin + "/small.html", picked)
        WebDriverWait(browser, 20).until(lambda d: "EntityTooLarge" in d.page_source)
        browser.save_screenshot(str(tmp_path / "refused.png"))
        assert "exceeds the maximum allowed size" in browser.page_source
        assert list(srv.objects) == ["in/photo.bin"]
    assert (tmp_path / "form.png").stat().st_size > 0


def test_a_hostile_field_value_stays_a_value_in_the_html_form(browser: Any, tmp_path: Path) -> None:
    """Attack review: a pre-filled field whose value breaks out of an HTML attribute must
    neither run script in the ``--html`` page nor reach the server altered; the browser then
    follows the 303 to the same-origin page the policy pins."""
    hostile = "\"'><script>document.title='pwned'</script><x a=\"&amp;\u202e"
    picked = tmp_path / "note.txt"
    picked.write_bytes(b"note")
    with PostUploadServer(CREDS, bucket=BUCKET) as srv:
        done = srv.origin + "/done.html"
        env = {"AWS_ACCESS_KEY_ID": CREDS.access_key_id,
               "AWS_SECRET_ACCESS_KEY": CREDS.secret_access_key,
               "AWS_CONFIG_FILE": os.devnull, "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
               "AWS_EC2_METADATA_DISABLED": "true"}
        result = CliRunner().invoke(cli, [
            "presign", "post", f"s3://{BUCKET}/in/${{filename}}", "--region", "us-east-1",
            "--endpoint-url", srv.origin, "--html",
            "--field", f"x-amz-meta-note={hostile}", "--field", f"success_action_redirect={done}",
            "--condition", json.dumps({"x-amz-meta-note": hostile}),
            "--condition", json.dumps({"success_action_redirect": done}),
        ], env=env)
        assert result.exit_code == 0, result.output
        srv.pages["/form.html"] = result.output.encode()
        srv.pages["/done.html"] = b"<!DOCTYPE html><title>done</title>"
        browser.get(srv.origin + "/form.html")
        assert browser.title == "Upload"
        submit(browser, srv.origin + "/form.html", picked)
        WebDriverWait(browser, 20).until(lambda d: d.title == "done")
        assert srv.verdicts[0].valid, srv.verdicts[0].message
        assert srv.verdicts[0].fields["x-amz-meta-note"] == hostile
        assert srv.objects == {"in/note.txt": b"note"}
        assert browser.current_url.startswith(done + "?bucket=" + BUCKET + "&key=in/note.txt")
