"""Next best offer: the products each customer is most likely to buy next, with the campaign or
coupon running for them (ml.next_best_offers).

    from ml.offers import recommend, attach_campaigns, evaluate_offers

Modules: recommender (co-purchase, co-view, interests, popularity), campaigns (the campaign per
offered category), evaluation (hit rate at k on a time split against the most popular
products), pipeline (train and score from the feature marts). Pure Python, no Dagster.
"""

from ml.offers.campaigns import attach_campaigns
from ml.offers.evaluation import OfferEvaluation, evaluate_offers
from ml.offers.recommender import match_interests, popular_products, recommend

__all__ = [
    "OfferEvaluation",
    "attach_campaigns",
    "evaluate_offers",
    "match_interests",
    "popular_products",
    "recommend",
]
