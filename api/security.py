"""API keys and who holds them: roles, their branches or engineer, and what personal data they see."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from data.storage.models_ops import ApiKeyRow
from data.storage.scenario import now

#: What every key starts with, to tell it apart in logs and configuration.
KEY_PREFIX = "dsp_"


class Role(StrEnum):
    """What a key may do."""

    COORDINATOR = "coordinator"
    PLANNER = "planner"
    BRANCH_MANAGER = "branch_manager"
    ENGINEER = "engineer"


@dataclass(frozen=True)
class Principal:
    """The holder of a key: a role, and for managers their branches, for engineers themselves."""

    role: Role
    branches: frozenset[str] = frozenset()
    engineer_id: str | None = None

    @property
    def visible_branches(self) -> frozenset[str] | None:
        """The branches this holder may read; ``None`` means every branch."""
        return self.branches if self.role is Role.BRANCH_MANAGER else None

    def sees_branch(self, branch_id: str | None) -> bool:
        """Whether a resource of ``branch_id`` exists for this holder (else it is a 404)."""
        visible = self.visible_branches
        return visible is None or branch_id in visible

    def sees_engineer(self, engineer_id: str, branch_id: str | None) -> bool:
        """Whether an engineer of ``branch_id`` exists for this holder: engineers see themselves only."""
        mine = self.role is not Role.ENGINEER or self.engineer_id == engineer_id
        return mine and self.sees_branch(branch_id)

    def mask_phone(self, phone: str) -> str | None:
        """The customer's phone as this holder may see it: whole, masked, or not at all."""
        if self.role in (Role.COORDINATOR, Role.ENGINEER):
            return phone
        if self.role is Role.BRANCH_MANAGER:
            return mask(phone)
        return None

    def address(self, address: str) -> str | None:
        """The customer's address, for the roles that go there or send someone."""
        return address if self.role is not Role.PLANNER else None


def mask(phone: str) -> str:
    """A phone number with all but its first three and last two digits hidden."""
    digits = [i for i, c in enumerate(phone) if c.isdigit()]
    hidden = set(digits[3:-2]) if len(digits) > 5 else set(digits)
    return "".join("*" if i in hidden else c for i, c in enumerate(phone))


def hash_key(key: str) -> str:
    """The stored form of a key: random keys need no slow hash, SHA-256 suffices."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def create_key(
    session: Session, role: Role, branches: Sequence[str] = (), engineer_id: str | None = None
) -> str:
    """Store a new key's hash and return the key, which is shown once and never stored."""
    if role is Role.BRANCH_MANAGER and not branches:
        raise ValueError("a branch manager's key needs at least one --branch")
    if role is Role.ENGINEER and not engineer_id:
        raise ValueError("an engineer's key needs --engineer")
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    row = ApiKeyRow(
        key_hash=hash_key(key),
        role=role.value,
        branches=sorted(set(branches)),
        engineer_id=engineer_id,
        created_at=now(),
    )
    session.add(row)
    session.flush()
    return key


#: What a key's holder may do, by the key's hash: built once, read as plain rows (no ORM objects).
_HOLDER = select(ApiKeyRow.role, ApiKeyRow.branches, ApiKeyRow.engineer_id).where(
    ApiKeyRow.key_hash == bindparam("key_hash")
)


def principal_of(session: Session, key: str) -> Principal | None:
    """The holder of ``key``, or ``None`` for an unknown key.

    Looked up on every request, never cached: a key deleted from the table is refused by the next call.
    """
    row = session.connection().execute(_HOLDER, {"key_hash": hash_key(key)}).first()
    if row is None:
        return None
    role, branches, engineer_id = row
    return Principal(Role(role), frozenset(branches), engineer_id)
