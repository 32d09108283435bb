"""WSGI routing of the console: Web API, response_urls, uploads, files and the page."""

from __future__ import annotations

import copy
import json
import urllib.parse
from collections.abc import Callable, Iterable
from email.parser import BytesParser
from email.policy import HTTP
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .delivery import use_response_url
from .dispatch import call_method
from .faults import Fault, take_fault
from .state import BOT_USER_ID, ConsoleState
from .surfaces import current_modal

if TYPE_CHECKING:
    from .console import SlackConsole

StartResponse = Callable[..., Any]
Response = tuple[int, str, bytes]  # status, content type, body
#: status, content type, body and extra headers (a 429's Retry-After)
Reply = tuple[int, str, bytes, list[tuple[str, str]]]

PAGE = Path(__file__).with_name("page.html")
REASONS = {
    200: "OK",
    400: "Bad Request",
    404: "Not Found",
    405: "Method Not Allowed",
    429: "Too Many Requests",
    500: "Internal Server Error",
}


def read_body(environ: dict[str, Any]) -> bytes:
    """The raw request body."""
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    return environ["wsgi.input"].read(length) if length > 0 else b""


def parse_multipart(content_type: str, body: bytes) -> dict[str, Any]:
    """Fields of a multipart/form-data body (file parts as bytes, others as str)."""
    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode()
    message = BytesParser(policy=HTTP).parsebytes(head + body)
    fields: dict[str, Any] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not isinstance(name, str):
            continue
        payload = part.get_payload(decode=True)
        data = payload if isinstance(payload, bytes) else b""
        fields[name] = data if part.get_filename() else data.decode("utf-8", "replace")
    return fields


def parse_args(environ: dict[str, Any], body: bytes) -> dict[str, Any]:
    """Query-string plus body arguments (JSON, form-encoded or multipart)."""
    args: dict[str, Any] = dict(
        urllib.parse.parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True)
    )
    ctype = environ.get("CONTENT_TYPE", "")
    if not body:
        return args
    if "json" in ctype:
        parsed = json.loads(body.decode("utf-8"))
        if not isinstance(parsed, dict):
            raise ValueError("expected a JSON object")
        args.update(parsed)
    elif ctype.startswith("multipart/form-data"):
        args.update(parse_multipart(ctype, body))
    else:
        args.update(urllib.parse.parse_qsl(body.decode("utf-8"), keep_blank_values=True))
    return args


def _json(data: Any, status: int = 200) -> Response:
    return status, "application/json; charset=utf-8", json.dumps(data).encode()


def _fault_reply(fault: Fault) -> Reply:
    """What an injected fault answers: 429 with Retry-After, or ``ok: false``."""
    body = json.dumps({"ok": False, "error": fault.error}).encode()
    headers = [("Retry-After", str(fault.retry_after))] if fault.http_status == 429 else []
    return fault.http_status, "application/json; charset=utf-8", body, headers


def _text(text: str, status: int = 200) -> Response:
    return status, "text/plain; charset=utf-8", text.encode()


def page_state(state: ConsoleState, user_id: str) -> dict[str, Any]:
    """What the page shows to ``user_id``: channels, users, messages, files."""
    with state.lock:
        chans = [ch for ch in state.channels.values() if state.visible_to(ch["id"], user_id)]
        chans.sort(key=lambda ch: (ch["is_im"], ch["name"]))
        messages: dict[str, list[dict[str, Any]]] = {ch["id"]: [] for ch in chans}
        for msg in state.messages:
            if msg["channel"] in messages and msg["ephemeral_to"] in (None, user_id):
                item = copy.deepcopy(msg)
                item.update(
                    kind="message",
                    ephemeral=msg["ephemeral_to"] is not None,
                    user_name=state.user_name(msg["user"]),
                    is_bot=msg["user"] == BOT_USER_ID,
                )
                messages[msg["channel"]].append(item)
        for notice in state.notices:
            if notice["user"] == user_id and notice["channel"] in messages:
                messages[notice["channel"]].append(dict(notice, kind="error"))
        for items in messages.values():
            items.sort(key=lambda m: m["ts"])
        return {
            "version": state.version,
            "team": {"id": state.team_id, "name": state.team_name},
            "bot": {"id": BOT_USER_ID, "name": state.user_name(BOT_USER_ID)},
            "users": [
                {"id": uid, "name": info.get("name", uid), "email": info.get("email", "")}
                for uid, info in state.users.items()
            ],
            "channels": [
                {
                    "id": ch["id"],
                    "is_im": ch["is_im"],
                    "name": state.user_name(BOT_USER_ID) if ch["is_im"] else ch["name"],
                }
                for ch in chans
            ],
            "messages": messages,
            "files": {
                fid: {k: meta[k] for k in ("id", "name", "title", "mimetype", "size")}
                | {"url": f"/files/{fid}"}
                for fid, meta in state.file_meta.items()
                if meta["uploaded"]
            },
            "last_delivery": copy.deepcopy(state.last_delivery),
            "modal": current_modal(state, user_id),
            "home": copy.deepcopy(state.home_views.get(user_id)),
        }


def make_app(console: SlackConsole) -> Callable[[dict[str, Any], StartResponse], Iterable[bytes]]:
    """The console's WSGI application."""
    state = console.state

    def api(method: str, environ: dict[str, Any], body: bytes) -> Response | Reply:
        try:
            args = parse_args(environ, body)
        except (ValueError, UnicodeDecodeError):
            return _json({"ok": False, "error": "invalid_form_data"})
        auth = environ.get("HTTP_AUTHORIZATION", "")
        token = auth[7:].strip() if auth.lower().startswith("bearer ") else None
        token = token or args.pop("token", None)
        args.pop("token", None)
        fault = take_fault(state, method, args)
        if fault is None:
            return _json(call_method(state, method, args, token, console.bot_token))
        if fault.after:  # carried out, but the answer is "lost"
            call_method(state, method, args, token, console.bot_token)
        else:
            with state.lock:
                state.calls.append(
                    {"method": method, "args": dict(args), "ok": False, "error": fault.error}
                )
        return _fault_reply(fault)

    def faults(method: str, body: bytes) -> Response:
        if method == "DELETE":
            with state.lock:
                state.faults.clear()
            return _json({"ok": True, "faults": []})
        if method == "POST":
            try:
                added = Fault.from_json(json.loads(body.decode("utf-8") or "{}"))
            except (ValueError, TypeError) as exc:
                return _json({"ok": False, "error": str(exc)}, 400)
            with state.lock:
                state.faults.append(added)
        with state.lock:
            return _json({"ok": True, "faults": [f.describe() for f in state.faults]})

    def upload(file_id: str, environ: dict[str, Any], body: bytes) -> Response:
        ctype = environ.get("CONTENT_TYPE", "")
        data = body
        if ctype.startswith("multipart/form-data"):
            parts = parse_multipart(ctype, body)
            found = parts.get("file", next(iter(parts.values()), b""))
            data = found if isinstance(found, bytes) else str(found).encode()
        with state.lock:
            meta = state.file_meta.get(file_id)
            if meta is None:
                return _text("file_not_found", 404)
            state.files[file_id] = data
            meta.update(uploaded=True, size=len(data))
            state.bump()
        return _text(f"OK - {len(data)}")

    def serve_file(file_id: str) -> Response:
        with state.lock:
            data = state.files.get(file_id)
            meta = state.file_meta.get(file_id)
        if data is None or meta is None:
            return _text("file_not_found", 404)
        return 200, str(meta["mimetype"]), data

    def console_action(kind: str, body: bytes) -> Response:
        try:
            req = json.loads(body.decode("utf-8") or "{}")
            if kind == "command":
                delivery = console.send_command(
                    user_id=str(req.get("user_id")),
                    channel_id=str(req.get("channel_id")),
                    text=str(req.get("text", "")),
                )
            else:
                delivery = console.click(
                    user_id=str(req.get("user_id")),
                    message_id=str(req.get("message_id")),
                    action_id=str(req.get("action_id")),
                    block_id=req.get("block_id") or None,
                )
        except (ValueError, AttributeError) as exc:
            return _json({"ok": False, "error": str(exc)}, 400)
        return _json(
            {
                "ok": delivery.ok,
                "status": delivery.status,
                "error": delivery.error,
                "body": delivery.body[:2000],
            }
        )

    def view_action(kind: str, body: bytes) -> Response:
        try:
            req = json.loads(body.decode("utf-8") or "{}")
            user = str(req.get("user_id"))
            if kind == "close":
                console.close_view(user_id=user)
                return _json({"ok": True, "status": 200, "error": None, "body": ""})
            if kind == "submit":
                values = req.get("values") or {}
                delivery = console.submit_view(
                    user_id=user, values={str(k): str(v) for k, v in dict(values).items()}
                )
            elif kind == "home":
                delivery = console.open_home(user_id=user)
            else:
                delivery = console.click_view(
                    user_id=user,
                    action_id=str(req.get("action_id")),
                    block_id=req.get("block_id") or None,
                )
        except (ValueError, AttributeError, TypeError) as exc:
            return _json({"ok": False, "error": str(exc)}, 400)
        return _json(
            {
                "ok": delivery.ok,
                "status": delivery.status,
                "error": delivery.error,
                "body": delivery.body[:2000],
            }
        )

    def route(environ: dict[str, Any]) -> Response | Reply:
        method = environ.get("REQUEST_METHOD", "GET")
        path = environ.get("PATH_INFO", "/")
        body = read_body(environ) if method == "POST" else b""
        if path == "/_console/faults":
            return faults(method, body)
        head, _, rest = path.lstrip("/").partition("/")
        if path in ("/", "/index.html"):
            return 200, "text/html; charset=utf-8", PAGE.read_bytes()
        if head == "api" and rest:
            return api(rest, environ, body)
        if head == "files" and rest:
            return serve_file(rest)
        if path == "/console/state":
            query = dict(urllib.parse.parse_qsl(environ.get("QUERY_STRING", "")))
            user = query.get("user") or next(iter(state.users), "")
            return _json(page_state(state, user))
        if method != "POST":
            return _text("method_not_allowed", 405)
        if head == "response" and rest:
            try:
                payload = json.loads(body.decode("utf-8") or "{}")
            except ValueError:
                payload = parse_args(environ, body)
            if not isinstance(payload, dict):
                return _text("invalid_payload", 400)
            status, text = use_response_url(state, rest, payload)
            return _text(text, status)
        if head == "upload" and rest:
            return upload(rest, environ, body)
        if path in ("/console/command", "/console/click"):
            return console_action(rest, body)
        if path in ("/console/submit", "/console/close", "/console/home", "/console/click-view"):
            return view_action(rest, body)
        return _text("not_found", 404)

    def app(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        extra: list[tuple[str, str]] = []
        try:
            answer = route(environ)
            status, ctype, data = answer[0], answer[1], answer[2]
            if len(answer) == 4:
                extra = list(answer[3])
        except Exception as exc:  # answer instead of dropping the connection
            status, ctype, data = _text(f"console error: {exc!r}", 500)
        start_response(
            f"{status} {REASONS.get(status, 'Error')}",
            [
                ("Content-Type", ctype),
                ("Content-Length", str(len(data))),
                ("Cache-Control", "no-store"),
                *extra,
            ],
        )
        return [data]

    return app
