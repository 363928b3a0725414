"""Every fast path against the general path it replaces, byte for byte.

Each fast path in the core skips work the general path does (a precomputed HMAC state, a
query joined once, a CopySnapshot signed by substitution, escapes decoded by hand). Here
hypothesis generates inputs and checks each one against its slow twin: signature,
canonical request and URL. Breaking a fast path fails its test; the independent oracles
(the AWS suite, botocore, awscrt) are checked elsewhere, on the general path.
"""

from __future__ import annotations

import hmac
from datetime import UTC, datetime, timedelta, timezone
from hashlib import sha256
from urllib.parse import unquote

from hypothesis import example, given, settings
from hypothesis import strategies as st

from sigv4kit import Credentials, Request, presign
from sigv4kit.canonical import canonical_query_pairs, encoded_query, uri_encode
from sigv4kit.ec2 import serializer
from sigv4kit.ec2.presigned import CopySnapshotPresigner, presign_copy_snapshot
from sigv4kit.keys import SigningKey, cached_signing_key, signature, signing_key
from sigv4kit.received import _decode
from sigv4kit.signing import presign_get_query
from sigv4kit.timestamps import amz_date, format_amz_date, to_moment

TS = "20261207T120000Z"
CREDS = Credentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
TEMP = Credentials("ASIAEXAMPLE", "tempSecretKeyEXAMPLE", "FwoGZXIvYXdzE+token/with=base64+")
SETTINGS = settings(max_examples=150, deadline=None, derandomize=True)

text = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=24)
query_text = st.one_of(
    text, st.text(alphabet="abcXYZ019-_.~ +=&%/;:?#[]@!$'()*,", max_size=16))
snapshot_ids = st.from_regex(r"snap-([0-9a-f]{8}|[0-9a-f]{17})", fullmatch=True)
regions = st.sampled_from(["us-east-1", "us-west-2", "eu-west-1", "cn-north-1",
                           "us-gov-west-1"])


@SETTINGS
@given(key=st.binary(min_size=0, max_size=100), to_sign=text)
@example(key=b"k" * 65, to_sign="longer than a block: hashed first, as RFC 2104 says")
def test_precomputed_hmac_is_hmac_sha256(key: bytes, to_sign: str) -> None:
    slow = hmac.new(key, to_sign.encode(), sha256).hexdigest()
    assert SigningKey(key).hex_signature(to_sign) == slow
    assert signature(key, to_sign) == slow


@SETTINGS
@given(secret=text, date=st.from_regex(r"20[0-9]{6}", fullmatch=True), region=regions,
       service=st.sampled_from(["ec2", "s3", "sts", "execute-api"]), to_sign=text)
def test_cached_signing_key_is_the_derived_key(secret: str, date: str, region: str,
                                               service: str, to_sign: str) -> None:
    key = signing_key(secret, date, region, service)
    assert cached_signing_key(secret, date, region, service).hex_signature(to_sign) == (
        signature(key, to_sign))


@SETTINGS
@given(pairs=st.lists(st.tuples(query_text, query_text), max_size=6))
@example(pairs=[("a", "b=c")])
@example(pairs=[("a&b", "c")])
@example(pairs=[("x", "")])
def test_encoded_query_is_each_pair_encoded(pairs: list[tuple[str, str]]) -> None:
    slow_pairs = [(uri_encode(k), uri_encode(v)) for k, v in pairs]
    slow_query = "&".join(f"{k}={v}" for k, v in slow_pairs)
    assert encoded_query(pairs) == (slow_query, slow_pairs)


def _general_presign(base: str, query: str, creds: Credentials, region: str) -> tuple[str, ...]:
    url = f"{base}?{query}" if query else base
    slow = presign(Request("GET", url), creds, region=region, service="ec2", expires=900,
                   timestamp=TS)
    return slow.url, slow.canonical_request, slow.signature


@SETTINGS
@given(pairs=st.lists(st.tuples(query_text.filter(bool), query_text), max_size=5),
       creds=st.sampled_from([CREDS, TEMP]), region=regions,
       path=st.sampled_from(["/", "/a/b", "/a%20b/", "/~x"]))
def test_presign_get_query_is_presign_of_the_joined_url(
    pairs: list[tuple[str, str]], creds: Credentials, region: str, path: str
) -> None:
    base = f"https://ec2.{region}.amazonaws.com{path}"
    fast = presign_get_query(base, pairs, creds, region=region, service="ec2", expires=900,
                             timestamp=TS)
    query, encoded = encoded_query(pairs)
    assert (fast.url, fast.canonical_request, fast.signature) == _general_presign(
        base, query, creds, region)
    # encoded=True: the caller hands over pairs already in canonical form.
    vouched = presign_get_query(base, encoded, creds, region=region, service="ec2",
                                expires=900, timestamp=TS, encoded=True)
    assert (vouched.url, vouched.signature) == (fast.url, fast.signature)


def _general_copy_snapshot(base: str, creds: Credentials, source: str, snapshot_id: str,
                           destination: str, extra: dict[str, str]) -> tuple[str, ...]:
    params = {"SourceRegion": source, "SourceSnapshotId": snapshot_id,
              "DestinationRegion": destination, **extra}
    query, _ = encoded_query(serializer.serialize("CopySnapshot", params))
    return _general_presign(base, query, creds, source)


@SETTINGS
@given(creds=st.sampled_from([CREDS, TEMP]),
       route=st.sampled_from([("us-west-2", "us-east-1"), ("eu-west-1", "eu-west-1"),
                              ("cn-north-1", "cn-northwest-1"),
                              ("us-gov-west-1", "us-gov-east-1")]),
       snapshot_id=snapshot_ids,
       description=st.one_of(st.none(), text, st.just("snap-00000000 copy")))
def test_copy_snapshot_plan_and_bulk_presigner_are_the_general_path(
    creds: Credentials, route: tuple[str, str], snapshot_id: str, description: str | None
) -> None:
    source, destination = route
    extra = {} if description is None else {"Description": description}
    common = {"source_region": source, "destination_region": destination, "expires": 900,
              "timestamp": TS, "extra_params": extra or None}
    fast = presign_copy_snapshot(creds, source_snapshot_id=snapshot_id, **common)
    base = fast.url.partition("?")[0]  # the Region's endpoint: tested in test_endpoints
    slow = _general_copy_snapshot(base, creds, source, snapshot_id, destination, extra)
    expires = common.pop("expires")
    assert (fast.url, fast.canonical_request, fast.signature) == slow
    bulk = CopySnapshotPresigner(creds, expires=expires, **common)  # type: ignore[arg-type]
    assert bulk.presign(snapshot_id) == slow[0]


escaped = st.lists(st.one_of(
    st.sampled_from(["%2F", "%3B", "%2B", "%3D", "%20", "%25", "%2f", "%C3%A9", "a", "/", "="]),
    st.text(alphabet="abcXYZ019-_.~", max_size=4)), max_size=10).map("".join)


@SETTINGS
@given(value=escaped)
@example(value="%252F")
@example(value="%2F%25")
def test_query_value_decoding_is_unquote(value: str) -> None:
    assert _decode(value) == unquote(value, errors="strict")


@SETTINGS
@given(pairs=st.lists(st.tuples(query_text, query_text), max_size=5))
def test_canonical_pairs_of_an_encoded_query_are_its_pairs(
    pairs: list[tuple[str, str]]
) -> None:
    # What presign_get_query skips: reading the joined query back into canonical pairs.
    query, encoded = encoded_query(pairs)
    assert sorted(canonical_query_pairs(query)) == sorted(encoded)


offsets = st.sampled_from([UTC, timezone(timedelta(0)), timezone(timedelta(hours=5, minutes=30)),
                           timezone(timedelta(hours=-23, minutes=-59))])


@SETTINGS
@given(moment=st.datetimes(min_value=datetime(1971, 1, 1), max_value=datetime(9998, 1, 1)),
       offset=offsets)
def test_a_datetime_timestamp_is_converted_as_the_general_path_does(
    moment: datetime, offset: timezone
) -> None:
    # amz_date keeps a fixed-offset datetime's X-Amz-Date (so a datetime costs what a string
    # does); equal moments at other offsets share the entry.
    aware = moment.replace(tzinfo=offset)
    slow = format_amz_date(to_moment(aware, "timestamp"))
    assert slow == aware.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    assert amz_date(aware) == slow
    assert amz_date(aware.astimezone(UTC)) == slow
    assert amz_date(aware) == slow  # from the cache
    assert amz_date(aware.replace(microsecond=999999)) == slow
