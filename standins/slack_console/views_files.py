"""Web API methods for modals/App Home views and external file uploads."""

from __future__ import annotations

import copy
import mimetypes
import time
from typing import Any

from .state import APP_ID, BOT_USER_ID, ConsoleState
from .surfaces import open_modal_for
from .webapi import ApiError, Args, Result, resolve_channel_arg


def _view(args: Args) -> dict[str, Any]:
    view = args.get("view")
    if not isinstance(view, dict) or "type" not in view:
        raise ApiError("invalid_arguments")
    return view


def _store_view(state: ConsoleState, view: dict[str, Any], view_id: str | None) -> Result:
    stored = copy.deepcopy(view)
    stored["id"] = view_id or state.new_id("V")
    stored["hash"] = str(time.time())
    stored["team_id"] = state.team_id
    stored["app_id"] = APP_ID
    state.views[stored["id"]] = stored
    state.bump()
    return {"ok": True, "view": copy.deepcopy(stored)}


def views_open(state: ConsoleState, args: Args) -> Result:
    """views.open: needs a trigger_id the console issued."""
    if args.get("trigger_id") not in state.triggers:
        raise ApiError("invalid_trigger_id")
    result = _store_view(state, _view(args), None)
    open_modal_for(state, str(args["trigger_id"]), result["view"]["id"])
    return result


def views_update(state: ConsoleState, args: Args) -> Result:
    """views.update by view_id or external_id."""
    view = _view(args)
    view_id = args.get("view_id")
    if not view_id and args.get("external_id"):
        for vid, stored in state.views.items():
            if stored.get("external_id") == args["external_id"]:
                view_id = vid
    if view_id not in state.views:
        raise ApiError("not_found")
    return _store_view(state, view, str(view_id))


def views_publish(state: ConsoleState, args: Args) -> Result:
    """views.publish: a user's App Home view."""
    user = args.get("user_id")
    if user not in state.users:
        raise ApiError("user_not_found")
    result = _store_view(state, _view(args), None)
    state.home_views[str(user)] = result["view"]
    return result


def files_get_upload_url_external(state: ConsoleState, args: Args) -> Result:
    """files.getUploadURLExternal: reserve a file id and an upload URL on the console."""
    filename = str(args.get("filename") or "")
    try:
        length = int(args.get("length") or 0)
    except (TypeError, ValueError) as exc:
        raise ApiError("invalid_arguments") from exc
    if not filename or length <= 0:
        raise ApiError("invalid_arguments")
    fid = state.new_id("F")
    mimetype = mimetypes.guess_type(filename)[0] or "application/octet-stream"
    state.file_meta[fid] = {
        "id": fid,
        "name": filename,
        "title": filename,
        "mimetype": mimetype,
        "filetype": filename.rsplit(".", 1)[-1].lower() if "." in filename else "binary",
        "size": length,
        "user": BOT_USER_ID,
        "created": int(time.time()),
        "url_private": f"{state.base_url}/files/{fid}",
        "url_private_download": f"{state.base_url}/files/{fid}",
        "permalink": f"{state.base_url}/files/{fid}",
        "channels": [],
        "uploaded": False,
        "alt_txt": args.get("alt_txt") or "",
    }
    return {"ok": True, "upload_url": f"{state.base_url}/upload/{fid}", "file_id": fid}


def files_complete_upload_external(state: ConsoleState, args: Args) -> Result:
    """files.completeUploadExternal: finish uploads and share them into a channel."""
    files = args.get("files")
    if not isinstance(files, list) or not files:
        raise ApiError("invalid_arguments")
    ids: list[str] = []
    for item in files:
        fid = item.get("id") if isinstance(item, dict) else None
        if fid not in state.file_meta or not state.file_meta[fid]["uploaded"]:
            raise ApiError("file_not_found")
        if item.get("title"):
            state.file_meta[fid]["title"] = item["title"]
        ids.append(fid)
    targets = [args["channel_id"]] if args.get("channel_id") else []
    targets += [c for c in str(args.get("channels") or "").split(",") if c]
    cids = [resolve_channel_arg(state, {"channel": c}) for c in targets]
    for cid in cids:
        for fid in ids:
            state.file_meta[fid]["channels"].append(cid)
        state.add_message(
            channel=cid,
            user=BOT_USER_ID,
            text=str(args.get("initial_comment") or ""),
            files=ids,
            thread_ts=args.get("thread_ts") or None,
        )
    return {"ok": True, "files": [state.file_object(fid) for fid in ids]}


def files_info(state: ConsoleState, args: Args) -> Result:
    """files.info."""
    fid = args.get("file")
    if fid not in state.file_meta:
        raise ApiError("file_not_found")
    return {"ok": True, "file": state.file_object(str(fid))}
