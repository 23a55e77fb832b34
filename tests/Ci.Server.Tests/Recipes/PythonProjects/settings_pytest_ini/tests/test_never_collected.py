def test_would_fail():
    assert False, "pytest.ini was not honoured"
