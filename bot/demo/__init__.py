"""`finops-bot demo`: the whole bot offline — moto, the Cost Explorer stand-in, the console."""

from bot.demo.runner import DEMO_CHANNELS, DEMO_USERS, DemoStack, run_demo, start_demo

__all__ = ["DEMO_CHANNELS", "DEMO_USERS", "DemoStack", "run_demo", "start_demo"]
