"""Invented content for the demo clinic: names, complaints, note phrases, muscles needled.

Nothing here is a real person or a real record.
"""

GIVEN_FEMALE = [
    "Ingrid",
    "Kari",
    "Nora",
    "Emma",
    "Sofie",
    "Ida",
    "Marte",
    "Hanne",
    "Silje",
    "Astrid",
    "Maja",
    "Tone",
    "Liv",
    "Camilla",
    "Eli",
    "Sigrid",
    "Åse",
    "Guro",
    "Helene",
    "Ragnhild",
]
GIVEN_MALE = [
    "Ola",
    "Lars",
    "Jonas",
    "Henrik",
    "Magnus",
    "Erik",
    "Sindre",
    "Øyvind",
    "Per",
    "Knut",
    "Anders",
    "Tor",
    "Even",
    "Bjørn",
    "Jakob",
    "Sverre",
    "Håkon",
    "Emil",
    "Nils",
    "Aksel",
]
FAMILY = [
    "Hansen",
    "Johansen",
    "Olsen",
    "Larsen",
    "Andersen",
    "Pedersen",
    "Nilsen",
    "Kristiansen",
    "Jensen",
    "Karlsen",
    "Johnsen",
    "Pettersen",
    "Eriksen",
    "Berg",
    "Haugen",
    "Hagen",
    "Johannessen",
    "Andreassen",
    "Jacobsen",
    "Dahl",
    "Jørgensen",
    "Halvorsen",
    "Henriksen",
    "Lund",
    "Sørensen",
    "Nordmann",
    "Bakke",
    "Solberg",
    "Strand",
    "Moen",
    "Lie",
    "Ødegård",
    "Aasen",
    "Tangen",
]
CITIES = [("0150", "Oslo"), ("5003", "Bergen"), ("7010", "Trondheim"), ("4006", "Stavanger"), ("9008", "Tromsø")]

COMPLAINTS = {
    "low_back": ["Low back pain after lifting", "Recurring lumbar pain with stiffness", "Korsryggsmerter etter flytting"],
    "neck": ["Neck pain from desk work", "Stiff neck with pain towards the shoulder blade", "Nakkesmerter og stivhet"],
    "headache": ["Tension-type headache, temples", "Headache from the back of the head", "Hodepine fra nakken"],
    "shoulder": ["Right shoulder pain when reaching", "Shoulder pain at night", "Skuldersmerter ved løft"],
    "whiplash": ["Neck pain after a rear-end collision", "Whiplash-related neck and arm pain"],
    "other": ["Lateral elbow pain", "Calf tightness in runners", "Hip pain when walking"],
}
NOTE_SNIPPETS = {
    "subjective": [
        "Pain {n}/10 today, worse in the morning.",
        "Sleeping better since the last visit; pain {n}/10.",
        "Flared up after a long drive; pain {n}/10.",
    ],
    "objective": [
        "Taut band with a tender spot in upper trapezius, local twitch on needling.",
        "Reduced rotation to the right, tender paraspinals L4-L5.",
        "Palpable taut bands in gluteus medius; pain recognised by the patient.",
    ],
    "assessment": [
        "Myofascial pain, improving.",
        "Segmental irritation with secondary trigger points.",
        "Slow progress; reassess the plan in two visits.",
    ],
    "plan": [
        "Dry needling and home stretches; review in one week.",
        "Continue IMS weekly, graded activity.",
        "Needling plus a walking programme; follow up in two weeks.",
    ],
}


# Muscles needled in the demo, by condition: a plausible first choice, side and all.
DEMO_NEEDLING = {
    "low_back": [("lumbar_multifidus", "r"), ("gluteus_medius", "r"), ("quadratus_lumborum", "r")],
    "neck": [("upper_trapezius", "r"), ("levator_scapulae", "r"), ("splenius_cervicis", "r")],
    "headache": [("suboccipitals", "l"), ("upper_trapezius", "l"), ("splenius_capitis", "l")],
    "shoulder": [("infraspinatus", "r"), ("supraspinatus", "r")],
    "whiplash": [("upper_trapezius", "r"), ("scalenes", "r"), ("levator_scapulae", "l")],
    "other": [("extensor_carpi_radialis", "r"), ("gastrocnemius", "l")],
}

# Activities patients name on the Patient-Specific Functional Scale at their first visit, by condition.
PSFS_ACTIVITIES = {
    "low_back": ["Sitting through a working day", "Lifting the shopping", "Putting on socks"],
    "neck": ["Driving and checking the mirrors", "Working at the computer", "Sleeping through the night"],
    "headache": ["Reading for an hour", "Working at the computer", "Training at the gym"],
    "shoulder": ["Reaching the top shelf", "Swimming", "Carrying a bag"],
    "whiplash": ["Turning the head when driving", "Looking up", "Sleeping through the night"],
    "other": ["Walking for half an hour", "Climbing stairs", "Gardening"],
}
