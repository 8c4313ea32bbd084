"""The five models by name: each names its training asset (ml/<name>_model) and its artifacts'
folder (data/models/<name>/). Their scores are the ml.* tables (ml/pipeline/tables.py)."""

from ml.churn.pipeline import NAME as CHURN
from ml.clv.pipeline import NAME as CLV
from ml.leads.pipeline import NAME as LEADS
from ml.offers.pipeline import NAME as OFFERS
from ml.segments.pipeline import NAME as SEGMENTS

MODEL_NAMES = (SEGMENTS, LEADS, CHURN, CLV, OFFERS)
