import pytest


def test_fast():
    assert True


@pytest.mark.slow
def test_slow_and_broken():
    assert False, "setup.cfg was not honoured"
