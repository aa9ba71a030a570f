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
    # An external advisor invited to an asynchronous advisory board: signs in only through the participant
    # portal's e-mailed link and sees that board and nothing else (programs/portal.py).
    ADVISOR = "advisor", "External advisor (portal only)"


MEDICAL_ROLES = frozenset(r for r in Role if r not in (Role.COMMERCIAL, Role.ADVISOR))
# Roles that are never given by hand (the admin's user form leaves them out): advisors are created by the invitation
# to a board.
INVITED_ROLES = frozenset({Role.ADVISOR})
