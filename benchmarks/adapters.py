"""Target 5b: what each HTTP adapter adds over the core signing of the same request.

    .venv/bin/python benchmarks/adapters.py [--repeat 15] [--profiles notoken,token] [--json F]

For requests (``SigV4Auth``), httpx sync and async (``SigV4Auth``) and aiohttp
(``SigV4Middleware``), the library builds its request object once (an EC2 Query POST, the
request of run.py's case 2); each timed call then puts that object back as the library
handed it over ("restore": the URL and a fresh copy of its headers, attribute assignments)
and calls the adapter at the seam the library calls it, with no network:

- requests: ``auth(prepared)`` (what ``PreparedRequest.prepare_auth`` calls);
- httpx: ``next(auth.sync_auth_flow(request))`` and the first step of
  ``auth.async_auth_flow(request)`` (what httpx's clients do before sending);
- aiohttp: the middleware's signing step (``await middleware._sign(request)``, what its
  ``__call__`` does before calling the handler); coroutines are stepped without an event
  loop (nothing in them waits).

The adapter's µs are (restore + adapter) - (restore), both timed in the same interleaved
rounds as the core's ``sign_request(Request(method, url, headers, body))`` of the same
method, canonical URL, headers (those the library's object carries: User-Agent, Accept,
Content-Length ...) and body; overhead = adapter / core - 1 (target: <= 15 %). What is the
library's (building and preparing its request) is not in either: for requests it is shown
apart (``Session.prepare_request`` without and with the auth, the ~90 µs of earlier notes).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

from inputs import FIXED_AMZ, POST_BODY, POST_HEADERS, POST_URL, PROFILES, Profile
from timing import best_us_each

from sigv4kit import Request, sign_request

# Each library is imported where its subject is built: an instruction count (--instructions)
# then starts only the interpreter and the library it measures.

SCOPE = {"region": "us-east-1", "service": "ec2"}


def step(coroutine: Coroutine[Any, Any, Any]) -> Any:
    """Run a coroutine that never waits to its end, without an event loop."""
    try:
        coroutine.send(None)
    except StopIteration as done:
        return done.value
    raise AssertionError("the coroutine waited")


class Subject:
    """One adapter on one library's request object: ``restore`` puts the object back as the
    library handed it over, ``sign`` calls the adapter on it, ``sent`` are the headers the
    core is given for the same request."""

    def __init__(self, name: str, restore: Callable[[], Any], sign: Callable[[Any], Any],
                 headers: Callable[[Any], list[tuple[str, str]]],
                 url: Callable[[Any], str]) -> None:
        self.name, self.restore, self.sign = name, restore, sign
        self.headers, self.url = headers, url

    def signed(self) -> tuple[str, list[tuple[str, str]]]:
        """(URL, headers) after one signing, for the checks."""
        request = self.restore()
        self.sign(request)
        return self.url(request), self.headers(request)


def requests_subject(profile: Profile) -> tuple[Subject, Any]:
    import requests
    from requests.structures import CaseInsensitiveDict

    from sigv4kit.integrations.requests import SigV4Auth as RequestsAuth

    session = requests.Session()
    pristine = session.prepare_request(
        requests.Request("POST", POST_URL, data=POST_BODY, headers=dict(POST_HEADERS))
    )
    url0, headers0 = pristine.url, list(pristine.headers.items())
    auth = RequestsAuth(profile.creds, **SCOPE)  # type: ignore[arg-type]
    request = pristine.copy()

    def restore() -> Any:
        request.url = url0
        request.headers = CaseInsensitiveDict(headers0)
        request.hooks = {"response": []}
        return request

    def headers(r: Any) -> list[tuple[str, str]]:
        # lower_items: requests' cheapest read of its headers (items() looks each one up)
        return [(n, v if isinstance(v, str) else v.decode()) for n, v in r.headers.lower_items()]

    return Subject("requests", restore, auth, headers, lambda r: str(r.url)), session


def httpx_subject(profile: Profile, is_async: bool) -> Subject:
    import httpx

    from sigv4kit.integrations.httpx import SigV4Auth as HttpxAuth

    client: Any = httpx.AsyncClient() if is_async else httpx.Client()
    pristine = client.build_request(
        "POST", POST_URL, content=POST_BODY, headers=dict(POST_HEADERS)
    )
    url0, headers0 = pristine.url, pristine.headers.multi_items()
    auth = HttpxAuth(profile.creds, **SCOPE)  # type: ignore[arg-type]

    def restore() -> Any:
        pristine.url = url0
        pristine.headers = httpx.Headers(headers0)
        return pristine

    if is_async:
        def sign(r: Any) -> Any:
            flow = auth.async_auth_flow(r)
            sent = step(flow.__anext__())
            step(flow.aclose())
            return sent
    else:
        def sign(r: Any) -> Any:
            return next(auth.sync_auth_flow(r))

    return Subject(
        "httpx async" if is_async else "httpx sync", restore, sign,
        lambda r: r.headers.multi_items(), lambda r: str(r.url),
    )


def aiohttp_subject(profile: Profile) -> Subject:
    import aiohttp
    from multidict import CIMultiDict
    from yarl import URL

    from sigv4kit.integrations.aiohttp import SigV4Middleware

    loop = asyncio.new_event_loop()
    pristine = aiohttp.ClientRequest(
        "POST", URL(POST_URL), data=POST_BODY, headers=dict(POST_HEADERS), loop=loop
    )
    url0, headers0 = pristine.url, list(pristine.headers.items())
    middleware = SigV4Middleware(profile.creds, **SCOPE)  # type: ignore[arg-type]

    def restore() -> Any:
        pristine.url = url0
        pristine.headers = CIMultiDict(headers0)
        return pristine

    return Subject(
        "aiohttp", restore, lambda r: step(middleware._sign(r)),
        lambda r: list(r.headers.items()), lambda r: str(r.url),
    )


def core_of(subject: Subject, profile: Profile) -> Callable[..., Any]:
    """The core's signing of the request the adapter is given: same method, canonical URL,
    headers and body."""
    request = subject.restore()
    url = subject.url(request)
    sent = subject.headers(request)

    def core(timestamp: str | None = None) -> Any:
        return sign_request(Request("POST", url, sent, POST_BODY), profile.creds,
                            timestamp=timestamp, **SCOPE)  # type: ignore[arg-type]

    return core


def library_floor(subject: Subject, core: Callable[..., Any]) -> Callable[[Any], None]:
    """The library's calls any adapter makes, timed apart: read the URL and the headers from
    its request object and set the headers signing added, through the library's own API."""
    added = core().added_headers
    url, headers = subject.url, subject.headers

    def floor(request: Any) -> None:
        url(request)
        headers(request)
        into = request.headers
        for name, value in added:
            into[name] = value

    return floor


def check(subject: Subject, core: Callable[..., Any]) -> None:
    """Same work: the adapter's request carries the core's signature for the same time
    (the X-Amz-Date it used), and the URL is the one the core signed."""
    url, headers = subject.signed()
    got = dict((n.lower(), v) for n, v in headers)
    expected = core(got["x-amz-date"])
    assert url == expected.request.url, (url, expected.request.url)
    assert got["authorization"].endswith("Signature=" + expected.signature), subject.name


ADAPTERS = ("requests", "httpx-sync", "httpx-async", "aiohttp")
PARTS = ("adapter", "restore", "core", "library")


def row(adapter: str, profile: Profile, per: dict[str, float]) -> dict[str, Any]:
    """One line of the table from the per-call figures of the four parts (µs or thousands
    of instructions): the adapter's share beyond the core, split into the library's calls
    and ours."""
    total = per["adapter"] - per["restore"]
    library = per["library"] - per["restore"]
    return {
        "name": adapter, "profile": profile.name, "core": per["core"],
        "adapter": total, "library_calls": library, "ours": total - library - per["core"],
        "restore": per["restore"],
        "overhead_pct": (total / per["core"] - 1) * 100,
        "ours_pct": (total - library - per["core"]) / per["core"] * 100,
    }


def subject_of(adapter: str, profile: Profile) -> Subject:
    if adapter == "requests":
        return requests_subject(profile)[0]
    if adapter.startswith("httpx-"):
        return httpx_subject(profile, adapter == "httpx-async")
    assert adapter == "aiohttp", adapter
    return aiohttp_subject(profile)


def operation(name: str) -> Callable[[], object]:
    """``ADAPTER:PART:PROFILE`` as one call, for instructions.py (``PART``: ``adapter`` =
    restore and sign, ``restore``, ``core``), after the same-work check."""
    adapter, part, profile_name = name.split(":")
    profile = PROFILES[profile_name]
    subject = subject_of(adapter, profile)
    core = core_of(subject, profile)
    check(subject, core)
    restore, sign, floor = subject.restore, subject.sign, library_floor(subject, core)
    parts: dict[str, Callable[[], object]] = {
        "adapter": lambda: sign(restore()), "restore": restore, "core": core,
        "library": lambda: floor(restore()),
    }
    return parts[part]


def instructions(profile: Profile, runs: int, parts: tuple[str, ...]) -> list[dict[str, Any]]:
    """The table's figures in instructions (callgrind, instructions.py): per operation,
    thousands; a fresh interpreter per count, so the imports cancel out. ``parts`` other
    than all three: the counts only (to compare code before and after a change)."""
    from instructions import count

    rows = []
    for adapter in ADAPTERS:
        base = count(f"adapter:{adapter}:core:{profile.name}", 0)
        per = {part: (count(f"adapter:{adapter}:{part}:{profile.name}", runs) - base) / runs
               for part in parts}
        if len(per) < len(PARTS):
            print(f"  {adapter} [{profile.name}]: {per}", flush=True)
            continue
        rows.append(row(adapter.replace("-", " "), profile, {k: v / 1000 for k, v in per.items()}))
        print(f"  {adapter} [{profile.name}]: {rows[-1]}", flush=True)
    return rows


def measure(profile: Profile, repeat: int) -> list[dict[str, Any]]:
    subjects = [subject_of(adapter, profile) for adapter in ADAPTERS]
    rows = []
    for subject in subjects:
        core = core_of(subject, profile)
        check(subject, core)
        restore, sign, floor = subject.restore, subject.sign, library_floor(subject, core)
        times = best_us_each(
            {
                "restore": restore,
                "adapter": lambda restore=restore, sign=sign: sign(restore()),
                "core": core,
                "library": lambda restore=restore, floor=floor: floor(restore()),
            },
            repeat,
        )
        rows.append(row(subject.name, profile, times))
    return rows


def requests_preparation(profile: Profile, repeat: int) -> dict[str, Any]:
    """requests' own work, apart: ``Session.prepare_request`` without and with the auth."""
    import requests

    from sigv4kit.integrations.requests import SigV4Auth as RequestsAuth

    session = requests.Session()
    auth = RequestsAuth(profile.creds, **SCOPE)  # type: ignore[arg-type]

    def prepare(auth: Any = None) -> Any:
        return session.prepare_request(requests.Request(
            "POST", POST_URL, data=POST_BODY, headers=dict(POST_HEADERS), auth=auth))

    times = best_us_each({"without": prepare, "with": lambda: prepare(auth)}, repeat)
    return {"profile": profile.name, "prepare_without_auth_us": times["without"],
            "prepare_with_auth_us": times["with"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--profiles", default=",".join(PROFILES))
    parser.add_argument("--json", metavar="FILE")
    parser.add_argument("--instructions", type=int, metavar="RUNS", default=0,
                        help="count instructions (valgrind) over RUNS calls instead of timing")
    parser.add_argument("--parts", default=",".join(PARTS),
                        help="with --instructions: which parts to count")
    args = parser.parse_args()
    assert FIXED_AMZ  # the inputs are run.py's
    rows, prep = [], []
    for name in args.profiles.split(","):
        profile = PROFILES[name]
        if args.instructions:
            rows += instructions(profile, args.instructions, tuple(args.parts.split(",")))
            continue
        rows += measure(profile, args.repeat)
        prep.append(requests_preparation(profile, args.repeat))
    unit = "k instructions" if args.instructions else "µs"
    print(f"\n{unit} per signing ({'callgrind' if args.instructions else 'best of rounds'}); "
          "overhead = adapter / core - 1 (target <= 15 %); library calls = the library's\n"
          "API the adapter calls (read URL and headers, set the added ones), timed apart; "
          "ours = adapter - core - library calls\n")
    print("| adapter | profile | core | adapter | overhead | library calls | ours | ours % |")
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print(f"| {r['name']} | {PROFILES[r['profile']].label} | {r['core']:.1f} | "
              f"{r['adapter']:.1f} | {r['overhead_pct']:+.0f} % | {r['library_calls']:.1f} | "
              f"{r['ours']:.1f} | {r['ours_pct']:+.0f} % |")
    for p in prep:
        print(f"\nrequests, Session.prepare_request [{PROFILES[p['profile']].label}]: "
              f"{p['prepare_without_auth_us']:.1f} µs without auth, "
              f"{p['prepare_with_auth_us']:.1f} µs with SigV4Auth")
    if args.json:
        Path(args.json).write_text(json.dumps({"adapters": rows, "requests_prepare": prep},
                                              indent=2) + "\n")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
