"""Every chart of the report and the notebooks, one module per part; `charts.<name>` reaches each."""
from retention_lib.report.charts.style import HIGHLIGHT, MAX_STORE_LINES, PALETTE, use_style  # noqa: F401
from retention_lib.report.charts.activity import (  # noqa: F401
    coverage_chart, membership_chart, kpi_trends_chart)
from retention_lib.report.charts.churn_value import (  # noqa: F401
    period_transactions_chart, p_alive_matrix_chart, tracking_chart, calibration_chart, clv_groups_chart, track_record_chart)
from retention_lib.report.charts.segments import (  # noqa: F401
    segments_chart, tiers_chart, migration_chart, early_warning_chart)
from retention_lib.report.charts.drivers import (  # noqa: F401
    drivers_chart)
from retention_lib.report.charts.satisfaction import (  # noqa: F401
    satisfaction_trend_chart, importance_performance_chart, complaints_chart, satisfaction_churn_chart, comment_themes_chart)
from retention_lib.report.charts.cohorts import cohort_heatmap  # noqa: F401
from retention_lib.report.charts.regularity import regularity_chart  # noqa: F401
from retention_lib.report.charts.email import email_charts, email_trend, revenue_members_chart, churn_chart  # noqa: F401
