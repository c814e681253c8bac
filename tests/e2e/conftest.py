"""Fixtures several end-to-end modules share: the monitoring engine the health tests need,
and a listener to the VNF LCM messages."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from shared.devstack import Suite
from tests.support.environment import TEST_ENV
from tests.support.monitoring import monitoring_engine
from tests.support.vnflcm import VnfLcmBus


@pytest.fixture(scope="module")
def engine(suite: Suite, tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """The monitoring engine (its Celery worker and beat), for the module that asks for it."""
    with monitoring_engine(dict(TEST_ENV), tmp_path_factory.mktemp("celery")):
        yield


@pytest.fixture
def bus(suite: Suite) -> Iterator[VnfLcmBus]:
    listener = VnfLcmBus(suite.settings)
    yield listener
    listener.close()
