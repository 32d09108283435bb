"""Team budgets: effective amounts, month-to-date use, forecasts and the alert ladder."""
