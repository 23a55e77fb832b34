def should_add():
    assert 1 + 1 == 2


def should_fail():
    assert 1 + 1 == 3


def test_not_collected_here():
    assert False, "tox.ini was not honoured"
