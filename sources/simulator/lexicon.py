"""Embedded word lists: names, places, categories and the phrases text is built from.

Kept in code (no Faker, no downloads) so a simulation is reproducible anywhere. The lists are
long enough that a few thousand people look varied, and short enough to read.
"""

from __future__ import annotations

import unicodedata

FEMALE_FIRST_NAMES = (
    "Olivia", "Amelia", "Isla", "Ava", "Mia", "Ivy", "Lily", "Isabella", "Rosie", "Sophia", "Grace",
    "Freya", "Willow", "Florence", "Emily", "Ella", "Poppy", "Evie", "Elsie", "Charlotte", "Evelyn",
    "Sienna", "Phoebe", "Ruby", "Harper", "Sophie", "Daisy", "Alice", "Matilda", "Millie", "Chloe",
    "Jessica", "Hannah", "Lucy", "Emma", "Sarah", "Laura", "Rebecca", "Rachel", "Claire", "Helen",
    "Joanne", "Nicola", "Karen", "Susan", "Julie", "Amanda", "Louise", "Victoria", "Kate",
    "Natalie", "Gemma", "Zoë", "Siân", "Niamh", "Aoife", "Priya", "Aisha", "Fatima", "Amira",
    "Chioma", "Zara", "Maryam", "Anjali", "Mei", "Agnieszka", "Katarzyna", "Elena", "Chiara",
    "Margaret", "Patricia", "Janet", "Carol", "Deborah", "Lorraine", "Tracey", "Jennifer",
    "Bethany", "Megan", "Abigail", "Leah", "Holly", "Eleanor", "Imogen", "Harriet", "Beatrice",
    "Georgia", "Lauren", "Naomi", "Jasmine", "Esme", "Maisie", "Heidi", "Orla", "Cerys", "Ffion",
    "Nia", "Eilidh", "Mhairi",
)  # fmt: skip

MALE_FIRST_NAMES = (
    "Oliver", "George", "Noah", "Arthur", "Muhammad", "Leo", "Harry", "Oscar", "Archie", "Henry",
    "Theodore", "Freddie", "Jack", "Charlie", "Theo", "Alfie", "Jacob", "Thomas", "William",
    "Lucas", "James", "Joshua", "Samuel", "Daniel", "Benjamin", "Joseph", "Edward", "Alexander",
    "Max", "Isaac", "David", "Michael", "Paul", "Mark", "Andrew", "Richard", "Stephen", "Peter",
    "Christopher", "Matthew", "Simon", "Gareth", "Craig", "Darren", "Lee", "Neil", "Gary", "Ian",
    "Robert", "John", "Anthony", "Kevin", "Martin", "Graham", "Keith", "Colin", "Dean", "Ryan",
    "Liam", "Connor", "Callum", "Kieran", "Seán", "Rhys", "Dylan", "Owain", "Iwan", "Hamish",
    "Euan", "Ross", "Fraser", "Arjun", "Rohan", "Ravi", "Imran", "Omar", "Yusuf", "Tariq", "Kwame",
    "Tobi", "Chidi", "Jakub", "Piotr", "Tomasz", "Marco", "Luca", "Mateo", "Rafael", "Nathan",
    "Adam", "Luke", "Jordan", "Ethan", "Aaron", "Elliot", "Finley", "Reuben", "Stanley", "Jude",
    "Ezra",
)  # fmt: skip

LAST_NAMES = (
    "Smith", "Jones", "Williams", "Taylor", "Brown", "Davies", "Evans", "Wilson", "Thomas",
    "Johnson", "Roberts", "Robinson", "Thompson", "Wright", "Walker", "White", "Edwards", "Hughes",
    "Green", "Hall", "Lewis", "Harris", "Clarke", "Patel", "Jackson", "Wood", "Turner", "Martin",
    "Cooper", "Hill", "Ward", "Morris", "Moore", "Clark", "Lee", "King", "Baker", "Harrison",
    "Morgan", "Allen", "James", "Scott", "Phillips", "Watson", "Davis", "Parker", "Price",
    "Bennett", "Young", "Griffiths", "Mitchell", "Kelly", "Cook", "Carter", "Richardson", "Bailey",
    "Collins", "Bell", "Shaw", "Murphy", "Miller", "Cox", "Richards", "Khan", "Marshall",
    "Anderson", "Simpson", "Ellis", "Adams", "Singh", "Begum", "Wilkinson", "Foster", "Chapman",
    "Powell", "Webb", "Rogers", "Gray", "Mason", "Ali", "Hunt", "Hussain", "Campbell", "Matthews",
    "Owen", "Palmer", "Holmes", "Mills", "Barnes", "Knight", "Lloyd", "Butler", "Russell", "Barker",
    "Fisher", "Stevens", "Jenkins", "Murray", "Dixon", "Harvey", "Graham", "Pearson", "Ahmed",
    "Fletcher", "Walsh", "Kaur", "Gibson", "Howard", "Andrews", "Stewart", "Elliott", "Reynolds",
    "Saunders", "Payne", "Fox", "Ford", "Pearce", "Day", "Brooks", "West", "Lawrence", "Cole",
    "Atkinson", "Bradley", "Spencer", "Gill", "Dawson", "Ball", "Burton", "O'Brien", "Watts",
    "Rose", "Booth", "Perry", "Ryan", "Grant", "Wells", "Armstrong", "Francis", "Rees", "Hayes",
    "Hart", "Hudson", "Newman", "Barrett", "Webster", "Hunter", "Gregory", "Carr", "Lowe", "Page",
    "Marsh", "Riley", "Dunn", "Woods", "Parsons", "Berry", "Stone", "Reid", "Holland", "Hawkins",
    "Harding", "Porter", "Robertson", "Newton", "Oliver", "Reed", "Kennedy", "Williamson", "Bird",
    "Gardner", "Shah", "Dean", "Lane", "Cooke", "Bates", "Henderson", "Parry", "Burgess", "Bishop",
    "Walton", "Burns", "Nicholson", "Shepherd", "Ross", "Cross", "Long", "Freeman", "Warren",
    "Nicholls", "Hamilton", "Byrne", "Sutton", "McDonald", "Yates", "Hodgson", "Robson", "Curtis",
    "Hopkins", "O'Connor", "Harper", "Coleman", "Watkins", "Moss", "McCarthy", "Chambers",
    "O'Neill", "Griffin", "Sharp", "Hardy", "Wheeler", "Potter", "Osborne", "Johnston", "Gordon",
    "Doyle", "Wallace", "George", "Jordan", "Hutchinson", "Rahman", "Nowak", "Kowalski", "Rossi",
    "Okafor", "Mensah", "Nguyen", "Chen", "Wong", "Smith-Jones", "Fraser-Hay", "MacLeod",
    "Sinclair", "Jarvis", "Kaplan", "Whitfield",
)  # fmt: skip

STREET_NAMES = (
    "High", "Station", "Main", "Park", "Church", "London", "Victoria", "Green", "Manor", "Kings",
    "Queens", "New", "Grange", "Mill", "School", "Albert", "Alexandra", "York", "North", "South",
    "West", "East", "George", "Chapel", "Springfield", "Windsor", "Highfield", "Oak", "Elm",
    "Beech", "Ash", "Willow", "Cedar", "Orchard", "Meadow", "Castle", "Bridge", "Market", "Mount",
    "Richmond", "Stanley", "Clarence", "Cromwell", "Wellington", "Nelson", "Milton", "Shakespeare",
    "Denmark", "Osborne", "Belmont", "Fairfield", "Hillside", "Woodland", "Lime", "Hawthorn",
    "Rosebery", "Marlborough", "Tennyson", "Lancaster", "Cavendish", "Devonshire", "Grosvenor",
)  # fmt: skip

# (full, abbreviation): CRM agents type the short form, the shop checkout the long one.
STREET_TYPES = (
    ("Road", "Rd"),
    ("Street", "St"),
    ("Lane", "Ln"),
    ("Avenue", "Ave"),
    ("Close", "Cl"),
    ("Drive", "Dr"),
    ("Way", "Way"),
    ("Gardens", "Gdns"),
    ("Crescent", "Cres"),
    ("Place", "Pl"),
    ("Grove", "Gr"),
    ("Terrace", "Terr"),
)

# (city, postcode areas, relative population weight)
CITIES = (
    ("London", ("SW", "SE", "N", "E", "W", "NW"), 90),
    ("Manchester", ("M",), 28),
    ("Birmingham", ("B",), 28),
    ("Leeds", ("LS",), 20),
    ("Glasgow", ("G",), 18),
    ("Liverpool", ("L",), 16),
    ("Bristol", ("BS",), 15),
    ("Sheffield", ("S",), 13),
    ("Edinburgh", ("EH",), 13),
    ("Newcastle upon Tyne", ("NE",), 11),
    ("Nottingham", ("NG",), 10),
    ("Leicester", ("LE",), 10),
    ("Cardiff", ("CF",), 10),
    ("Belfast", ("BT",), 9),
    ("Southampton", ("SO",), 8),
    ("Brighton", ("BN",), 8),
    ("Coventry", ("CV",), 8),
    ("Reading", ("RG",), 7),
    ("Oxford", ("OX",), 6),
    ("Cambridge", ("CB",), 6),
    ("York", ("YO",), 5),
    ("Norwich", ("NR",), 6),
    ("Exeter", ("EX",), 4),
    ("Aberdeen", ("AB",), 6),
    ("Bath", ("BA",), 3),
    ("Plymouth", ("PL",), 7),
    ("Derby", ("DE",), 7),
    ("Milton Keynes", ("MK",), 6),
    ("Swansea", ("SA",), 6),
    ("Stoke-on-Trent", ("ST",), 6),
)

# (store_id, name, city index in CITIES); people shop at the store of their city or region.
STORES = (
    ("ST01", "London Oxford Street", 0),
    ("ST02", "London Stratford", 0),
    ("ST03", "Manchester Arndale", 1),
    ("ST04", "Birmingham Bullring", 2),
    ("ST05", "Leeds Trinity", 3),
    ("ST06", "Glasgow Buchanan", 4),
    ("ST07", "Liverpool ONE", 5),
    ("ST08", "Bristol Cabot", 6),
    ("ST09", "Edinburgh St James", 8),
    ("ST10", "Newcastle Eldon", 9),
    ("ST11", "Nottingham", 10),
    ("ST12", "Cardiff St David's", 12),
    ("ST13", "Brighton Churchill", 15),
    ("ST14", "Cambridge", 19),
)

EMAIL_DOMAINS = (
    ("gmail.com", 38),
    ("hotmail.co.uk", 14),
    ("outlook.com", 12),
    ("yahoo.co.uk", 9),
    ("icloud.com", 9),
    ("btinternet.com", 6),
    ("live.co.uk", 4),
    ("sky.com", 3),
    ("aol.com", 2),
    ("virginmedia.com", 2),
    ("talktalk.net", 1),
)
# Misspelt domains as typed into a form: mail to them bounces.
DOMAIN_TYPOS = {
    "gmail.com": "gmial.com",
    "hotmail.co.uk": "hotmial.co.uk",
    "outlook.com": "outlok.com",
    "yahoo.co.uk": "yaho.co.uk",
    "icloud.com": "iclould.com",
    "btinternet.com": "btinternet.co",
    "live.co.uk": "live.co",
    "sky.com": "sky.con",
    "aol.com": "aol.co",
    "virginmedia.com": "virginmeda.com",
    "talktalk.net": "talktalk.met",
}
# Fictional employers for people who also use a work address.
WORK_DOMAINS = (
    "northbridge-logistics.co.uk", "fernhill-health.nhs.uk", "castlegate-legal.co.uk",
    "brightwater-energy.com", "kestrel-software.io", "pennine-housing.org.uk",
    "harbourview-accountants.co.uk", "moorland-schools.sch.uk", "greenacre-foods.co.uk",
    "riverside-council.gov.uk", "atlas-engineering.co.uk", "lumen-media.com",
)  # fmt: skip

PERSONAS = (
    "bargain_hunter",
    "loyal_regular",
    "occasional_gifter",
    "high_value_enthusiast",
    "window_shopper",
)

CHANNELS = ("web", "app", "store")

INCOME_BANDS = ("under_20k", "20k_40k", "40k_70k", "70k_100k", "over_100k")

LIFECYCLE_STAGES = ("subscriber", "lead", "marketing_qualified_lead", "customer", "evangelist")

LEAD_STATUSES = ("", "new", "contacted", "qualified", "converted", "lost")

LEAD_SOURCES = (
    ("web_form", 30),
    ("newsletter_popup", 22),
    ("paid_social", 18),
    ("organic_search", 10),
    ("in_store_event", 8),
    ("referral", 7),
    ("competition", 5),
)
HOW_HEARD = (
    "Instagram",
    "Facebook",
    "Google",
    "Friend or family",
    "TikTok",
    "Saw a store",
    "Magazine",
    "Other",
)

REFERRAL_SITES = (
    "https://www.moneysavingexpert.com/",
    "https://www.hotukdeals.com/",
    "https://www.reddit.com/",
    "https://www.pinterest.co.uk/",
    "https://www.which.co.uk/",
)


def ascii_slug(text: str) -> str:
    """Lower-case ASCII letters and digits only, as people write names in email addresses."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(ch for ch in folded.lower() if ch.isalnum())
