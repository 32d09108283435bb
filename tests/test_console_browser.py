"""The console's web page, used the way a person uses it, in headless Chromium: commands,
clicks, user switching, failed deliveries, Block Kit rendering."""

from __future__ import annotations

import os
import struct
import zlib
from typing import Any

from slack_sdk import WebClient

from standins.slack_console import BackgroundServer, SlackConsole
from tests.browser_fixtures import (  # noqa: F401 - fixtures
    TOKEN,
    _messages,
    _wait,
    bot,
    console,
    driver,
)


def test_command_and_click_through_the_page(
    driver: Any, console: SlackConsole, bot: BackgroundServer
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    driver.get(f"{console.base_url}/?user=U0ALICE")
    _wait(driver, lambda d: d.find_elements(By.CSS_SELECTOR, ".channel[data-id=C0PAY]"))
    driver.find_element(By.CSS_SELECTOR, ".channel[data-id=C0PAY]").click()
    assert "selected" in driver.find_element(
        By.CSS_SELECTOR, ".channel[data-id=C0PAY]"
    ).get_attribute("class")
    assert Select(driver.find_element(By.ID, "user")).first_selected_option.text.startswith("alice")

    driver.find_element(By.ID, "command").send_keys("/echo hi")
    driver.find_element(By.ID, "send").click()

    [eph] = _wait(driver, _messages(driver, ".message.ephemeral", "echo hi"))
    assert "Only visible to you" in eph.text
    assert eph.find_element(By.CSS_SELECTOR, "b").text == "echo"  # mrkdwn *bold*
    _wait(driver, lambda d: "200" in d.find_element(By.ID, "status").text)
    assert driver.find_element(By.ID, "command").get_attribute("value") == ""

    button = eph.find_element(By.CSS_SELECTOR, "button.block-button[data-action-id=echo_ok]")
    assert "primary" in button.get_attribute("class")
    button.click()

    [post] = _wait(driver, _messages(driver, ".message:not(.ephemeral)", "approved hi"))
    assert "@alice" in post.find_element(By.CSS_SELECTOR, ".mention").text
    assert post.find_element(By.CSS_SELECTOR, "b").text == "hi"
    _wait(driver, _messages(driver, ".message.ephemeral", "Done: hi"))
    assert not driver.find_elements(By.CSS_SELECTOR, "button.block-button")  # replaced

    # Bob sees the channel post but not Alice's ephemeral.
    Select(driver.find_element(By.ID, "user")).select_by_value("U0BOB")
    _wait(driver, lambda d: not d.find_elements(By.CSS_SELECTOR, ".message.ephemeral"))
    assert _messages(driver, ".message", "approved hi")(driver)


def test_switching_user_never_shows_a_late_answer_for_the_previous_one(
    driver: Any, console: SlackConsole, bot: BackgroundServer
) -> None:
    """A poll for Alice still in flight when the page switches to Bob must not draw
    Alice's ephemeral messages for Bob (and stay drawn: its version is the current one)."""
    import time

    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    driver.get(f"{console.base_url}/?user=U0ALICE&channel=C0PAY")
    _wait(driver, lambda d: d.find_elements(By.CSS_SELECTOR, ".channel.selected[data-id=C0PAY]"))
    driver.find_element(By.ID, "command").send_keys("/echo secret")
    driver.find_element(By.ID, "send").click()
    _wait(driver, _messages(driver, ".message.ephemeral", "echo secret"))
    # For the next 3 s, Alice's state answers arrive after 1 s and Bob's after 2.5 s; one
    # for Alice is asked for, then Bob is chosen: Alice's answer lands first.
    driver.execute_script("""
        const fast = window.fetch, until = Date.now() + 3000;
        const later = (ms, url, options) =>
          new Promise((ok) => setTimeout(ok, ms)).then(() => fast(url, options));
        window.fetch = (url, options) => Date.now() > until ? fast(url, options)
          : String(url).includes("user=U0ALICE") ? later(1000, url, options)
          : String(url).includes("user=U0BOB") ? later(2500, url, options)
          : fast(url, options);
        poll();
    """)
    Select(driver.find_element(By.ID, "user")).select_by_value("U0BOB")
    time.sleep(6)  # the late answers have all come back, and Bob's regular polls since
    assert not driver.find_elements(By.CSS_SELECTOR, ".message.ephemeral")
    assert _messages(driver, ".message", "echo secret")(driver) is False


def test_failed_delivery_shows_an_error_line(driver: Any, console: SlackConsole) -> None:
    from selenium.webdriver.common.by import By

    driver.get(f"{console.base_url}/?user=U0BOB&channel=C0OPS")
    _wait(driver, lambda d: d.find_elements(By.CSS_SELECTOR, ".channel.selected[data-id=C0OPS]"))
    driver.find_element(By.ID, "command").send_keys("/cost team=ops")
    driver.find_element(By.ID, "send").click()  # nothing listens on the bot URL
    line = _wait(driver, lambda d: d.find_elements(By.CSS_SELECTOR, ".error-line"))[0]
    assert 'failed with the error "dispatch_failed"' in line.text
    status = driver.find_element(By.ID, "status")
    assert "dispatch_failed" in status.text and "error" in status.get_attribute("class")


def _png(width: int, height: int) -> bytes:
    """A small gradient PNG, made with the standard library."""
    rows = b"".join(
        b"\x00" + b"".join(bytes((x * 255 // width, 120, 200 - y * 4)) for x in range(width))
        for y in range(height)
    )

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def test_block_kit_rendering(driver: Any, console: SlackConsole) -> None:
    from selenium.webdriver.common.by import By

    client = WebClient(token=TOKEN, base_url=console.api_url)
    upload = client.files_upload_v2(
        channel="C0PAY",
        content=_png(120, 40),
        filename="spend.png",
        title="Spend by team",
        initial_comment="Weekly chart",
    )
    image_url = upload["file"]["url_private"]
    client.chat_postMessage(
        channel="C0PAY",
        text="Idle resources",
        blocks=[
            {"type": "header", "text": {"type": "plain_text", "text": "Idle resources: payments"}},
            {
                "type": "section",
                "text": {
                    "type": "mrkdwn",
                    "text": (
                        "*3 idle volumes* cost _$42.17/month_ ~maybe~ `vol-0abc`\n"
                        "Owner <@U0BOB>, see <https://example.com/runbook|the runbook> "
                        "&lt;not-a-tag&gt;"
                    ),
                },
                "accessory": {
                    "type": "button",
                    "action_id": "details",
                    "value": "d",
                    "text": {"type": "plain_text", "text": "Details"},
                },
            },
            {
                "type": "section",
                "fields": [
                    {"type": "mrkdwn", "text": "*Team*\npayments"},
                    {"type": "mrkdwn", "text": "*Saving*\n$42.17"},
                ],
            },
            {"type": "divider"},
            {"type": "image", "image_url": image_url, "alt_text": "spend chart"},
            {
                "type": "context",
                "elements": [{"type": "mrkdwn", "text": "Found by the nightly scan"}],
            },
            {
                "type": "actions",
                "elements": [
                    {
                        "type": "button",
                        "action_id": "approve",
                        "style": "primary",
                        "value": "a",
                        "text": {"type": "plain_text", "text": "Delete them"},
                    },
                    {
                        "type": "button",
                        "action_id": "reject",
                        "style": "danger",
                        "value": "r",
                        "text": {"type": "plain_text", "text": "Keep"},
                    },
                ],
            },
        ],
    )

    driver.get(f"{console.base_url}/?user=U0ALICE&channel=C0PAY")
    [msg] = _wait(driver, _messages(driver, ".message", "Idle resources: payments"))
    find = msg.find_element
    assert find(By.CSS_SELECTOR, ".block.header").text == "Idle resources: payments"
    assert find(By.CSS_SELECTOR, ".section-text b").text == "3 idle volumes"
    assert find(By.CSS_SELECTOR, ".section-text i").text == "$42.17/month"
    assert find(By.CSS_SELECTOR, ".section-text s").text == "maybe"
    assert find(By.CSS_SELECTOR, ".section-text code").text == "vol-0abc"
    assert find(By.CSS_SELECTOR, ".section-text .mention").text == "@bob"
    link = find(By.CSS_SELECTOR, ".section-text a")
    assert (link.text, link.get_attribute("href")) == ("the runbook", "https://example.com/runbook")
    assert "<not-a-tag>" in find(By.CSS_SELECTOR, ".section-text").text  # escaped, shown as text
    assert len(msg.find_elements(By.CSS_SELECTOR, ".fields .field")) == 2
    assert msg.find_elements(By.CSS_SELECTOR, "hr.divider")
    assert find(By.CSS_SELECTOR, ".block.context").text == "Found by the nightly scan"
    assert find(By.CSS_SELECTOR, ".accessory button.block-button").text == "Details"
    assert "danger" in find(By.CSS_SELECTOR, "button[data-action-id=reject]").get_attribute("class")
    for img in (
        find(By.CSS_SELECTOR, ".block.image img"),
        _wait(driver, _messages(driver, ".message", "Weekly chart"))[0].find_element(
            By.CSS_SELECTOR, "img.file-image"
        ),
    ):
        _wait(
            driver,
            lambda d, img=img: (
                d.execute_script("return arguments[0].complete && arguments[0].naturalWidth", img)
                == 120
            ),
        )

    shot = os.environ.get("CONSOLE_SCREENSHOT")
    if shot:
        driver.save_screenshot(shot)
