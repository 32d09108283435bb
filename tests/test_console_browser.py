"""The console's web page, used the way a person uses it, in headless Chromium."""

from __future__ import annotations

import os
import struct
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk import WebClient

from standins.slack_console import BackgroundServer, SlackConsole

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
SECRET = "browser-test-secret"
TOKEN = "xoxb-browser-test"
USERS = {
    "U0ALICE": {"name": "alice", "email": "alice@example.com"},
    "U0BOB": {"name": "bob", "email": "bob@example.com"},
}
CHANNELS = {"C0PAY": "payments", "C0OPS": "ops"}


def _require_browser() -> None:
    missing = [p for p in (CHROMIUM, CHROMEDRIVER) if not os.path.exists(p)]
    if missing:
        message = f"{', '.join(missing)} not found: apt-get install chromium chromium-driver"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


@pytest.fixture
def driver(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    _require_browser()
    monkeypatch.setenv("SE_OFFLINE", "true")  # selenium must never download a driver
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--window-size=1200,900",
        f"--user-data-dir={tmp_path / 'chromium'}",
    ):
        options.add_argument(arg)
    browser = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    yield browser
    browser.quit()


@pytest.fixture
def console() -> Iterator[SlackConsole]:
    c = SlackConsole(
        bot_url="http://127.0.0.1:9/unused",
        signing_secret=SECRET,
        bot_token=TOKEN,
        channels=CHANNELS,
        users=USERS,
    )
    c.start()
    yield c
    c.stop()


@pytest.fixture
def bot(console: SlackConsole) -> Iterator[BackgroundServer]:
    """A real Bolt app: /echo answers with a button; the button posts into the channel."""
    app = App(signing_secret=SECRET, client=WebClient(token=TOKEN, base_url=console.api_url))

    @app.command("/echo")
    def echo(ack: Any, respond: Any, command: dict[str, Any]) -> None:
        ack()
        respond(
            text=f"echo {command['text']}",
            blocks=[
                {
                    "type": "section",
                    "text": {"type": "mrkdwn", "text": f"*echo* {command['text']}"},
                },
                {
                    "type": "actions",
                    "elements": [
                        {
                            "type": "button",
                            "action_id": "echo_ok",
                            "value": command["text"],
                            "style": "primary",
                            "text": {"type": "plain_text", "text": "Looks good"},
                        },
                    ],
                },
            ],
        )

    @app.action("echo_ok")
    def ok(ack: Any, body: dict[str, Any], client: WebClient, respond: Any) -> None:
        ack()
        value = body["actions"][0]["value"]
        client.chat_postMessage(
            channel=body["channel"]["id"], text=f"<@{body['user']['id']}> approved *{value}*"
        )
        respond(replace_original=True, text=f"Done: {value}")

    server = BackgroundServer(SlackRequestHandler(app), threads=4, name="bolt-browser-test")
    console.bot_url = server.url + "/slack/events"
    yield server
    server.stop()


def _wait(driver: Any, condition: Any, timeout: float = 20) -> Any:
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, timeout, poll_frequency=0.1).until(condition)


def _messages(driver: Any, css: str, contains: str) -> Any:
    from selenium.webdriver.common.by import By

    def found(d: Any) -> Any:
        hits = [m for m in d.find_elements(By.CSS_SELECTOR, css) if contains in m.text]
        return hits or False

    return found


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


@pytest.fixture
def surfaces_bot(console: SlackConsole) -> Iterator[list[str]]:
    """A Bolt app with a confirm-guarded button that opens a modal, and a Home tab."""
    app = App(signing_secret=SECRET, client=WebClient(token=TOKEN, base_url=console.api_url))
    seen: list[str] = []
    confirm = {
        "title": {"type": "plain_text", "text": "Approve?"},
        "text": {"type": "mrkdwn", "text": "Delete `vol-1`. *Cannot be undone.*"},
        "confirm": {"type": "plain_text", "text": "Approve"},
        "deny": {"type": "plain_text", "text": "Cancel"},
        "style": "danger",
    }

    @app.command("/danger")
    def danger(ack: Any) -> None:
        button = {"type": "button", "action_id": "go", "confirm": confirm}
        button["text"] = {"type": "plain_text", "text": "Go"}
        ack(blocks=[{"type": "actions", "elements": [button]}], text="danger")

    @app.action("go")
    def go(ack: Any, body: dict[str, Any], client: WebClient) -> None:
        ack()
        seen.append("clicked")
        element = {"type": "plain_text_input", "action_id": "why", "multiline": True}
        client.views_open(
            trigger_id=body["trigger_id"],
            view={
                "type": "modal",
                "callback_id": "why_form",
                "title": {"type": "plain_text", "text": "Why?"},
                "submit": {"type": "plain_text", "text": "Send"},
                "blocks": [
                    {
                        "type": "input",
                        "block_id": "why",
                        "label": {"type": "plain_text", "text": "Reason"},
                        "element": element,
                    }
                ],
            },
        )

    @app.view("why_form")
    def why(ack: Any, view: dict[str, Any]) -> None:
        typed = view["state"]["values"]["why"]["why"]["value"] or ""
        if typed == "bad":
            ack(response_action="errors", errors={"why": "Not a good reason"})
            return
        ack()
        seen.append(f"reason:{typed}")

    @app.event("app_home_opened")
    def home(event: dict[str, Any], client: WebClient) -> None:
        text = {"type": "mrkdwn", "text": f"*Hello* <@{event['user']}>"}
        client.views_publish(
            user_id=event["user"],
            view={"type": "home", "blocks": [{"type": "section", "text": text}]},
        )

    server = BackgroundServer(SlackRequestHandler(app), threads=4, name="bolt-surfaces-test")
    console.bot_url = server.url + "/slack/events"
    yield seen
    server.stop()


def test_confirm_dialog_modal_and_home_tab(
    driver: Any, console: SlackConsole, surfaces_bot: list[str]
) -> None:
    from selenium.webdriver.common.by import By

    driver.get(f"{console.base_url}/?user=U0ALICE&channel=C0PAY")
    _wait(driver, lambda d: d.find_elements(By.CSS_SELECTOR, ".channel.selected[data-id=C0PAY]"))
    driver.find_element(By.ID, "command").send_keys("/danger")
    driver.find_element(By.ID, "send").click()
    button = _wait(driver, lambda d: d.find_elements(By.CSS_SELECTOR, "[data-action-id=go]"))[0]
    # the confirm dialog: Cancel sends nothing
    button.click()
    dialog = _wait(driver, lambda d: d.find_elements(By.CSS_SELECTOR, ".confirm-dialog"))[0]
    assert "Approve?" in dialog.text and "Cannot be undone." in dialog.text
    assert dialog.find_element(By.CSS_SELECTOR, "code").text == "vol-1"
    driver.find_element(By.ID, "confirm-deny").click()
    _wait(driver, lambda d: not d.find_elements(By.CSS_SELECTOR, ".confirm-dialog"))
    assert surfaces_bot == [] and not console.calls("views.open")
    # confirm: the click is sent, the bot opens a modal
    driver.find_element(By.CSS_SELECTOR, "[data-action-id=go]").click()
    _wait(driver, lambda d: d.find_elements(By.ID, "confirm-ok"))[0].click()
    modal = _wait(driver, lambda d: d.find_elements(By.CSS_SELECTOR, ".dialog.modal"))[0]
    assert "Why?" in modal.text and surfaces_bot == ["clicked"]
    # an answer the bot refuses shows its error in the modal, which stays open
    modal.find_element(By.CSS_SELECTOR, "textarea[data-input-block=why]").send_keys("bad")
    driver.find_element(By.ID, "modal-submit").click()
    _wait(driver, _messages(driver, ".input-error", "Not a good reason"))
    area = driver.find_element(By.CSS_SELECTOR, "textarea[data-input-block=why]")
    assert area.get_attribute("value") == "bad"  # what was typed survives the redraw
    area.clear()
    area.send_keys("too risky")
    driver.find_element(By.ID, "modal-submit").click()
    _wait(driver, lambda d: not d.find_elements(By.CSS_SELECTOR, ".dialog.modal"))
    assert surfaces_bot == ["clicked", "reason:too risky"]
    # the Home tab: opening it sends app_home_opened; the published view is drawn
    driver.find_element(By.ID, "home-tab").click()
    _wait(driver, _messages(driver, ".home", "Hello @alice"))
    assert driver.find_element(By.ID, "channel-title").text == "Home"
    assert driver.find_element(By.CSS_SELECTOR, ".home b").text == "Hello"
