"""Credentials and Region from the environment, or from botocore's whole provider chain.

botocore already implements every credential source (environment, shared files and profiles,
SSO, assume-role, web identity, container and instance metadata) and keeps them current; we
use it rather than a copy. It is imported only when the environment alone does not answer,
so a CLI call with ``AWS_ACCESS_KEY_ID`` set never loads it.

``current_credentials`` is the one way every long-lived signer (the HTTP-library adapters,
the EC2 Client and its waiters) reads a ``CredentialSource`` before each signing.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import datetime
from typing import Any, Protocol, cast

from ..errors import SigningError
from ..model import Credentials
from ..redact import redact_message

__all__ = [
    "CredentialSource", "CredentialsError", "NoCredentialsError", "chain_credentials",
    "check_credential_source", "current_credentials", "from_environment", "resolve_credentials",
    "resolve_region",
]


class NoCredentialsError(SigningError):
    """No credential source yielded an access key."""


class _BotocoreStyle(Protocol):
    """botocore's (refreshable) credentials: ``session.get_credentials()``."""

    def get_frozen_credentials(self) -> Any: ...


CredentialSource = Credentials | Callable[[], Credentials] | _BotocoreStyle
"""Fixed credentials, a zero-argument provider returning fresh ones before each signing, or
botocore's credentials object (refreshed by botocore itself)."""


class CredentialsError(SigningError):
    """The credential provider failed or returned something that is not credentials."""


def check_credential_source(source: object) -> None:
    """Refuse at construction what can never give credentials."""
    if not (isinstance(source, Credentials) or callable(source)
            or callable(getattr(source, "get_frozen_credentials", None))):
        raise CredentialsError(
            "credentials: must be sigv4kit.Credentials, a zero-argument callable returning "
            f"them, or botocore credentials; got {type(source).__name__}",
            field="credentials",
        )


_MAX_DETAIL = 200
"""Most characters of a provider's error quoted in ``CredentialsError``."""


def _provider_detail(exc: Exception) -> str:
    """The first line of a provider's error, credentials redacted by name, at most
    ``_MAX_DETAIL`` characters: a provider may quote its config (``aws_secret_access_key =
    …``) or a credential process's JSON (``"SecretAccessKey": "…"``). Redacted before the
    cut, so a cut never leaves part of a named secret behind."""
    lines = str(exc)[: 4 * _MAX_DETAIL].splitlines()
    return redact_message(lines[0])[:_MAX_DETAIL] if lines else ""


def current_credentials(source: CredentialSource) -> Credentials:
    """The credentials to sign with now. A provider is asked every time (it caches and
    refreshes as it sees fit, as botocore's do); its failure is one ``CredentialsError``."""
    if isinstance(source, Credentials):
        return source
    name = getattr(source, "__qualname__", None) or type(source).__name__
    try:
        frozen = getattr(source, "get_frozen_credentials", None)
        if callable(frozen):
            found = frozen()
            value: object = Credentials(found.access_key, found.secret_key, found.token or None,
                                        expiration=expiry_of(source))
        else:
            value = cast(Callable[[], object], source)()
    except Exception as exc:
        detail = _provider_detail(exc)
        raise CredentialsError(
            f"credentials: the provider {name} failed ({type(exc).__name__}"
            f"{': ' + detail if detail else ''})",
            field="credentials",
        ) from exc
    if not isinstance(value, Credentials):
        raise CredentialsError(
            f"credentials: the provider {name} returned {type(value).__name__}, "
            "not sigv4kit.Credentials",
            field="credentials",
        )
    return value


def from_environment() -> Credentials | None:
    """Credentials from ``AWS_ACCESS_KEY_ID``/``AWS_SECRET_ACCESS_KEY``/``AWS_SESSION_TOKEN``,
    the first source botocore's chain reads; None when either key is missing."""
    akid = os.environ.get("AWS_ACCESS_KEY_ID")
    secret = os.environ.get("AWS_SECRET_ACCESS_KEY")
    if not akid or not secret:
        return None
    token = os.environ.get("AWS_SESSION_TOKEN") or os.environ.get("AWS_SECURITY_TOKEN") or None
    return Credentials(akid, secret, token)


def resolve_credentials(profile: str | None = None) -> Credentials:
    """Credentials as botocore (and the AWS CLI) would find them, ``profile`` first if given.

    An explicit profile skips the environment variables, as in botocore.
    """
    if profile is None:
        env = from_environment()
        if env is not None:
            return env
    import botocore.exceptions  # type: ignore[import-untyped]
    import botocore.session  # type: ignore[import-untyped]

    from .config_file import load

    load()  # the files checked first (size, who may write them) before botocore acts on them
    try:
        session = botocore.session.Session(profile=profile)
        found = session.get_credentials()
        frozen = found.get_frozen_credentials() if found is not None else None
    except botocore.exceptions.ProfileNotFound:
        raise NoCredentialsError(
            f"profile: {profile!r} is not in the AWS config or credentials files", field="profile"
        ) from None
    except botocore.exceptions.BotoCoreError as exc:
        raise NoCredentialsError(f"credentials: {exc}", field="credentials") from None
    except (ValueError, KeyError, TypeError, OSError) as exc:
        raise _source_failed(exc) from None
    if frozen is None or not frozen.access_key or not frozen.secret_key:
        raise NoCredentialsError(
            "credentials: none found (set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, use "
            "--profile, or configure SSO, a role or instance credentials)",
            field="credentials",
        )
    return Credentials(
        frozen.access_key,
        frozen.secret_key,
        frozen.token or None,
        expiration=expiry_of(found),
    )


def _source_failed(exc: Exception) -> NoCredentialsError:
    """botocore's providers let some failures through (a ``credential_process`` whose output
    is not JSON raises ``JSONDecodeError``): one line naming the kind, never the text (that
    output may hold the secret)."""
    return NoCredentialsError(
        f"credentials: the configured credential source failed ({type(exc).__name__})",
        field="credentials")


def expiry_of(found: object) -> datetime | None:
    """When botocore's refreshable credentials (assume-role, SSO, web identity, container,
    instance, credential_process) expire, read after ``get_frozen_credentials`` refreshed
    them; None for fixed ones. Kept on ``Credentials.expiration`` so "the URL outlives the
    credentials" can be said, whichever path resolved them."""
    expiry = getattr(found, "_expiry_time", None)
    return expiry if isinstance(expiry, datetime) and expiry.tzinfo is not None else None


def resolve_region(profile: str | None = None) -> str | None:
    """``AWS_REGION``, ``AWS_DEFAULT_REGION``, else the profile's configured region."""
    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
    if region:
        return region
    import botocore.exceptions
    import botocore.session

    try:
        configured = botocore.session.Session(profile=profile).get_config_variable("region")
    except botocore.exceptions.BotoCoreError:
        return None
    return configured if isinstance(configured, str) and configured else None


def chain_credentials(profile: str | None = None) -> Credentials | Callable[[], Credentials]:
    """What a long-lived client should hold: fixed environment credentials, or a callable
    that asks botocore each time, so temporary credentials are refreshed before they expire."""
    if profile is None:
        env = from_environment()
        if env is not None:
            return env
    resolve_credentials(profile)  # fail now, with a clear message, when there are none
    import botocore.exceptions
    import botocore.session

    found = botocore.session.Session(profile=profile).get_credentials()

    def current() -> Credentials:
        try:
            frozen = found.get_frozen_credentials()
        except botocore.exceptions.BotoCoreError as exc:
            raise NoCredentialsError(f"credentials: {exc}", field="credentials") from None
        except (ValueError, KeyError, TypeError, OSError) as exc:
            raise _source_failed(exc) from None
        return Credentials(frozen.access_key, frozen.secret_key, frozen.token or None,
                           expiration=expiry_of(found))

    return current
