"""The `installations` and `repositories` tables: where the App is installed and which repositories each
installation selected, kept in step with `installation` and `installation_repositories` events."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import BigInteger, Column, delete, select, update
from sqlalchemy.engine import Connection
from sqlmodel import Field, SQLModel

from ghapp.clock import utcnow
from ghapp.store.database import Database, table_of, upsert_statement, when


class Installation(SQLModel, table=True):
    __tablename__ = "installations"
    id: int = Field(sa_column=Column(BigInteger(), primary_key=True, autoincrement=False))
    account_login: str = Field(max_length=255)
    account_type: str = Field(max_length=32)
    suspended: bool = False
    created_at: datetime = when()
    updated_at: datetime = when()


class Repository(SQLModel, table=True):
    __tablename__ = "repositories"
    id: int = Field(sa_column=Column(BigInteger(), primary_key=True, autoincrement=False))
    installation_id: int = Field(sa_column=Column(BigInteger(), nullable=False, index=True))
    full_name: str = Field(max_length=255, index=True)
    private: bool = False
    removed: bool = False


INSTALLATIONS = table_of(Installation)
REPOSITORIES = table_of(Repository)
_installation, _repository = INSTALLATIONS.c, REPOSITORIES.c


@dataclass(frozen=True)
class InstallationInfo:
    """An installation as an event describes it."""

    id: int
    account_login: str
    account_type: str
    suspended: bool


@dataclass(frozen=True)
class RepositoryInfo:
    """A repository as an event lists it."""

    id: int
    full_name: str
    private: bool


@dataclass(frozen=True)
class InstalledAccount:
    """An installation the App knows, with the repositories it still selects (by name)."""

    id: int
    account_login: str
    account_type: str
    suspended: bool
    repositories: tuple[str, ...]


def _save_repositories(
    conn: Connection, installation_id: int, repositories: Sequence[RepositoryInfo], *, removed: bool
) -> None:
    for repo in repositories:
        values = {
            "installation_id": installation_id,
            "full_name": repo.full_name,
            "private": repo.private,
            "removed": removed,
        }
        conn.execute(
            upsert_statement(conn, REPOSITORIES)
            .values(id=repo.id, **values)
            .on_conflict_do_update(index_elements=["id"], set_=values)
        )


def save_installation(
    db: Database,
    installation: InstallationInfo,
    *,
    added: Sequence[RepositoryInfo] = (),
    removed: Sequence[RepositoryInfo] = (),
) -> None:
    """Insert or update the installation, and mark repositories added to or removed from its selection."""
    now = utcnow()
    values = {
        "account_login": installation.account_login,
        "account_type": installation.account_type,
        "suspended": installation.suspended,
        "updated_at": now,
    }
    with db.write() as conn:
        conn.execute(
            upsert_statement(conn, INSTALLATIONS)
            .values(id=installation.id, created_at=now, **values)
            .on_conflict_do_update(index_elements=["id"], set_=values)
        )
        _save_repositories(conn, installation.id, added, removed=False)
        _save_repositories(conn, installation.id, removed, removed=True)


def forget_installation(db: Database, installation_id: int) -> None:
    """The App was uninstalled: the installation goes, its repositories are marked removed."""
    with db.write() as conn:
        conn.execute(delete(INSTALLATIONS).where(_installation.id == installation_id))
        conn.execute(update(REPOSITORIES).where(_repository.installation_id == installation_id).values(removed=True))


def installed_accounts(db: Database, installation_ids: Sequence[int]) -> list[InstalledAccount]:
    """These installations as the App knows them (unknown ids left out), by account name."""
    wanted = list(installation_ids)
    with db.read() as conn:
        installs = conn.execute(
            select(INSTALLATIONS).where(_installation.id.in_(wanted)).order_by(_installation.account_login)
        ).all()
        repos = conn.execute(
            select(_repository.installation_id, _repository.full_name)
            .where(_repository.installation_id.in_(wanted), _repository.removed.is_(False))
            .order_by(_repository.full_name)
        ).all()
    return [
        InstalledAccount(
            i.id,
            i.account_login,
            i.account_type,
            i.suspended,
            tuple(r.full_name for r in repos if r.installation_id == i.id),
        )
        for i in installs
    ]
