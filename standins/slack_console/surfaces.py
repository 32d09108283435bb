"""Modals and the App Home in the console: who a modal is open for, its submission
(``view_submission``, with ``response_action`` errors/update/clear handled as Slack does),
and the ``app_home_opened`` event.

Kept apart from ``console.py`` so the console's core stays small; ``SlackConsole`` exposes
these as ``submit_view``, ``close_view``, ``open_home`` and ``click_view``.
"""

from __future__ import annotations

import copy
import json
import time
import urllib.error
import urllib.request
from typing import TYPE_CHECKING, Any

from .delivery import Delivery, post_signed, sign
from .state import APP_ID, VERIFICATION_TOKEN, ConsoleState

if TYPE_CHECKING:
    from .console import SlackConsole


def open_modal_for(state: ConsoleState, trigger_id: str, view_id: str) -> None:
    """Record that views.open showed `view_id` to the user the trigger was issued for."""
    user = state.trigger_users.get(trigger_id)
    if user is not None:
        state.open_modals.setdefault(user, []).append(view_id)


def current_modal(state: ConsoleState, user_id: str) -> dict[str, Any] | None:
    """The modal on top for `user_id` (with its `errors`), or None."""
    stack = state.open_modals.get(user_id) or []
    if not stack:
        return None
    view = copy.deepcopy(state.views.get(stack[-1]) or {})
    view["errors"] = dict(state.view_errors.get(stack[-1], {}))
    return view


def _user(state: ConsoleState, user_id: str) -> dict[str, Any]:
    name = state.user_name(user_id)
    return {"id": user_id, "username": name, "name": name, "team_id": state.team_id}


def _state_values(view: dict[str, Any], values: dict[str, str]) -> dict[str, Any]:
    """Slack's view.state.values for the input blocks, from `{block_id: typed text}`."""
    out: dict[str, Any] = {}
    for block in view.get("blocks") or []:
        if block.get("type") != "input":
            continue
        element = block.get("element") or {}
        typed = values.get(str(block.get("block_id")))
        out[str(block.get("block_id"))] = {
            str(element.get("action_id")): {
                "type": element.get("type", "plain_text_input"),
                "value": typed if typed not in (None, "") else None,
            }
        }
    return out


def submit_view(console: SlackConsole, *, user_id: str, values: dict[str, str]) -> Delivery:
    """Submit the user's open modal with `values` (`{block_id: text}`)."""
    st = console.state
    with st.lock:
        stack = st.open_modals.get(user_id) or []
        if not stack:
            raise ValueError(f"no modal is open for {user_id}")
        view_id = stack[-1]
        view = copy.deepcopy(st.views[view_id])
        view["state"] = {"values": _state_values(view, values)}
        payload = {
            "type": "view_submission",
            "team": {"id": st.team_id, "domain": "local-console"},
            "user": _user(st, user_id),
            "api_app_id": APP_ID,
            "token": VERIFICATION_TOKEN,
            "trigger_id": console.new_trigger(user_id),
            "view": view,
            "response_urls": [],
            "is_enterprise_install": False,
        }
    fields = {"payload": json.dumps(payload)}
    delivery = post_signed(
        console.bot_url, fields, console.signing_secret, console.delivery_timeout
    )
    with st.lock:
        st.last_delivery = {
            "label": "Submitting the form",
            "user": user_id,
            "channel": "",
            "status": delivery.status,
            "error": delivery.error,
            "body": delivery.body[:500],
            "at": time.time(),
        }
        if delivery.ok:
            _apply_submission_answer(st, user_id, view_id, delivery.json())
        st.bump()
    return delivery


def _apply_submission_answer(st: ConsoleState, user_id: str, view_id: str, answer: Any) -> None:
    action = answer.get("response_action") if isinstance(answer, dict) else None
    if action == "errors":
        st.view_errors[view_id] = {str(k): str(v) for k, v in (answer.get("errors") or {}).items()}
        return
    if action == "update" and isinstance(answer.get("view"), dict):
        st.views[view_id] = dict(answer["view"], id=view_id)
        st.view_errors.pop(view_id, None)
        return
    stack = st.open_modals.get(user_id) or []
    if action == "clear":
        stack.clear()
    elif stack:
        stack.pop()
    st.view_errors.pop(view_id, None)


def close_view(console: SlackConsole, *, user_id: str) -> None:
    """The user pressed Cancel: the modal goes away (no view_closed is sent)."""
    with console.state.lock:
        stack = console.state.open_modals.get(user_id) or []
        if stack:
            stack.pop()
        console.state.bump()


def post_event(console: SlackConsole, event: dict[str, Any]) -> Delivery:
    """Deliver an Events API ``event_callback`` (JSON, signed) to the bot."""
    envelope = {
        "token": VERIFICATION_TOKEN,
        "team_id": console.state.team_id,
        "api_app_id": APP_ID,
        "event": event,
        "type": "event_callback",
        "event_id": f"Ev{console.state.new_id('')}",
        "event_time": int(time.time()),
        "authorizations": [{"team_id": console.state.team_id, "is_bot": True}],
    }
    body = json.dumps(envelope).encode()
    ts = str(int(time.time()))
    headers = {
        "Content-Type": "application/json",
        "X-Slack-Request-Timestamp": ts,
        "X-Slack-Signature": sign(console.signing_secret, ts, body),
    }
    try:
        req = urllib.request.Request(console.bot_url, data=body, headers=headers, method="POST")
        with urllib.request.urlopen(req, timeout=console.delivery_timeout) as resp:
            return Delivery(resp.status, resp.read().decode("utf-8", "replace"))
    except urllib.error.HTTPError as err:
        return Delivery(err.code, err.read().decode("utf-8", "replace"), error="dispatch_failed")
    except (OSError, ValueError) as err:
        return Delivery(0, str(err), error="dispatch_failed")


def open_home(console: SlackConsole, *, user_id: str) -> Delivery:
    """The user opened the app's Home tab: send ``app_home_opened``."""
    if user_id not in console.state.users:
        raise ValueError(f"unknown user {user_id!r}")
    with console.state.lock:
        home = console.state.home_views.get(user_id)
    event = {
        "type": "app_home_opened",
        "user": user_id,
        "channel": console.state.open_dm(user_id),
        "tab": "home",
        "event_ts": f"{time.time():.6f}",
        **({"view": copy.deepcopy(home)} if home else {}),
    }
    return post_event(console, event)


def click_view(
    console: SlackConsole, *, user_id: str, action_id: str, block_id: str | None = None
) -> Delivery:
    """Click a button in the user's open modal, or else in their Home tab."""
    st = console.state
    with st.lock:
        view = current_modal(st, user_id) or copy.deepcopy(st.home_views.get(user_id))
        if not view:
            raise ValueError(f"no view is open for {user_id}")
        found = None
        for block in view.get("blocks") or []:
            if block_id is not None and block.get("block_id") != block_id:
                continue
            elements = [*(block.get("elements") or []), block.get("accessory") or {}]
            for element in elements:
                if element.get("type") == "button" and element.get("action_id") == action_id:
                    found = (block, element)
                    break
            if found:
                break
        if found is None:
            raise ValueError(f"no button {action_id!r} in the view of {user_id}")
        block, button = found
        action = {
            "action_id": button["action_id"],
            "block_id": block.get("block_id"),
            "text": button.get("text"),
            "type": "button",
            "action_ts": f"{time.time():.6f}",
            **({"value": button["value"]} if "value" in button else {}),
        }
        view.pop("errors", None)
        payload = {
            "type": "block_actions",
            "user": _user(st, user_id),
            "api_app_id": APP_ID,
            "token": VERIFICATION_TOKEN,
            "container": {"type": "view", "view_id": view.get("id")},
            "trigger_id": console.new_trigger(user_id),
            "team": {"id": st.team_id, "domain": "local-console"},
            "view": view,
            "actions": [action],
        }
    fields = {"payload": json.dumps(payload)}
    return post_signed(console.bot_url, fields, console.signing_secret, console.delivery_timeout)
