"""Imports every model so that the metadata (and Alembic) sees the whole schema."""
from aid.audit.models import AuditChainHead, AuditEvent  # noqa: F401
from aid.auth.models import AuthSession, User  # noqa: F401
from aid.org.models import Authority, School  # noqa: F401
from aid.printing.models import Job, StoredDocument  # noqa: F401
from aid.settings import Setting  # noqa: F401
from aid.workflow import WorkflowStep  # noqa: F401


def _import_area_models() -> None:
    from aid import AREAS, area_module

    for area in AREAS:
        area_module(area, "models")


_import_area_models()
