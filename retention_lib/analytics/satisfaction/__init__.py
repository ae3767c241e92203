"""Satisfaction and complaints: scores (NPS, CSAT, CES), dimensions (what drives them),
behaviour (do dissatisfied members leave), comments (themes), complaints, and the month
(everything together, for notebook 06 and the report)."""
from retention_lib.analytics.satisfaction.behaviour import BehaviourResult, behaviour
from retention_lib.analytics.satisfaction.dimensions import (DriverResult, dimension_performance, drivers,
                                                             relative_weights)
from retention_lib.analytics.satisfaction.month import SatisfactionMonth, for_month, member_p_alive, save
from retention_lib.analytics.satisfaction.scores import (MIN_N, NO_STORE, NPS_GROUPS, ces, change, csat,
                                                         headline, in_period, mean_interval, monthly, nps,
                                                         nps_group, score_table, scores, wilson)

__all__ = ["BehaviourResult", "DriverResult", "MIN_N", "NO_STORE", "NPS_GROUPS", "SatisfactionMonth", "for_month", "behaviour", "ces",
           "change", "csat", "dimension_performance", "drivers", "headline", "in_period", "mean_interval",
           "member_p_alive", "monthly", "nps", "nps_group", "relative_weights", "save", "score_table", "scores",
           "wilson"]
