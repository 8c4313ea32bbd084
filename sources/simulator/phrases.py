"""What customers write: review, ticket and survey sentences by mood, built into the free text
the text analysis reads (ml/text). Embedded, like the lexicon, so a simulation is reproducible."""

# Review sentences by star rating; {item} is the product's short noun.
REVIEW_SENTENCES = {
    1: (
        "Really disappointed with this {item}.",
        "It broke within a week.",
        "Poor quality for the price.",
        "Would not recommend.",
        "Complete waste of money.",
        "Arrived damaged and the replacement took ages.",
        "Nothing like the photos.",
        "I have sent it back.",
        "Cheaply made and uncomfortable.",
    ),
    2: (
        "Not great, sadly.",
        "The {item} looks fine but feels flimsy.",
        "Expected better from this brand.",
        "Sizing is way off.",
        "It does the job, barely.",
        "Took far too long to arrive.",
        "Colour was not as pictured.",
    ),
    3: (
        "It's okay.",
        "Decent {item} but nothing special.",
        "Average quality for the price.",
        "Does what it says.",
        "A bit smaller than I expected.",
        "Fine for everyday use.",
        "Delivery was slow but the {item} is alright.",
    ),
    4: (
        "Good {item}, happy with it.",
        "Nice quality and quick delivery.",
        "Would buy again.",
        "Very comfortable.",
        "Good value for money.",
        "Looks lovely, just a little pricey.",
        "Fits well and washes nicely.",
    ),
    5: (
        "Absolutely love this {item}!",
        "Brilliant quality, highly recommend.",
        "Perfect, exactly as described.",
        "Best purchase I've made this year.",
        "Fantastic value and super fast delivery.",
        "Bought one for my sister too.",
        "Gorgeous, and the packaging was lovely.",
        "Five stars, would buy again.",
    ),
}
REVIEW_COMPANY_SENTENCES = {
    1: (
        "Terrible service.",
        "My order never arrived and nobody replied.",
        "I will not be ordering again.",
        "Customer service kept me on hold for ages.",
    ),
    2: (
        "Delivery was late again.",
        "Disappointing experience overall.",
        "Had to chase my refund twice.",
    ),
    3: (
        "Mixed experience.",
        "Products are fine, delivery could be quicker.",
        "Okay but nothing special.",
    ),
    4: (
        "Good shop, friendly staff.",
        "Easy to order and quick delivery.",
        "Returns were straightforward.",
    ),
    5: (
        "Excellent service as always.",
        "Lovely shop, great staff.",
        "Fast delivery and brilliant products.",
        "My go-to for gifts.",
    ),
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
        "How do I return an item from order {order}?",
        "I'd like a refund for order {order}.",
        "Can I exchange the {item} for a different size?",
    ),
    "billing": (
        "I've been charged twice for order {order}.",
        "My discount code didn't apply to {order}.",
        "Can you send me a VAT invoice for {order}?",
    ),
    "account": (
        "I can't log in to my account, the reset email never arrives.",
        "Please update my delivery address.",
        "How do I unsubscribe from the emails?",
        "Please delete my old account.",
    ),
}

SURVEY_COMMENTS = {
    "detractor": (
        "Delivery was late and nobody kept me informed.",
        "Quality has gone downhill.",
        "Customer service was unhelpful.",
        "Too expensive for what you get.",
        "The item broke and the return was a hassle.",
    ),
    "passive": (
        "Fine, nothing special.",
        "Decent range but prices are high.",
        "Delivery could be quicker.",
        "Good products, website is a bit clunky.",
    ),
    "promoter": (
        "Love the products and the service.",
        "Always reliable, great quality.",
        "Staff in store are brilliant.",
        "Fast delivery and easy returns.",
        "My favourite shop for presents.",
    ),
}
