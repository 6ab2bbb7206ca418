"""Entry points for django-q2. Thin on purpose: take an id, call a service."""

from gallery import services


def render_stylization(stylization_id: str) -> None:
    services.stylization_render(stylization_id=stylization_id)


def housekeeping() -> int:
    """Every minute: say the worker is alive, and requeue work that got stuck."""
    services.worker_heartbeat()
    return services.stylizations_reap()


def render_exploration(exploration_id: str) -> None:
    from gallery import explore

    explore.exploration_render(exploration_id=exploration_id)
