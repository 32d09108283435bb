"""Finding kinds: importing this package registers every one of them."""

from bot.orphans.kinds import addresses, load_balancers, snapshots, stopped_instances, volumes

__all__ = ["addresses", "load_balancers", "snapshots", "stopped_instances", "volumes"]
