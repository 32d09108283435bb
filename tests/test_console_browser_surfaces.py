"""The console's web page in headless Chromium: confirm dialogs, modals and the Home tab,
against a bot that opens them."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk import WebClient

from standins.slack_console import BackgroundServer, SlackConsole
from tests.browser_fixtures import (  # noqa: F401 - fixtures
    SECRET,
    TOKEN,
    _messages,
    _wait,
    bot,
    console,
    driver,
)


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
