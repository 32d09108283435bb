"""Dispatch of ``{base}/api/<method>`` calls: auth check, decoding, recording."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from .state import ConsoleState
from .views_files import (
    files_complete_upload_external,
    files_get_upload_url_external,
    files_info,
    views_open,
    views_publish,
    views_update,
)
from .webapi import (
    ApiError,
    Args,
    Result,
    auth_test,
    chat_delete,
    chat_post_ephemeral,
    chat_post_message,
    chat_update,
    conversations_history,
    conversations_info,
    conversations_join,
    conversations_list,
    conversations_members,
    conversations_open,
    decode_json_fields,
    users_info,
    users_list,
    users_lookup_by_email,
)

METHODS: dict[str, Callable[[ConsoleState, Args], Result]] = {
    "auth.test": auth_test,
    "chat.postMessage": chat_post_message,
    "chat.postEphemeral": chat_post_ephemeral,
    "chat.update": chat_update,
    "chat.delete": chat_delete,
    "users.info": users_info,
    "users.lookupByEmail": users_lookup_by_email,
    "users.list": users_list,
    "conversations.info": conversations_info,
    "conversations.history": conversations_history,
    "conversations.list": conversations_list,
    "conversations.join": conversations_join,
    "conversations.members": conversations_members,
    "conversations.open": conversations_open,
    "views.open": views_open,
    "views.update": views_update,
    "views.publish": views_publish,
    "files.getUploadURLExternal": files_get_upload_url_external,
    "files.completeUploadExternal": files_complete_upload_external,
    "files.info": files_info,
}


def call_method(
    state: ConsoleState, method: str, args: Args, token: str | None, expected_token: str | None
) -> Result:
    """Run one Web API call, record it, and return the JSON answer."""
    record: dict[str, Any] = {"method": method, "args": dict(args)}
    try:
        if expected_token is not None:
            if not token:
                raise ApiError("not_authed")
            if token != expected_token:
                raise ApiError("invalid_auth")
        handler = METHODS.get(method)
        if handler is None:
            raise ApiError("unknown_method")
        decoded = decode_json_fields(args)
        record["args"] = decoded
        with state.lock:
            result = handler(state, decoded)
    except ApiError as err:
        result = {"ok": False, "error": err.code}
    record.update(ok=result["ok"], error=result.get("error"))
    with state.lock:
        state.calls.append(copy.deepcopy(record))
    return result
