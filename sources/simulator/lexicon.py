"""Embedded word lists: names, places, categories and the phrases text is built from.

Kept in code (no Faker, no downloads) so a simulation is reproducible anywhere. The lists are
long enough that a few thousand people look varied, and short enough to read.
"""

from __future__ import annotations

import unicodedata

FEMALE_FIRST_NAMES = (
    "Olivia", "Amelia", "Isla", "Ava", "Mia", "Ivy", "Lily", "Isabella", "Rosie", "Sophia",
    "Grace", "Freya", "Willow", "Florence", "Emily", "Ella", "Poppy", "Evie", "Elsie", "Charlotte",
    "Evelyn", "Sienna", "Phoebe", "Ruby", "Harper", "Sophie", "Daisy", "Alice", "Matilda", "Millie",
    "Chloe", "Jessica", "Hannah", "Lucy", "Emma", "Sarah", "Laura", "Rebecca", "Rachel", "Claire",
    "Helen", "Joanne", "Nicola", "Karen", "Susan", "Julie", "Amanda", "Louise", "Victoria", "Kate",
    "Natalie", "Gemma", "Zoë", "Siân", "Niamh", "Aoife", "Priya", "Aisha", "Fatima", "Amira",
    "Chioma", "Zara", "Maryam", "Anjali", "Mei", "Agnieszka", "Katarzyna", "Elena", "Chiara",
    "Margaret", "Patricia", "Janet", "Carol", "Deborah", "Lorraine", "Tracey", "Jennifer",
    "Bethany", "Megan", "Abigail", "Leah", "Holly", "Eleanor", "Imogen", "Harriet", "Beatrice",
    "Georgia", "Lauren", "Naomi", "Jasmine", "Esme", "Maisie", "Heidi", "Orla", "Cerys", "Ffion",
    "Nia", "Eilidh", "Mhairi",
)

MALE_FIRST_NAMES = (
    "Oliver", "George", "Noah", "Arthur", "Muhammad", "Leo", "Harry", "Oscar", "Archie", "Henry",
    "Theodore", "Freddie", "Jack", "Charlie", "Theo", "Alfie", "Jacob", "Thomas", "William",
    "Lucas", "James", "Joshua", "Samuel", "Daniel", "Benjamin", "Joseph", "Edward", "Alexander",
    "Max", "Isaac", "David", "Michael", "Paul", "Mark", "Andrew", "Richard", "Stephen", "Peter",
    "Christopher", "Matthew", "Simon", "Gareth", "Craig", "Darren", "Lee", "Neil", "Gary", "Ian",
    "Robert", "John", "Anthony", "Kevin", "Martin", "Graham", "Keith", "Colin", "Dean", "Ryan",
    "Liam", "Connor", "Callum", "Kieran", "Seán", "Rhys", "Dylan", "Owain", "Iwan", "Hamish",
    "Euan", "Ross", "Fraser", "Arjun", "Rohan", "Ravi", "Imran", "Omar", "Yusuf", "Tariq",
    "Kwame", "Tobi", "Chidi", "Jakub", "Piotr", "Tomasz", "Marco", "Luca", "Mateo", "Rafael",
    "Nathan", "Adam", "Luke", "Jordan", "Ethan", "Aaron", "Elliot", "Finley", "Reuben", "Stanley",
    "Jude", "Ezra",
)

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
    "Owen", "Palmer", "Holmes", "Mills", "Barnes", "Knight", "Lloyd", "Butler", "Russell",
    "Barker", "Fisher", "Stevens", "Jenkins", "Murray", "Dixon", "Harvey", "Graham", "Pearson",
    "Ahmed", "Fletcher", "Walsh", "Kaur", "Gibson", "Howard", "Andrews", "Stewart", "Elliott",
    "Reynolds", "Saunders", "Payne", "Fox", "Ford", "Pearce", "Day", "Brooks", "West", "Lawrence",
    "Cole", "Atkinson", "Bradley", "Spencer", "Gill", "Dawson", "Ball", "Burton", "O'Brien",
    "Watts", "Rose", "Booth", "Perry", "Ryan", "Grant", "Wells", "Armstrong", "Francis", "Rees",
    "Hayes", "Hart", "Hudson", "Newman", "Barrett", "Webster", "Hunter", "Gregory", "Carr",
    "Lowe", "Page", "Marsh", "Riley", "Dunn", "Woods", "Parsons", "Berry", "Stone", "Reid",
    "Holland", "Hawkins", "Harding", "Porter", "Robertson", "Newton", "Oliver", "Reed", "Kennedy",
    "Williamson", "Bird", "Gardner", "Shah", "Dean", "Lane", "Cooke", "Bates", "Henderson",
    "Parry", "Burgess", "Bishop", "Walton", "Burns", "Nicholson", "Shepherd", "Ross", "Cross",
    "Long", "Freeman", "Warren", "Nicholls", "Hamilton", "Byrne", "Sutton", "McDonald", "Yates",
    "Hodgson", "Robson", "Curtis", "Hopkins", "O'Connor", "Harper", "Coleman", "Watkins", "Moss",
    "McCarthy", "Chambers", "O'Neill", "Griffin", "Sharp", "Hardy", "Wheeler", "Potter",
    "Osborne", "Johnston", "Gordon", "Doyle", "Wallace", "George", "Jordan", "Hutchinson", "Rahman",
    "Nowak", "Kowalski", "Rossi", "Okafor", "Mensah", "Nguyen", "Chen", "Wong", "Smith-Jones",
    "Fraser-Hay", "MacLeod", "Sinclair", "Jarvis", "Kaplan", "Whitfield",
)

STREET_NAMES = (
    "High", "Station", "Main", "Park", "Church", "London", "Victoria", "Green", "Manor", "Kings",
    "Queens", "New", "Grange", "Mill", "School", "Albert", "Alexandra", "York", "North", "South",
    "West", "East", "George", "Chapel", "Springfield", "Windsor", "Highfield", "Oak", "Elm",
    "Beech", "Ash", "Willow", "Cedar", "Orchard", "Meadow", "Castle", "Bridge", "Market", "Mount",
    "Richmond", "Stanley", "Clarence", "Cromwell", "Wellington", "Nelson", "Milton", "Shakespeare",
    "Denmark", "Osborne", "Belmont", "Fairfield", "Hillside", "Woodland", "Lime", "Hawthorn",
    "Rosebery", "Marlborough", "Tennyson", "Lancaster", "Cavendish", "Devonshire", "Grosvenor",
)

# (full, abbreviation): CRM agents type the short form, the shop checkout the long one.
STREET_TYPES = (
    ("Road", "Rd"), ("Street", "St"), ("Lane", "Ln"), ("Avenue", "Ave"), ("Close", "Cl"),
    ("Drive", "Dr"), ("Way", "Way"), ("Gardens", "Gdns"), ("Crescent", "Cres"), ("Place", "Pl"),
    ("Grove", "Gr"), ("Terrace", "Terr"),
)

# (city, postcode areas, relative population weight)
CITIES = (
    ("London", ("SW", "SE", "N", "E", "W", "NW"), 90),
    ("Manchester", ("M",), 28), ("Birmingham", ("B",), 28), ("Leeds", ("LS",), 20),
    ("Glasgow", ("G",), 18), ("Liverpool", ("L",), 16), ("Bristol", ("BS",), 15),
    ("Sheffield", ("S",), 13), ("Edinburgh", ("EH",), 13), ("Newcastle upon Tyne", ("NE",), 11),
    ("Nottingham", ("NG",), 10), ("Leicester", ("LE",), 10), ("Cardiff", ("CF",), 10),
    ("Belfast", ("BT",), 9), ("Southampton", ("SO",), 8), ("Brighton", ("BN",), 8),
    ("Coventry", ("CV",), 8), ("Reading", ("RG",), 7), ("Oxford", ("OX",), 6),
    ("Cambridge", ("CB",), 6), ("York", ("YO",), 5), ("Norwich", ("NR",), 6),
    ("Exeter", ("EX",), 4), ("Aberdeen", ("AB",), 6), ("Bath", ("BA",), 3),
    ("Plymouth", ("PL",), 7),
    ("Derby", ("DE",), 7), ("Milton Keynes", ("MK",), 6), ("Swansea", ("SA",), 6),
    ("Stoke-on-Trent", ("ST",), 6),
)

# (store_id, name, city index in CITIES); people shop at the store of their city or region.
STORES = (
    ("ST01", "London Oxford Street", 0), ("ST02", "London Stratford", 0),
    ("ST03", "Manchester Arndale", 1), ("ST04", "Birmingham Bullring", 2),
    ("ST05", "Leeds Trinity", 3),
    ("ST06", "Glasgow Buchanan", 4), ("ST07", "Liverpool ONE", 5), ("ST08", "Bristol Cabot", 6),
    ("ST09", "Edinburgh St James", 8), ("ST10", "Newcastle Eldon", 9), ("ST11", "Nottingham", 10),
    ("ST12", "Cardiff St David's", 12), ("ST13", "Brighton Churchill", 15),
    ("ST14", "Cambridge", 19),
)

EMAIL_DOMAINS = (
    ("gmail.com", 38), ("hotmail.co.uk", 14), ("outlook.com", 12), ("yahoo.co.uk", 9),
    ("icloud.com", 9), ("btinternet.com", 6), ("live.co.uk", 4), ("sky.com", 3),
    ("aol.com", 2), ("virginmedia.com", 2), ("talktalk.net", 1),
)
# Misspelt domains as typed into a form: mail to them bounces.
DOMAIN_TYPOS = {
    "gmail.com": "gmial.com", "hotmail.co.uk": "hotmial.co.uk", "outlook.com": "outlok.com",
    "yahoo.co.uk": "yaho.co.uk", "icloud.com": "iclould.com", "btinternet.com": "btinternet.co",
    "live.co.uk": "live.co", "sky.com": "sky.con", "aol.com": "aol.co", "virginmedia.com":
    "virginmeda.com", "talktalk.net": "talktalk.met",
}
# Fictional employers for people who also use a work address.
WORK_DOMAINS = (
    "northbridge-logistics.co.uk", "fernhill-health.nhs.uk", "castlegate-legal.co.uk",
    "brightwater-energy.com", "kestrel-software.io", "pennine-housing.org.uk",
    "harbourview-accountants.co.uk", "moorland-schools.sch.uk", "greenacre-foods.co.uk",
    "riverside-council.gov.uk", "atlas-engineering.co.uk", "lumen-media.com",
)

PERSONAS = (
    "bargain_hunter", "loyal_regular", "occasional_gifter", "high_value_enthusiast",
    "window_shopper",
)

CHANNELS = ("web", "app", "store")

INCOME_BANDS = ("under_20k", "20k_40k", "40k_70k", "70k_100k", "over_100k")

LIFECYCLE_STAGES = ("subscriber", "lead", "marketing_qualified_lead", "customer", "evangelist")

LEAD_STATUSES = ("", "new", "contacted", "qualified", "converted", "lost")

LEAD_SOURCES = (
    ("web_form", 30), ("newsletter_popup", 22), ("paid_social", 18), ("organic_search", 10),
    ("in_store_event", 8), ("referral", 7), ("competition", 5),
)
HOW_HEARD = ("Instagram", "Facebook", "Google", "Friend or family", "TikTok", "Saw a store",
             "Magazine", "Other")

# (slug, display name, median price GBP, price spread, defect rate, nouns, search terms)
CATEGORIES = (
    ("clothing", "Clothing", 32.0, 0.55, 0.015,
     ("Shirt", "Jumper", "Dress", "Jacket", "Jeans", "Chinos", "Coat", "Blouse", "T-Shirt",
      "Cardigan", "Hoodie", "Skirt"),
     ("linen shirt", "wool jumper", "summer dress", "rain jacket", "slim jeans", "winter coat")),
    ("footwear", "Footwear", 55.0, 0.45, 0.02,
     ("Trainers", "Boots", "Loafers", "Sandals", "Slippers", "Running Shoes", "Chelsea Boots"),
     ("trainers", "chelsea boots", "running shoes", "slippers", "sandals")),
    ("home", "Home & Kitchen", 28.0, 0.8, 0.025,
     ("Casserole Dish", "Knife Set", "Duvet Cover", "Cushion", "Table Lamp", "Mug Set", "Throw",
      "Frying Pan", "Tea Towels", "Serving Board", "Storage Jars", "Candle"),
     ("duvet cover", "frying pan", "table lamp", "cushions", "knife set", "candles")),
    ("beauty", "Beauty", 18.0, 0.6, 0.01,
     ("Moisturiser", "Serum", "Lip Balm", "Shampoo", "Body Wash", "Eau de Parfum", "Hand Cream",
      "Face Mask", "Gift Set"),
     ("vitamin c serum", "moisturiser", "perfume gift set", "hand cream", "shampoo")),
    ("electronics", "Electronics", 75.0, 0.9, 0.04,
     ("Headphones", "Bluetooth Speaker", "Smart Plug", "Phone Charger", "E-Reader", "Desk Lamp",
      "Fitness Tracker", "Power Bank", "Earbuds"),
     ("wireless earbuds", "bluetooth speaker", "power bank", "fitness tracker", "usb c charger")),
    ("toys", "Toys & Games", 22.0, 0.7, 0.02,
     ("Board Game", "Jigsaw Puzzle", "Building Set", "Plush Bear", "Wooden Train", "Card Game",
      "Craft Kit", "Remote Control Car"),
     ("board games", "jigsaw 1000", "lego", "craft kit", "soft toy")),
    ("sports", "Sports & Outdoors", 40.0, 0.7, 0.02,
     ("Yoga Mat", "Water Bottle", "Backpack", "Running Jacket", "Dumbbells", "Walking Poles",
      "Cycling Gloves", "Tent"),
     ("yoga mat", "hiking backpack", "running jacket", "water bottle", "tent 2 man")),
    ("garden", "Garden", 30.0, 0.8, 0.02,
     ("Planter", "Hose", "Bird Feeder", "Garden Gloves", "Solar Lights", "Pruning Shears",
      "Seed Kit", "Parasol"),
     ("solar lights", "planters", "garden hose", "bird feeder", "parasol")),
    ("books", "Books & Stationery", 12.0, 0.5, 0.005,
     ("Notebook", "Cookbook", "Novel", "Diary", "Pen Set", "Colouring Book", "Travel Guide",
      "Photo Album"),
     ("notebook", "2026 diary", "cookbook", "fountain pen", "colouring book")),
    ("food", "Food & Drink", 9.0, 0.5, 0.005,
     ("Coffee Beans", "Loose Leaf Tea", "Chocolate Box", "Hamper", "Olive Oil", "Biscuit Tin",
      "Hot Sauce", "Gin Gift Set"),
     ("coffee beans", "hamper", "chocolates", "tea gift", "gin gift set")),
)
CATEGORY_POPULARITY = (18, 9, 16, 11, 10, 8, 8, 7, 7, 6)

PRODUCT_ADJECTIVES = (
    "Classic", "Essential", "Heritage", "Coastal", "Nordic", "Everyday", "Premium", "Organic",
    "Harbour", "Highland", "Urban", "Studio", "Cosy", "Signature", "Eco", "Vintage", "Modern",
    "Artisan", "Weekend", "Luxe",
)
PRODUCT_VARIANTS = (
    "Navy", "Oatmeal", "Charcoal", "Sage", "Ivory", "Black", "Terracotta", "Blush", "Forest",
    "Slate", "Mustard", "Stone", "Small", "Large", "Set of 2", "Set of 4",
)

REFERRAL_SITES = (
    "https://www.moneysavingexpert.com/", "https://www.hotukdeals.com/",
    "https://www.reddit.com/", "https://www.pinterest.co.uk/", "https://www.which.co.uk/",
)

# Review sentences by star rating; {item} is the product's short noun.
REVIEW_SENTENCES = {
    1: (
        "Really disappointed with this {item}.", "It broke within a week.",
        "Poor quality for the price.", "Would not recommend.", "Complete waste of money.",
        "Arrived damaged and the replacement took ages.", "Nothing like the photos.",
        "I have sent it back.", "Cheaply made and uncomfortable.",
    ),
    2: (
        "Not great, sadly.", "The {item} looks fine but feels flimsy.",
        "Expected better from this brand.", "Sizing is way off.", "It does the job, barely.",
        "Took far too long to arrive.", "Colour was not as pictured.",
    ),
    3: (
        "It's okay.", "Decent {item} but nothing special.", "Average quality for the price.",
        "Does what it says.", "A bit smaller than I expected.", "Fine for everyday use.",
        "Delivery was slow but the {item} is alright.",
    ),
    4: (
        "Good {item}, happy with it.", "Nice quality and quick delivery.",
        "Would buy again.", "Very comfortable.", "Good value for money.",
        "Looks lovely, just a little pricey.", "Fits well and washes nicely.",
    ),
    5: (
        "Absolutely love this {item}!", "Brilliant quality, highly recommend.",
        "Perfect, exactly as described.", "Best purchase I've made this year.",
        "Fantastic value and super fast delivery.", "Bought one for my sister too.",
        "Gorgeous, and the packaging was lovely.", "Five stars, would buy again.",
    ),
}
REVIEW_COMPANY_SENTENCES = {
    1: ("Terrible service.", "My order never arrived and nobody replied.",
        "I will not be ordering again.", "Customer service kept me on hold for ages."),
    2: ("Delivery was late again.", "Disappointing experience overall.",
        "Had to chase my refund twice."),
    3: ("Mixed experience.", "Products are fine, delivery could be quicker.",
        "Okay but nothing special."),
    4: ("Good shop, friendly staff.", "Easy to order and quick delivery.",
        "Returns were straightforward."),
    5: ("Excellent service as always.", "Lovely shop, great staff.",
        "Fast delivery and brilliant products.", "My go-to for gifts."),
}

TICKET_TEXTS = {
    "delivery": (
        "Hi, my order {order} was due {due} and still hasn't arrived. Can you tell me where it is?",
        "Tracking for {order} hasn't updated in days. Please help.",
        "Where is my parcel? Order {order}. I needed it for the weekend.",
        "The courier says delivered but I have nothing. Order {order}.",
    ),
    "product_defect": (
        "The {item} I received in order {order} is faulty, it stopped working after a day.",
        "My {item} arrived damaged, the box was crushed. I'd like a replacement.",
        "The {item} from order {order} has a defect. How do I return it?",
    ),
    "wrong_item": (
        "I received the wrong item in order {order}. I ordered a {item}.",
        "Order {order} is missing the {item}.",
    ),
    "returns": (
        "How do I return an item from order {order}?", "I'd like a refund for order {order}.",
        "Can I exchange the {item} for a different size?",
    ),
    "billing": (
        "I've been charged twice for order {order}.", "My discount code didn't apply to {order}.",
        "Can you send me a VAT invoice for {order}?",
    ),
    "account": (
        "I can't log in to my account, the reset email never arrives.",
        "Please update my delivery address.", "How do I unsubscribe from the emails?",
        "Please delete my old account.",
    ),
}

SURVEY_COMMENTS = {
    "detractor": (
        "Delivery was late and nobody kept me informed.", "Quality has gone downhill.",
        "Customer service was unhelpful.", "Too expensive for what you get.",
        "The item broke and the return was a hassle.",
    ),
    "passive": (
        "Fine, nothing special.", "Decent range but prices are high.",
        "Delivery could be quicker.", "Good products, website is a bit clunky.",
    ),
    "promoter": (
        "Love the products and the service.", "Always reliable, great quality.",
        "Staff in store are brilliant.", "Fast delivery and easy returns.",
        "My favourite shop for presents.",
    ),
}


def ascii_slug(text: str) -> str:
    """Lower-case ASCII letters and digits only, as people write names in email addresses."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(ch for ch in folded.lower() if ch.isalnum())
