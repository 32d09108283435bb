"""A local stand-in for Slack ("the console") for the demo and end-to-end tests.

Start it, point the bot's ``WebClient`` at :attr:`SlackConsole.api_url`, point the
console at the bot's events URL, then drive it from Python or from the web page.
"""

from bot.wsgi_thread import BackgroundServer

from .console import SlackConsole
from .delivery import Delivery

__all__ = ["BackgroundServer", "Delivery", "SlackConsole"]
