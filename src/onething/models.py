"""Imports every domain's tables so Base.metadata is complete (Alembic, tests)."""

from onething.accounts import models as accounts_models
from onething.cases import models as cases_models
from onething.catalog import models as catalog_models
from onething.core import audit, files, notify, workdays
from onething.db import Base
from onething.hotline import models as hotline_models
from onething.policies import models as policies_models
from onething.profiles import models as profiles_models

__all__ = [
    "Base",
    "accounts_models",
    "audit",
    "cases_models",
    "catalog_models",
    "files",
    "hotline_models",
    "notify",
    "policies_models",
    "profiles_models",
    "workdays",
]
