"""The fictional parts of the demo: the company's products, listening priorities and the words of field notes.

The people, places and MeSH terms are real (see sources.py); everything written here is invented. The "clean"
texts avoid every term the AE lexicon flags (tests/demo/test_demo.py checks it), so that exactly the notes meant
to raise a safety report do so.
"""

from __future__ import annotations

from dataclasses import dataclass

DEMO_PASSWORD = "liaison-demo-2026"  # demo only: documented in README.md and docs/operations.md


@dataclass(frozen=True)
class ProductSpec:
    name: str
    generic_name: str
    area: str
    indications: tuple[str, ...]


PRODUCTS: tuple[ProductSpec, ...] = (
    ProductSpec(
        "Onkotrex",
        "onkotrexumab",
        "Oncology",
        ("first-line metastatic non-small cell lung cancer with PD-L1 expression of 50% or more",),
    ),
    ProductSpec(
        "Mammira",
        "mammiratinib",
        "Oncology",
        ("HR-positive, HER2-negative advanced breast cancer after endocrine therapy",),
    ),
    ProductSpec(
        "Cordavel",
        "cordaveliran",
        "Cardiology",
        ("chronic heart failure with reduced ejection fraction (NYHA II-IV)",),
    ),
    ProductSpec(
        "Lipovance",
        "lipovansiran",
        "Cardiology",
        ("primary hypercholesterolaemia not at LDL-C goal on maximally tolerated statin",),
    ),
    ProductSpec("Neurexa", "neurexabart", "Neurology", ("relapsing forms of multiple sclerosis in adults",)),
    ProductSpec(
        "Migralon", "migralimab", "Neurology", ("preventive treatment of episodic migraine in adults",)
    ),
)

# What a medical reviewer released for audiences beyond medical, per listening priority: a rewrite of what the
# field heard, never its wording (insights.actions.release_summary refuses a copy, a name or a date).
RELEASED_SUMMARIES: dict[str, str] = {
    "Biomarker testing turnaround": "Slow biomarker results still shape first-line choices at community sites; "
    "reflex panel testing at diagnosis shortens the wait.",
    "Sequencing after first-line immunotherapy": "Clinicians want real-world evidence to guide the second line "
    "after checkpoint inhibitor progression.",
    "Access to care outside academic centres": "Travel distance to infusion centres limits care for rural "
    "patients; nurse navigators coordinate scheduling.",
    "Guideline-directed therapy uptake in HFrEF": "Titration of heart failure therapy is slowed by prior "
    "authorisation and unclear ownership after discharge.",
    "Lipid goal attainment after acute coronary syndrome": "LDL-C is often not rechecked after discharge; "
    "clinicians ask for simple discharge tools.",
    "Remote monitoring and follow-up": "Heart failure clinics value remote data when it reaches the health "
    "record, alongside periodic in-person visits.",
    "Treatment escalation in relapsing MS": "Neurologists are moving to earlier high-efficacy therapy, limited "
    "by payer step rules.",
    "MRI monitoring practice": "MS imaging varies between centres; neurologists want a shared scanning "
    "protocol.",
    "Migraine prevention in primary care": "Primary care starts most migraine prevention and asks for concise "
    "guidance on the options.",
}

# {area: [(title, description, [insight texts that answer it])]}
PRIORITIES: dict[str, list[tuple[str, str, list[str]]]] = {
    "Oncology": [
        (
            "Biomarker testing turnaround",
            "What delays PD-L1 and EGFR results, and how does it change first-line decisions?",
            [
                "Community oncologists in {city} wait about three weeks for PD-L1 results and often start "
                "chemotherapy before the result arrives.",
                "The tumour board at {org} now orders reflex NGS panels at diagnosis; turnaround fell to ten days.",
                "Pathology capacity, not reimbursement, is the main barrier to broad panel testing in this region.",
            ],
        ),
        (
            "Sequencing after first-line immunotherapy",
            "How do clinicians choose the second line after progression on a checkpoint inhibitor?",
            [
                "{hcp} would value real-world data on docetaxel combinations after progression on {product}.",
                "Several centres re-biopsy at progression only when the patient is fit for a clinical trial.",
            ],
        ),
        (
            "Access to care outside academic centres",
            "Where do patients travel for treatment, and what stops care closer to home?",
            [
                "Patients from rural counties drive over two hours for infusions; a satellite infusion chair would "
                "change referral patterns.",
                "Nurse navigators at {org} are the key contact for scheduling; MSLs rarely meet them.",
            ],
        ),
    ],
    "Cardiology": [
        (
            "Guideline-directed therapy uptake in HFrEF",
            "What keeps patients with reduced ejection fraction off the four pillars of therapy?",
            [
                "{hcp} titrates one drug class per visit; a rapid titration protocol would need nurse-led clinics.",
                "Prior authorisation for newer heart failure drugs takes two to four weeks at most practices here.",
                "Primary care physicians in {city} are unsure who owns titration after discharge.",
            ],
        ),
        (
            "Lipid goal attainment after acute coronary syndrome",
            "How often are LDL-C goals checked and acted on after discharge?",
            [
                "Fewer than half of patients get a lipid panel within twelve weeks of discharge at {org}.",
                "{hcp} asked for a simple discharge checklist that includes the LDL-C recheck date.",
            ],
        ),
        (
            "Remote monitoring and follow-up",
            "Which remote monitoring models work for heart failure clinics?",
            [
                "The clinic at {org} reviews home weight and blood pressure data weekly and wants EHR integration.",
                "Video visits work for stable patients but clinicians want an in-person visit every six months.",
            ],
        ),
    ],
    "Neurology": [
        (
            "Treatment escalation in relapsing MS",
            "When and why do neurologists escalate to high-efficacy therapy?",
            [
                "{hcp} now starts high-efficacy therapy at diagnosis for most patients under forty.",
                "Escalation decisions at {org} depend on MRI activity more than on relapse counts.",
                "Insurance step therapy still forces a platform therapy first for many patients in {city}.",
            ],
        ),
        (
            "MRI monitoring practice",
            "How often are patients scanned, and who reads the scans?",
            [
                "Annual MRI is standard, but comparison with prior scans is inconsistent across imaging centres.",
                "{hcp} would like a standard MS MRI protocol shared with community radiology groups.",
            ],
        ),
        (
            "Migraine prevention in primary care",
            "Who starts preventive treatment, and what do they need to do it confidently?",
            [
                "Most patients see a neurologist only after two failed preventives started in primary care.",
                "Primary care clinicians in {city} ask for a one-page guide to preventive options.",
            ],
        ),
    ],
}

UNEXPECTED_INSIGHTS: tuple[str, ...] = (
    "Clinicians increasingly ask about the environmental footprint of infusion chairs and travel.",
    "{hcp} said their residents learn about new trials mainly from podcasts rather than journals.",
    "Hospital pharmacy committees now ask for budget impact models at the first formulary meeting.",
    "Several practices are merging into a regional health system; prescribing decisions are moving to "
    "central committees.",
)

# Field notes that must not raise a safety report. Placeholders: {hcp} {product} {topic} {org} {city}.
CLEAN_NOTES: tuple[str, ...] = (
    "Scientific exchange with {hcp} on the latest {topic} data. Shared the congress poster summary and the "
    "updated prescribing information for {product}. {hcp} asked thoughtful questions about patient selection.",
    "Discussed the phase 3 design and the subgroup analyses relevant to {topic}. {hcp} leads a local "
    "registry and is open to a data-sharing conversation.",
    "Introductory meeting: listened to {hcp}'s priorities for the {topic} service at {org}. Agreed to share "
    "the medical education calendar for the next quarter.",
    "Follow-up on the question from our last meeting; walked through the mechanism of action of {product} "
    "and the published pharmacokinetic data.",
    "Debrief after the regional congress. {hcp} summarised the main debates on {topic} and the open "
    "questions for community practice.",
    "Clinical trial support: reviewed site feasibility for an upcoming {topic} study at {org}. Screening "
    "capacity looks adequate; the research nurse is the contact.",
    "{hcp} described the care pathway at {org} for patients with {topic}, from referral to specialist "
    "review. Useful context for the regional plan.",
    "Discussed an investigator-initiated study idea on {topic} outcomes in rural patients. Explained the "
    "submission process and timelines.",
)

# Notes that describe an adverse event or a special situation: each must raise a safety report.
AE_NOTES: tuple[str, ...] = (
    "{hcp} mentioned a patient on {product} who developed a grade 2 rash after the second dose; the patient "
    "was treated and continues therapy. Explained how to report it; the report goes to drug safety today.",
    "{hcp} reported that a patient was hospitalised with severe nausea and vomiting one week after starting "
    "{product}. I collected the minimum details and forwarded them to drug safety.",
    "A patient treated with {product} at {org} became pregnant during treatment; {hcp} asked for any data on "
    "exposure in the first trimester.",
    "{hcp} described a medication error at a community pharmacy: a patient received a double dose of "
    "{product} for one week. No symptoms reported so far.",
    "{hcp} said {product} seemed ineffective in two patients after six months, with no response on imaging.",
)

INQUIRY_QUESTIONS: tuple[str, ...] = (
    "What data are there on {product} in patients over 75 years of age?",
    "Is a dose adjustment of {product} needed in patients with reduced kidney function?",
    "Can you send the full results of the subgroup analysis by baseline disease severity for {product}?",
    "What is the evidence on switching from the current standard of care to {product}?",
    "Are there real-world data on {product} from registries outside the United States?",
)

OFF_LABEL_QUESTIONS: tuple[str, ...] = (
    "Is there any clinical data on {product} in adolescents?",
    "Has {product} been studied as maintenance therapy after the approved treatment period?",
)

INQUIRY_ANSWER = (
    "Standard response {code} sent to the requester only: summary of the published data, the "
    "relevant section of the prescribing information, and references."
)

FOLLOW_UPS: tuple[str, ...] = (
    "Send the congress poster on {topic}",
    "Share the updated prescribing information for {product}",
    "Connect {hcp} with the clinical operations lead about site feasibility",
    "Send the reprint requested during the meeting",
    "Arrange a call with the medical information team",
)

MATERIALS: tuple[str, ...] = (
    "Prescribing information (current version)",
    "Congress poster summary",
    "Published phase 3 manuscript reprint",
    "Medical education calendar",
    "",
)

# What HCPs said about an exchange (the demo's HCP feedback); clean of adverse-event wording by test.
FEEDBACK_COMMENTS = (
    "",
    "",
    "Found the subgroup data directly relevant to her clinic.",
    "Wants the full trial design slides before the next tumour board.",
    "Useful, though he would have liked more time on dosing schedules.",
    "Said the biomarker testing summary answered questions from his fellows.",
    "Already knew most of the data; asked for real-world evidence next time.",
    "Appreciated the balanced discussion of the open questions.",
)

# Notes that quote the HCP's own comparative or superlative words: the compliance flag fires, and the MSL saves
# them with a reason (compliance reviews these in the flags queue).
FLAGGED_NOTES = (
    (
        "Dr asked whether the new regimen is superior to the current standard of care; I said no head-to-head "
        "trial exists and walked through the label data only.",
        "Quoting the HCP's question; my answer stayed within the approved label.",
    ),
    (
        "He called the subcutaneous form a game changer for his clinic's chair time. I did not comment on "
        "comparisons and shared the pharmacokinetic bridging data.",
        "The HCP's own words, recorded as an insight about clinic capacity.",
    ),
    (
        "She said the oral option is the most convenient for her older patients. We discussed adherence data "
        "from the phase 3 trial.",
        "Her view, not a claim made by me; kept verbatim for the insight review.",
    ),
    (
        "The pharmacist asked if the biosimilar is safer than the originator; I referred the question to "
        "medical information for a written answer.",
        "Question quoted as asked; routed to medical information.",
    ),
)
