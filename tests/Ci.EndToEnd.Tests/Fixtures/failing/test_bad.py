def test_passes():
    assert True


def test_fails():
    assert 2 + 2 == 5, "arithmetic is broken"
