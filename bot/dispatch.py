"""How every command and click runs: decoded once, acked at once, answered on our workers.

A registered handler keeps its plain Bolt signature (`ack`, `command`, `respond`, ...).
The listener Bolt calls is a thin wrapper that

1. decodes the button value / modal metadata with the payload model registered for the
   action (bot/payloads.py) and answers "That button is out of date" itself if it does
   not decode or no longer fits the configuration (the handler then gets `value=`);
2. hands the handler to the answer pool (bot/workers.py) with a stand-in `ack`;
3. waits, on the listener thread, only for that `ack()` (milliseconds: handlers ack
   before any slow work) and returns it to Slack. When every worker is busy it acks at
   once with "busy: your answer is queued, N ahead"; an ack the handler makes later is
   delivered through response_url instead, so nothing the handler says is lost.

Bolt runs with `process_before_response=True`: the wrapper itself is quick, so no
listener ever outlives Slack's 3 seconds and falls through to the catch-all.
"""

from __future__ import annotations

import inspect
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import urlsplit

from slack_bolt.kwargs_injection.args import Args
from slack_sdk.webhook import WebhookClient

from bot.observability.metrics import QUEUE_REJECTIONS, observe_answer
from bot.payloads import Payload, PayloadError
from bot.render.common import error_message
from bot.services import Services
from bot.slack.response_url import CountingRespond, count_webhook
from bot.workers import AnswerPool

log = logging.getLogger(__name__)

#: How long the listener thread waits for a handler's ack before acking for it. Handlers
#: ack within milliseconds; a busy process (threads contending for the interpreter) can
#: delay that, and Slack's 3 seconds must hold anyway.
ACK_WAIT_SECONDS = 0.25
#: A modal's ack carries its validation errors (and closing it), so it is waited for longer.
VIEW_ACK_WAIT_SECONDS = 2.0
#: What the listener acks with when the handler has not acked in time.
WORKING = ":hourglass: Working on it…"
OUT_OF_DATE = "That button is out of date — run the command again."
SLACK_HOOKS = ("https://hooks.slack.com/", "https://hooks.slack-gov.com/")

Handler = Callable[..., Any]


class AckProxy:
    """Stands in for Bolt's `ack` inside a worker; remembers what the handler acked."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._done = threading.Event()
        self._closed = False
        self.kwargs: dict[str, Any] | None = None
        self.late: dict[str, Any] | None = None

    def __call__(self, text: Any = "", **kwargs: Any) -> None:
        acked = dict(kwargs)
        if isinstance(text, dict):
            acked.update(text)
        elif text:
            acked["text"] = text
        with self._lock:
            if self.kwargs is not None or self.late is not None:
                return  # a second ack is ignored, as Bolt's is
            if self._closed:
                self.late = acked
            else:
                self.kwargs = acked
        self._done.set()

    def wait(self, timeout: float) -> dict[str, Any] | None:
        """What was acked within `timeout` (None: nothing yet; later acks count as late)."""
        self._done.wait(timeout)
        with self._lock:
            self._closed = True
            return self.kwargs

    def close(self) -> None:
        """From now on, an ack is late."""
        with self._lock:
            self._closed = True


def allowed_response_url(url: Any, services: Services) -> bool:
    """Slack's own response URLs, or (demo, tests) the configured Slack API host."""
    if not isinstance(url, str):
        return False
    if url.startswith(SLACK_HOOKS):
        return True
    api = urlsplit(services.settings.slack_api_url)
    if api.hostname in {"slack.com", "www.slack.com"}:
        return False
    target = urlsplit(url)
    return (target.scheme, target.netloc) == (api.scheme, api.netloc)


def response_url_of(body: Any) -> str | None:
    """The request's response_url (or the first of a modal's response_urls)."""
    if not isinstance(body, dict):
        return None
    url = body.get("response_url")
    if isinstance(url, str):
        return url
    urls = body.get("response_urls")
    if isinstance(urls, list) and urls and isinstance(urls[0], dict):
        first = urls[0].get("response_url")
        return first if isinstance(first, str) else None
    return None


def _metric_label(handler: Handler, args: Args, source: str) -> str | None:
    """A bounded label for answer metrics: the slash command, or the listener's name; None
    for a handler that answers later on its own workers and times itself (`/cost`)."""
    if getattr(handler, "times_itself", False):
        return None
    if source == "command":
        return str((args.command or {}).get("command") or "other")
    return getattr(handler, "__name__", "other")


class Dispatcher:
    """Wraps handlers into quick listeners that run them on `pool`."""

    def __init__(
        self, services: Services, pool: AnswerPool, *, acks_elsewhere: bool = False
    ) -> None:
        """`acks_elsewhere`: this process answers requests another one has acked already
        (bot/answers): whatever a handler acks goes to the response_url instead."""
        self.services, self.pool = services, pool
        self.acks_elsewhere = acks_elsewhere

    # ------------------------------------------------------------- wrappers
    def command(self, handler: Handler) -> Handler:
        """A slash command listener."""
        return self._wrap(handler, model=None, source="command")

    def action(self, handler: Handler, model: type[Payload] | None) -> Handler:
        """A button listener; its value is decoded with `model` first."""
        return self._wrap(handler, model=model, source="action")

    def event(self, handler: Handler) -> Handler:
        """An Events API listener: acked at once (Slack ignores the body), run on the pool."""
        return self._wrap(handler, model=None, source="event")

    def view(self, handler: Handler, model: type[Payload] | None) -> Handler:
        """A modal submission listener; its private_metadata is decoded with `model`."""
        return self._wrap(handler, model=model, source="view")

    def unknown_action(self, args: Args) -> None:
        """A click on a button no listener knows (an old message, a junk payload)."""
        self.out_of_date(args, "no listener for this action id")

    def unknown_view(self, args: Args) -> None:
        """A modal submitted or closed that no listener knows: acked, logged, nothing else."""
        log.warning("ignored a %s for an unknown modal (%s)", _kind(args.body), _user(args))
        args.ack()

    # ----------------------------------------------------------- answering
    def out_of_date(self, args: Args, reason: str, *, model: type[Payload] | None = None) -> None:
        """The one answer to a value that does not decode (and a log line): a modal whose
        metadata names an input block says so there; anything else gets OUT_OF_DATE."""
        action_id = (args.action or {}).get("action_id") if args.action else None
        log.warning("out-of-date %s payload (%s): %s", action_id or "view", _user(args), reason)
        block = getattr(model, "ERROR_BLOCK", None) if args.view is not None else None
        if isinstance(block, str):
            args.ack(response_action="errors", errors={block: "This form is out of date."})
            return
        args.ack()
        self.notify(args.body, OUT_OF_DATE)

    def notify(self, body: Any, text: str, *, hint: str | None = None) -> None:
        """Post an ephemeral line to the request's response_url, off this thread."""
        url = response_url_of(body)
        if url is None or not allowed_response_url(url, self.services):
            return
        post_notice(url, error_message(text, hint=hint) if hint else {"text": text})

    def answer_error(self, body: Any, error: BaseException) -> None:
        """A handler failed: log it and tell the user plainly (only on a Slack URL)."""
        log.error("listener failed: %s", type(error).__name__, exc_info=error)
        self.notify(
            body,
            "Something went wrong on our side while answering this.",
            hint="It has been logged. Try again in a minute; if it keeps failing, "
            "tell the bot's admins.",
        )

    # ------------------------------------------------------------ internals
    def _wrap(self, handler: Handler, *, model: type[Payload] | None, source: str) -> Handler:
        wanted = set(inspect.signature(handler).parameters)

        def listener(args: Args) -> None:
            value: Payload | None = None
            if model is not None:
                raw = (args.action or {}).get("value") if source == "action" else _metadata(args)
                try:
                    value = model.decode(raw)
                except PayloadError as exc:
                    self.out_of_date(args, str(exc), model=model)
                    return
                problem = value.problem(self.services.config)
                if problem:
                    self.out_of_date(args, problem, model=model)
                    return
            self._run(handler, wanted, args, value, source)

        listener.__name__ = getattr(handler, "__name__", "listener")
        listener.__doc__ = handler.__doc__
        return listener

    def _run(
        self, handler: Handler, wanted: set[str], args: Args, value: Payload | None, source: str
    ) -> None:
        proxy = AckProxy()
        if source == "event" or self.acks_elsewhere:
            proxy.close()  # nothing waits for this ack: it is delivered late, if at all
        kwargs = {name: _argument(name, args, proxy, value) for name in wanted}
        received = time.perf_counter()
        label = _metric_label(handler, args, source)

        def job() -> None:
            outcome = "ok"
            try:
                handler(**kwargs)
            except Exception as exc:
                outcome = "failed"
                self.answer_error(args.body, exc)
            if label is not None:
                observe_answer(label, time.perf_counter() - received, outcome)
            late = proxy.late if source != "event" else None
            if late and (late.get("blocks") or late.get("text")) and not _progress(late):
                self._deliver_late(args, late)

        admission = self.pool.submit(job, lane=_lane(args, source))
        if admission.refused:
            QUEUE_REJECTIONS.inc()
            busy, waiting = self.pool.load()
            log.warning("answer queue full (%d running, %d waiting): refused", busy, waiting)
            self._ack_busy(
                args,
                source,
                f"busy: {waiting} answers are already waiting, so this one was not queued. "
                "Try again in a minute.",
            )
            return
        if source == "event" or (self.acks_elsewhere and admission.started):
            args.ack()
            return
        if not admission.started:
            proxy.close()
            self._ack_busy(args, source, f"busy: your answer is queued, {admission.ahead} ahead.")
            return
        acked = proxy.wait(VIEW_ACK_WAIT_SECONDS if source == "view" else ACK_WAIT_SECONDS)
        if acked is None:  # the handler is slow to ack: ack for it, its ack follows later
            args.ack(text=WORKING if source == "command" else "")
            return
        args.ack(**acked)

    def _ack_busy(self, args: Args, source: str, text: str) -> None:
        if source == "command" and not self.acks_elsewhere:
            args.ack(text=f":hourglass: {text}", response_type="ephemeral")
        else:  # Slack ignores an ack's body for clicks: say it through response_url
            args.ack()
            self.notify(args.body, f":hourglass: {text}")

    def _deliver_late(self, args: Args, late: dict[str, Any]) -> None:
        """An ack made after the listener answered: show it through response_url."""
        if args.respond is None:
            return
        message = {k: v for k, v in late.items() if k in ("text", "blocks", "attachments")}
        try:
            CountingRespond(args.respond)(
                **message, response_type="ephemeral", replace_original=False
            )
        except Exception as exc:
            log.warning("could not deliver a late answer: %s", type(exc).__name__)


def _lane(args: Args, source: str) -> str:
    """Which queue lane a job waits in: its command or its button's action id."""
    if source == "command" and isinstance(args.command, dict):
        return str(args.command.get("command", "command"))
    if source == "action" and isinstance(args.action, dict):
        return str(args.action.get("action_id", "action"))
    return source


def _progress(acked: dict[str, Any]) -> bool:
    """A progress line ("Looking for waste…"): said already by "Working on it…" or the
    busy notice, so not worth a second message when it comes late."""
    return str(acked.get("text", "")).rstrip().endswith("…")


def _argument(name: str, args: Args, proxy: AckProxy, value: Payload | None) -> Any:
    if name == "ack":
        return proxy
    if name == "value":
        return value
    if name == "args":
        return args
    if name == "respond" and args.respond is not None:
        return CountingRespond(args.respond)
    return getattr(args, name)


def _metadata(args: Args) -> Any:
    view = args.view if isinstance(args.view, dict) else {}
    return view.get("private_metadata")


def _user(args: Args) -> str:
    body = args.body if isinstance(args.body, dict) else {}
    user = body.get("user")
    if isinstance(user, dict):
        return str(user.get("id", "?"))
    return str(body.get("user_id", "?"))


def _kind(body: Any) -> str:
    kind = body.get("type") if isinstance(body, dict) else None
    return kind if isinstance(kind, str) else "payload"


_NOTICES = ThreadPoolExecutor(1, "slack-notice")


def post_notice(url: str, message: dict[str, Any]) -> None:
    """Post an ephemeral message to an (already allowed) response_url, off this thread."""
    try:
        _NOTICES.submit(_post_webhook, url, message)
    except RuntimeError:  # the interpreter is shutting down
        log.info("not posting a notice: shutting down")


def _post_webhook(url: str, message: dict[str, Any]) -> None:
    try:
        answer = WebhookClient(url, timeout=5).send(
            text=message.get("text", ""),
            blocks=message.get("blocks"),
            response_type="ephemeral",
            replace_original=False,
        )
    except Exception as exc:
        count_webhook(None)
        log.warning("could not post to response_url: %s", type(exc).__name__)
        return
    count_webhook(answer.status_code)
