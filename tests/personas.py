"""The test personas: one user per role, all with the same password (see conftest.py for the fixtures)."""

PASSWORD = "correct-horse-battery-staple"

PERSONAS = {
    "alice": ("msl", "Oncology East"),
    "bob": ("msl", "Cardio West"),
    "mona": ("msl_manager", "Oncology East"),
    "lena": ("medical_lead", None),
    "iris": ("medical_information", None),
    "sam": ("drug_safety", None),
    "carla": ("compliance", None),
    "otto": ("auditor", None),
    "dave": ("commercial", None),
    "ada": ("admin", None),
    # An external advisor (portal only), invited to no board: the firewall crawl proves she sees nothing.
    "vera": ("advisor", None),
}
