"""Checkpoint tokens and callback ids: minted unguessable, checked where they enter.

Both are bearer secrets: whoever holds a checkpoint token may write an execution's state,
whoever holds a callback id may complete its callback. So they are random (``secrets``),
carry nothing a caller could derive another one from (no execution or operation ids), and
have the shapes botocore's ``lambda`` model gives them: base64 text, ``[A-Za-z0-9+/]+={0,2}``,
at most 2048 characters for a token and 1024 for a callback id. A value that cannot be one
is refused before any lookup, with the error the service answers.
"""

from __future__ import annotations

import base64
import hmac
import re
import secrets
from typing import NoReturn

from aws_durable_execution_sdk_python_testing._service.errors import (
    InvalidParameterValueException,
)

__all__ = [
    "INVALID_TOKEN",
    "check_callback_id",
    "check_token_format",
    "mint_callback_id",
    "mint_checkpoint_token",
    "refuse_token",
    "same_token",
]

# The SDK recognises this prefix as the retryable stale-token error (docs/decisions.md,
# "Which checkpoint errors are retryable"): keep it at the start of every refusal.
INVALID_TOKEN = "Invalid Checkpoint Token"

_BASE64 = re.compile(r"[A-Za-z0-9+/]+={0,2}")
_MAX_TOKEN = 2048  # CheckpointToken: min 1, max 2048
_MAX_CALLBACK_ID = 1024  # CallbackId: min 1, max 1024
# 32 random bytes (256 bits) are 44 base64 characters: far inside both limits.
_RANDOM_BYTES = 32


def _mint() -> str:
    return base64.b64encode(secrets.token_bytes(_RANDOM_BYTES)).decode("ascii")


def mint_checkpoint_token() -> str:
    """A fresh checkpoint token nobody can guess or derive from another."""
    return _mint()


def mint_callback_id() -> str:
    """A fresh callback id nobody can guess or derive from another."""
    return _mint()


def _well_formed(value: str, limit: int) -> bool:
    return len(value) <= limit and _BASE64.fullmatch(value) is not None


def refuse_token(why: str) -> NoReturn:
    """Raises: InvalidParameterValueException: the service's invalid-token error."""
    raise InvalidParameterValueException(f"{INVALID_TOKEN}: {why}")


def check_token_format(presented: object) -> None:
    """Raises: InvalidParameterValueException: ``presented`` cannot be a checkpoint token."""
    if not isinstance(presented, str) or not _well_formed(presented, _MAX_TOKEN):
        refuse_token("the token is not a checkpoint token (base64, 1 to 2048 characters)")


def same_token(presented: str, current: str) -> bool:
    """Whether ``presented`` is the ``current`` token, compared in constant time (a secret)."""
    return bool(current) and hmac.compare_digest(presented.encode(), current.encode())


def check_callback_id(callback_id: object) -> None:
    """Raises: InvalidParameterValueException: ``callback_id`` cannot be a callback id."""
    if not isinstance(callback_id, str) or not _well_formed(callback_id, _MAX_CALLBACK_ID):
        raise InvalidParameterValueException(
            f"Invalid callback id {callback_id!r}: expected the CallbackId of a callback "
            "operation (base64, [A-Za-z0-9+/]+={0,2}, 1 to 1024 characters)"
        )
