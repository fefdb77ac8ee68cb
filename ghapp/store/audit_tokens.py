"""The `audit_tokens` table: the tokens an admin creates for a SIEM to read the audit trail over HTTP.

Only a SHA-256 of each token is stored (a token is 32 random bytes, so a plain hash is enough: there is
nothing to guess); the token itself is shown once, when it is made. A revoked token stops working at once.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Column, select, update
from sqlmodel import Field, SQLModel

from ghapp.clock import utcnow
from ghapp.store.database import AutoId, Database, table_of, when

TOKEN_PREFIX = "ptpa_"  # noqa: S105 - a marker that makes a leaked token easy to find, not a secret


class AuditToken(SQLModel, table=True):
    """A token that may read the audit trail: its name, the hash of its secret, whether it was revoked."""

    __tablename__ = "audit_tokens"
    id: int | None = Field(default=None, sa_column=Column(AutoId, primary_key=True, autoincrement=True))
    name: str = Field(max_length=255)
    token_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = when()
    last_used_at: datetime | None = when(nullable=True)
    revoked_at: datetime | None = when(nullable=True)


AUDIT_TOKENS = table_of(AuditToken)
_token = AUDIT_TOKENS.c


@dataclass(frozen=True)
class TokenInfo:
    id: int
    name: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(db: Database, name: str) -> str:
    """Make a token named `name`; returns the token (shown once: only its hash is kept)."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with db.write() as conn:
        conn.execute(AUDIT_TOKENS.insert().values(name=name, token_hash=_hash(token), created_at=utcnow()))
    return token


def token_name(db: Database, token: str) -> str | None:
    """The name of this token when it is known and not revoked (and note its use); None otherwise."""
    if not token.startswith(TOKEN_PREFIX):
        return None
    digest = _hash(token)
    with db.write() as conn:
        row = conn.execute(
            select(_token.id, _token.name).where(_token.token_hash == digest, _token.revoked_at.is_(None))
        ).first()
        if row is None:
            return None
        conn.execute(update(AUDIT_TOKENS).where(_token.id == row.id).values(last_used_at=utcnow()))
    return str(row.name)


def list_tokens(db: Database) -> list[TokenInfo]:
    with db.read() as conn:
        rows = conn.execute(
            select(_token.id, _token.name, _token.created_at, _token.last_used_at, _token.revoked_at).order_by(
                _token.id
            )
        ).all()
    return [TokenInfo(*row) for row in rows]


def revoke_token(db: Database, token_id: int) -> bool:
    """Revoke a token by id; False when there is no such token still in force."""
    with db.write() as conn:
        result = conn.execute(
            update(AUDIT_TOKENS).where(_token.id == token_id, _token.revoked_at.is_(None)).values(revoked_at=utcnow())
        )
    return bool(result.rowcount)
