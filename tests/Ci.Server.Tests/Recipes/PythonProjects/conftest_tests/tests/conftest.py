import pytest

from inventory import Store


@pytest.fixture
def store():
    s = Store()
    s.add("apple", 3)
    return s


@pytest.fixture
def broken():
    raise RuntimeError("fixture set-up fails")
