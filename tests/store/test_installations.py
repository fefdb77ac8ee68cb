"""Installations and their repositories, as events describe them and the dashboard reads them."""

from __future__ import annotations

from ghapp.store.database import Database
from ghapp.store.installations import (
    InstallationInfo,
    InstalledAccount,
    RepositoryInfo,
    forget_installation,
    installed_accounts,
    save_installation,
)

ACME = InstallationInfo(501, "acme", "Organization", suspended=False)
GLOBEX = InstallationInfo(502, "globex", "Organization", suspended=False)
PAYMENTS, SITE = RepositoryInfo(1, "acme/payments", private=True), RepositoryInfo(2, "acme/site", private=False)


def test_an_installation_and_its_selection_are_kept_in_step(db: Database) -> None:
    save_installation(db, ACME, added=[SITE, PAYMENTS])
    save_installation(db, GLOBEX, added=[RepositoryInfo(3, "globex/plans", private=True)])
    assert installed_accounts(db, [501]) == [
        InstalledAccount(501, "acme", "Organization", False, ("acme/payments", "acme/site"))
    ]
    save_installation(db, InstallationInfo(501, "acme-renamed", "Organization", suspended=True), removed=[SITE])
    assert installed_accounts(db, [502, 501]) == [
        InstalledAccount(501, "acme-renamed", "Organization", True, ("acme/payments",)),
        InstalledAccount(502, "globex", "Organization", False, ("globex/plans",)),
    ]


def test_unknown_and_forgotten_installations_are_left_out(db: Database) -> None:
    save_installation(db, ACME, added=[PAYMENTS])
    assert installed_accounts(db, [999]) == []
    assert installed_accounts(db, []) == []
    forget_installation(db, 501)
    assert installed_accounts(db, [501]) == []
    save_installation(db, ACME)  # installed again: its old repositories stay removed until GitHub lists them
    assert installed_accounts(db, [501]) == [InstalledAccount(501, "acme", "Organization", False, ())]
