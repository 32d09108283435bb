"""A Cost Explorer stand-in that aggregates cost line items the way AWS does.

moto cannot aggregate Cost Explorer data, so the bot's real `ce` client talks to this over
HTTP (AWS JSON 1.1), pointed at it with `AWS_ENDPOINT_URL_COST_EXPLORER` or `endpoint_url=`.
Supported: GetCostAndUsage, GetCostForecast, GetDimensionValues, GetTags.
"""

from .errors import CostExplorerError
from .line_items import LineItem
from .server import CostExplorerStandin

__all__ = ["CostExplorerError", "CostExplorerStandin", "LineItem"]
