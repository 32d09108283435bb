"""Refreshing inventory targets: one scan per target at a time, on a bounded pool.

In one process, a refresh asked for while one of the same target runs joins it (the
same future). Across threads of other processes and replicas, the database claim
(`store.claim`) decides who scans; the others wait for the target's generation to move
and then read what that scan stored.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import timedelta
from functools import partial

from bot.aws import CURRENT_ACCOUNT, describe_aws_error
from bot.findings.model import PART_FAILURES, TargetContext
from bot.findings.registry import load_kinds
from bot.findings.scope import caller_account, target_context
from bot.inventory import store
from bot.inventory.partial import keep_last_good
from bot.inventory.store import TargetKey
from bot.observability.metrics import observe_scan
from bot.services import Services

log = logging.getLogger(__name__)
#: How often a waiting worker looks whether another replica's scan has landed.
POLL_SECONDS = 0.2


class Refresher:
    """The scans of one process (one per Services): a pool and the scans in flight."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        workers = services.config.inventory.concurrency
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="inventory")
        self._lock = threading.RLock()  # a done callback may run inside `refresh`
        self._inflight: dict[TargetKey, Future[str]] = {}
        self._own_account: str | None = None
        #: Scans this process ran (not joined), for tests and benchmarks.
        self.scans = 0

    def refresh(
        self, keys: list[TargetKey], *, seen: Mapping[TargetKey, int] | None = None
    ) -> list[Future[str]]:
        """Start (or join) a scan of each target; futures answer scanned/failed/joined.

        `seen`: the generation each target had when the caller read it and found it due; a
        scan that landed since (another replica's) is joined rather than repeated. The kinds
        of one account and region refreshed together share one context, so a listing two
        kinds need (all volumes, say) is read once."""
        futures = []
        batch = _Batch(self)
        with self._lock:
            for key in keys:
                running = self._inflight.get(key)
                if running is None:
                    known = None if seen is None else seen.get(key)
                    running = self._pool.submit(self._run, key, batch, known)
                    self._inflight[key] = running
                    running.add_done_callback(partial(self._done, key))
                futures.append(running)
        return futures

    def running(self, key: TargetKey) -> bool:
        """Whether this process is scanning `key` now."""
        with self._lock:
            return key in self._inflight

    def _done(self, key: TargetKey, _future: Future[str]) -> None:
        with self._lock:
            self._inflight.pop(key, None)

    def _account_id(self, key: TargetKey) -> str:
        if key.account != CURRENT_ACCOUNT:
            return key.account
        if self._own_account is None:
            self._own_account = caller_account(self.services.aws, key.region)
        return self._own_account

    def _run(self, key: TargetKey, batch: _Batch, seen: int | None = None) -> str:
        services = self.services
        ttl = timedelta(seconds=services.config.inventory.claim_seconds)
        generation, _ = store.generation(services.db, key)
        if seen is not None and generation != seen:
            return "joined"  # another worker's scan landed since the caller read the target
        now = services.now()
        if not store.claim(
            services.db, key, owner=self.owner, now=now, ttl=ttl, generation=generation
        ):
            return self._wait_for_other(key, generation, ttl)
        kind = load_kinds().get(key.kind)
        started = time.perf_counter()
        try:
            if kind is None:
                raise LookupError(f"finding kind {key.kind!r} is not registered")
            ctx = batch.context(key)
            with self._lock:
                self.scans += 1
            started = time.perf_counter()
            findings, extras = kind.scan_target(ctx)
            observe_scan(key.kind, time.perf_counter() - started, ok=True)
            if extras.get(PART_FAILURES):  # a part failed: keep its last good findings
                previous = store.read(services.db, [key]).get(key)
                findings, extras = keep_last_good(previous, findings, extras)
        except Exception as exc:  # one target failing must not sink the others
            observe_scan(key.kind, time.perf_counter() - started, ok=False)
            log.warning("inventory scan of %s failed: %s", key, exc)
            store.fail(
                services.db,
                key,
                owner=self.owner,
                error=describe_aws_error(exc),
                now=services.now(),
            )
            return "failed"
        if not store.save(
            services.db, key, owner=self.owner, findings=findings, extras=extras, now=services.now()
        ):
            log.warning("inventory claim on %s lapsed before its scan finished", key)
        return "scanned"

    def _wait_for_other(self, key: TargetKey, generation: int, ttl: timedelta) -> str:
        """Another worker holds the claim: wait until its scan lands (or its claim lapses)."""
        deadline = time.monotonic() + ttl.total_seconds()
        while time.monotonic() < deadline:
            current, claimed_until = store.generation(self.services.db, key)
            if current != generation or claimed_until is None:
                return "joined"
            time.sleep(POLL_SECONDS)
        return "joined"

    def shutdown(self) -> None:
        """Stop taking work; let running scans finish."""
        self._pool.shutdown(wait=True)


class _Batch:
    """Contexts shared by the targets of one refresh, one per account and region."""

    def __init__(self, refresher: Refresher) -> None:
        self.refresher = refresher
        self.moment = refresher.services.now()
        self._lock = threading.Lock()
        self._contexts: dict[tuple[str, str], TargetContext] = {}

    def context(self, key: TargetKey) -> TargetContext:
        services = self.refresher.services
        with self._lock:
            where = (key.account, key.region)
            if where not in self._contexts:
                self._contexts[where] = target_context(
                    services.aws,
                    services.config,
                    account=key.account,
                    region=key.region,
                    now=self.moment,
                    account_id=self.refresher._account_id(key),
                )
            return self._contexts[where]


_REFRESHERS: dict[int, Refresher] = {}
_REGISTRY_LOCK = threading.Lock()


def refresher_for(services: Services) -> Refresher:
    """The process's refresher for these services (one pool per database)."""
    with _REGISTRY_LOCK:
        found = _REFRESHERS.get(id(services.db))
        if found is None or found.services is not services:
            found = Refresher(services)
            _REFRESHERS[id(services.db)] = found
        return found
