"""Fixtures that start lab worlds; each world is stopped by the test that started it."""
from __future__ import annotations

import pytest

from .kubectl import kubectl_path
from .scenario import SCENARIOS
from .world import World


@pytest.fixture(scope="session")
def kubectl():
    """The real kubectl 1.35, fetched once per venv (not part of a world's start-up time)."""
    return kubectl_path()


@pytest.fixture
def lab(kubectl, tmp_path):
    """lab(name) starts the world of scenario `name`; every world is stopped when the test ends."""
    worlds: list[World] = []

    def start(name: str) -> World:
        world = World(SCENARIOS[name], tmp_path / name)
        worlds.append(world)
        return world.start()

    yield start
    for world in worlds:
        world.stop()


@pytest.fixture(scope="module")
def fault_world(kubectl, tmp_path_factory):
    """One world for a module of fault_matrix runs (faults are switched per run); stopped after the module."""
    from .fault_matrix import start
    world = start(tmp_path_factory)
    yield world
    world.stop()
