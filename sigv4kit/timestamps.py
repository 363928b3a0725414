"""X-Amz-Date: its one format, its one parser, the clock, and how spans of time are shown.

https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html

SigV4 carries time as ISO 8601 basic format in UTC, ``20150830T123600Z``. Every module of the
package that reads or writes such a value (signer, verifier, explain, diagnose, the CLI) does it
here, so a value one accepts the others accept too.
"""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime, timedelta

from ._caches import cached
from .errors import SigningError
from .patterns import lazy

__all__ = [
    "EARLIEST", "LATEST", "amz_date", "clock_amz_date", "format_amz_date", "format_iso", "now_or",
    "parse_amz_date", "parse_http_date", "span", "to_moment",
]

AMZ_DATE_FORMAT = "%Y%m%dT%H%M%SZ"

EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC)
"""The range of signing times: X-Amz-Date has a four-digit year, and nothing signs before Unix
time began. A moment outside it is refused where it is given, never carried into a URL."""

_AMZ_DATE = re.compile(r"([0-9]{4})([0-9]{2})([0-9]{2})T([0-9]{2})([0-9]{2})([0-9]{2})Z")


def parse_amz_date(value: str) -> datetime | None:
    """The aware UTC moment of an X-Amz-Date value, or None when it is not a real one."""
    return _parsed_amz_date(value) if type(value) is str and len(value) == 16 else None


@cached(128, keys="X-Amz-Date text", reason="requests of one second share it")
def _parsed_amz_date(value: str) -> datetime | None:
    # Many requests share an X-Amz-Date (signed in the same second): parse each once.
    m = _AMZ_DATE.fullmatch(value)
    if m is None:
        return None
    try:
        year, month, day, hour, minute, second = map(int, m.groups())
        moment = datetime(year, month, day, hour, minute, second, tzinfo=UTC)
    except ValueError:
        return None
    return moment if moment >= EARLIEST else None


_IMF_FIXDATE = lazy(
    r"(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), [0-9]{2} "
    r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) [0-9]{4} [0-9]{2}:[0-9]{2}:[0-9]{2} GMT"
)


def parsedate_to_datetime(value: str) -> datetime:
    """``email.utils.parsedate_to_datetime``, imported on first use: ``email.utils`` pulls in
    socket, random, calendar and more (a third of a CLI start-up) for this one rare parse."""
    from email.utils import parsedate_to_datetime as parse

    return parse(value)


def parse_http_date(value: str) -> datetime | None:
    """The aware UTC moment of an HTTP ``Date`` header in RFC 7231's IMF-fixdate form
    (``Sun, 30 Aug 2015 12:36:00 GMT``), or None when it is not one.

    SigV4 takes the signing time from ``Date`` when X-Amz-Date is absent; only the preferred
    form is accepted (the obsolete RFC 850 and asctime forms are what RFC 7231 says a sender
    must not generate), so a value means the same moment to every reader.
    """
    if type(value) is not str or not _IMF_FIXDATE.fullmatch(value.strip()):
        return None
    try:
        moment = parsedate_to_datetime(value.strip())
    except (TypeError, ValueError):
        return None
    moment = moment.astimezone(UTC)
    return moment if EARLIEST <= moment <= LATEST else None


def format_amz_date(moment: datetime) -> str:
    """``moment`` (aware) as X-Amz-Date."""
    return moment.astimezone(UTC).strftime(AMZ_DATE_FORMAT)


def format_iso(moment: datetime) -> str:
    """``moment`` (aware) as extended ISO 8601 in UTC, as messages show it."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def to_moment(value: object, field: str) -> datetime:
    """An aware UTC datetime from X-Amz-Date text, extended ISO 8601 text with an offset, or an
    aware datetime; anything else (or a moment out of range) is a SigningError on ``field``."""
    if isinstance(value, str):
        basic = parse_amz_date(value)
        if basic is not None:
            return basic
        return _moment_of_text(value, field)
    if isinstance(value, datetime):
        return _in_range(value, field)
    raise SigningError(f"{field}: must be a string or a datetime", field=field)


@cached(128, keys="(time text, field)", reason="a caller passes the same time again and again")
def _moment_of_text(value: str, field: str) -> datetime:
    # A caller that passes a time usually passes the same one many times: check it once.
    shown = _shown(value)
    if _AMZ_DATE.fullmatch(value):
        raise SigningError(f"{field}: {shown} is not a real date and time", field=field)
    example = "e.g. 20150830T123600Z or 2015-08-30T12:36:00Z"
    if not value.isascii():  # fromisoformat would take other scripts' digits
        raise SigningError(f"{field}: {shown} is not ISO 8601 ({example})", field=field)
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise SigningError(f"{field}: {shown} is not ISO 8601 ({example})", field=field) from None
    return _in_range(parsed, field)


def _in_range(moment: datetime, field: str) -> datetime:
    try:
        offset = moment.utcoffset()
    except ValueError:  # a tzinfo whose offset is a day or more
        offset = None
        if moment.tzinfo is not None:
            raise SigningError(
                f"{field}: its offset must be less than 24 hours", field=field
            ) from None
    if moment.tzinfo is None or offset is None:
        raise SigningError(
            f"{field}: a naive time is ambiguous; give an offset (e.g. Z) or tzinfo=UTC",
            field=field,
        )
    try:
        utc = moment.astimezone(UTC)
    except OverflowError:
        utc = None
    if utc is None or not EARLIEST <= utc <= LATEST:
        raise SigningError(
            f"{field}: must be between {format_iso(EARLIEST)} and {format_iso(LATEST)}",
            field=field,
        )
    return utc


def _shown(value: str) -> str:
    return repr(value) if len(value) <= 40 else f"{value[:40]!r}… ({len(value)} characters)"


def amz_date(timestamp: str | datetime | None = None, field: str = "timestamp") -> str:
    """The X-Amz-Date value (``20150830T123600Z``) for ``timestamp``: that basic ISO 8601 form,
    an extended ISO 8601 string with offset, or an aware datetime; None reads the clock."""
    if timestamp is None:
        return clock_amz_date()
    kind = type(timestamp)
    if kind is str or kind is datetime:
        try:
            return _amz_date_of(timestamp, field)
        except (TypeError, ValueError):  # hashing called a tzinfo that fails: said below
            pass
    return format_amz_date(to_moment(timestamp, field))


@cached(128, keys="(timestamp text or datetime, field)", reason="a caller passes it again")
def _amz_date_of(timestamp: str | datetime, field: str) -> str:
    """A timestamp checked and formatted once, text and datetime alike (so that neither costs
    more than the other): a caller that passes one usually passes it many times. Equal
    datetimes (the same moment at any offset) hash alike and have one X-Amz-Date."""
    if type(timestamp) is str and parse_amz_date(timestamp) is not None:
        return timestamp
    return format_amz_date(to_moment(timestamp, field))


_last_clock_reading: tuple[int, str] = (-1, "")


def clock_amz_date() -> str:
    """The clock as X-Amz-Date; formatted once a second, which is all the precision it has."""
    global _last_clock_reading
    second = int(time.time())
    last = _last_clock_reading
    if last[0] == second:
        return last[1]
    text = time.strftime(AMZ_DATE_FORMAT, time.gmtime(second))
    _last_clock_reading = (second, text)
    return text


def now_or(value: datetime | str | None, field: str = "now") -> datetime:
    """``value`` as an aware UTC moment (see ``to_moment``), or the clock when it is None."""
    if value is None:
        return datetime.now(UTC)
    return to_moment(value, field)


def span(delta: timedelta | float) -> str:
    """A length of time as people read it: ``3s``, ``2m 5s``, ``1d 0h 0m 0s``."""
    total = delta.total_seconds() if isinstance(delta, timedelta) else delta
    days, rest = divmod(int(abs(total)), 86400)
    hours, rest = divmod(rest, 3600)
    minutes, seconds = divmod(rest, 60)
    parts = [f"{days}d"] if days else []
    if days or hours:
        parts.append(f"{hours}h")
    if days or hours or minutes:
        parts.append(f"{minutes}m")
    parts.append(f"{seconds}s")
    return " ".join(parts)
