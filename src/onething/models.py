"""Imports every domain's tables so Base.metadata is complete (Alembic, tests)."""

from onething.accounts import models as accounts_models
from onething.catalog import models as catalog_models
from onething.core import audit, workdays
from onething.db import Base

__all__ = ["Base", "accounts_models", "audit", "catalog_models", "workdays"]
