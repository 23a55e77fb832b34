import sys
import pytest
from calc import add


def test_add():
    assert add(1, 2) == 3


@pytest.mark.parametrize("a,b,total", [(1, 1, 2), (2, 2, 5)])
def test_add_table(a, b, total):
    assert add(a, b) == total


@pytest.mark.skipif(sys.version_info > (3,), reason="not on Python 3")
def test_python2_only():
    assert False
