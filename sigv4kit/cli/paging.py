"""Pagination as the AWS CLI does it: all pages by default, ``--max-items``,
``--starting-token``, ``--page-size``, ``--no-paginate``, from botocore's paginator
definitions (``sigv4kit.aws.paginators``) and through botocore's own ``PageIterator``, so
the NextToken we print is the one ``aws`` prints and accepts back."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any, TypeVar

import click

from ..aws.paginators import Paginator, paginator
from ..ec2.model import API_VERSION

__all__ = [
    "ec2_paginator", "full_result", "page_iterator", "paging_options", "should_paginate",
    "text_pages",
]

F = TypeVar("F", bound=Callable[..., Any])


def ec2_paginator(action: str) -> Paginator | None:
    return paginator("ec2", API_VERSION, action)


DEFAULT_MAX_PAGES = 1000
"""Pages one command follows by default: a server that keeps handing out fresh NextTokens
must not keep it going for ever (1,000 pages of DescribeSnapshots are a million snapshots)."""


def paging_options(f: F) -> F:
    f = click.option("--max-pages", type=click.IntRange(min=1), default=DEFAULT_MAX_PAGES,
                     envvar="SIGV4KIT_MAX_PAGES", show_envvar=True, show_default=True,
                     help="Most pages to follow; past it the command stops with exit 1.")(f)
    f = click.option("--no-paginate", is_flag=True,
                     help="Make one call and print its page only.")(f)
    f = click.option("--page-size", type=click.IntRange(min=1), default=None,
                     help="Items per call (the NextToken pages keep going).")(f)
    f = click.option("--starting-token", metavar="TOKEN",
                     help="The NextToken printed by an earlier cut-off result.")(f)
    return click.option("--max-items", type=click.IntRange(min=1), default=None,
                        help="Items to print in all; a NextToken follows when more exist.")(f)


def page_iterator(call: Callable[[str, Mapping[str, Any]], dict[str, Any]], action: str,
                  pages: Paginator, params: Mapping[str, Any], opts: Mapping[str, Any]) -> Any:
    """botocore's ``PageIterator`` over ``call(action, …)`` with the paging options."""
    import jmespath
    from botocore.paginate import PageIterator  # type: ignore[import-untyped]

    cap = opts.get("max_pages") or DEFAULT_MAX_PAGES
    calls = 0
    seen: set[tuple[Any, ...]] = set()

    def method(**kwargs: Any) -> dict[str, Any]:
        nonlocal calls
        calls += 1
        token = tuple(repr(kwargs.get(name)) for name in pages.input_token)
        if any(name in kwargs for name in pages.input_token):
            if token in seen:  # botocore checks only the last one: a cycle a, b, a never ends
                from botocore.exceptions import PaginationError  # type: ignore[import-untyped]

                raise PaginationError(
                    message="a next token was received again after other pages (the listing "
                    f"loops): {({n: kwargs.get(n) for n in pages.input_token})}")
            seen.add(token)
        if calls > cap:
            from .common import ServiceError

            raise ServiceError(
                f"{action}: stopped after {cap} pages, the answer still had a NextToken "
                "(--max-pages or SIGV4KIT_MAX_PAGES sets the cap; --max-items or --filters "
                "make the listing shorter)")
        return call(action, kwargs)

    return PageIterator(
        method,
        list(pages.input_token),
        [jmespath.compile(t) for t in pages.output_token],
        None if pages.more_results is None else jmespath.compile(pages.more_results),
        [jmespath.compile(k) for k in pages.result_key],
        [jmespath.compile(k) for k in pages.non_aggregate_keys],
        pages.limit_key,
        opts.get("max_items"),
        opts.get("starting_token"),
        opts.get("page_size"),
        dict(params),
    )


def should_paginate(pages: Paginator | None, params: Mapping[str, Any],
                    opts: Mapping[str, Any]) -> bool:
    """The AWS CLI pages unless told not to, or unless the caller set the token or limit
    member itself (``--next-token``, ``--max-results``)."""
    if pages is None:
        return False
    chosen = [o for o in ("max_items", "starting_token", "page_size") if opts.get(o)]
    manual = [m for m in (*pages.input_token, pages.limit_key) if m and m in params]
    if opts.get("no_paginate") or manual:
        if chosen:
            flag = "--" + chosen[0].replace("_", "-")
            why = "--no-paginate" if opts.get("no_paginate") else "the token or limit member"
            raise click.UsageError(f"{flag} cannot be used with {why}")
        return False
    return True


def full_result(iterator: Any) -> dict[str, Any]:
    """All pages merged, with NextToken when --max-items cut the result short."""
    try:
        result: dict[str, Any] = iterator.build_full_result()
    except ValueError as exc:
        if "starting token" in str(exc).lower():
            raise click.BadParameter(str(exc), param_hint="--starting-token") from None
        raise
    return result


def text_pages(iterator: Any) -> Iterator[Any]:
    """The pieces the AWS CLI's text output prints, page by page (each page's result keys,
    then the NextToken), each yielded as soon as its page arrived: a long listing streams as
    it does there."""
    from botocore.utils import set_value_from_jmespath  # type: ignore[import-untyped]

    try:
        for i, page in enumerate(iterator):
            current: dict[str, Any] = {} if i else iterator.non_aggregate_part
            for key in iterator.result_keys:
                set_value_from_jmespath(current, key.expression, key.search(page))
            yield current
    except ValueError as exc:
        if "starting token" in str(exc).lower():
            raise click.BadParameter(str(exc), param_hint="--starting-token") from None
        raise
    if iterator.resume_token:
        yield {"NextToken": {"NextToken": iterator.resume_token}}


def streamable_key(pages: Paginator, query: Any) -> str | None:
    """The one top-level list a JSON listing can be printed item by item (no --query, which
    needs the whole result; one result key; nothing else merged in), or None."""
    if query is not None or len(pages.result_key) != 1 or pages.non_aggregate_keys:
        return None
    key = pages.result_key[0]
    return key if key.isidentifier() else None


def json_pages(iterator: Any, key: str, prepare: Callable[[Any], Any]) -> Iterator[str]:
    """The AWS CLI's JSON of the whole listing (``json.dumps(full_result, indent=4)``, byte
    for byte), as text yielded as each page arrives: an endless listing shows what came
    before the cap or the deadline stops it."""
    import json
    import textwrap

    from .output import _json_default

    started = empty = False
    count = 0
    try:
        for page in iterator:
            items = page.get(key)
            if items is None:
                continue
            if not started:
                started, empty = True, True
                yield "{\n    " + json.dumps(key) + ": ["
            for item in items:
                text = json.dumps(prepare(item), indent=4, default=_json_default,
                                  ensure_ascii=False)
                yield ("\n" if not count else ",\n") + textwrap.indent(text, " " * 8)
                count += 1
                empty = False
    except ValueError as exc:
        if "starting token" in str(exc).lower():
            raise click.BadParameter(str(exc), param_hint="--starting-token") from None
        raise
    token = iterator.resume_token
    if not started and token is None:
        return  # {} prints nothing, as format_json does
    if not started:
        yield "{"
    elif empty:
        yield "]"
    else:
        yield "\n    ]"
    if token is not None:
        yield ("," if started else "") + "\n    " + json.dumps("NextToken") + ": " + \
            json.dumps(token, ensure_ascii=False)
    yield "\n}\n"
