"""The roles a user can hold; these are the names `liaison user add --role` takes."""

from django.db import models


class Role(models.TextChoices):
    MSL = "msl", "Medical Science Liaison"
    MSL_MANAGER = "msl_manager", "MSL manager"
    MEDICAL_LEAD = "medical_lead", "Medical lead"
    MEDICAL_INFORMATION = "medical_information", "Medical information"
    DRUG_SAFETY = "drug_safety", "Drug safety"
    COMPLIANCE = "compliance", "Compliance"
    AUDITOR = "auditor", "Auditor (read-only)"
    COMMERCIAL = "commercial", "Commercial"
    ADMIN = "admin", "Administrator"


MEDICAL_ROLES = frozenset(r for r in Role if r != Role.COMMERCIAL)
