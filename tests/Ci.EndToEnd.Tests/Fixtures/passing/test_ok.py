def test_one():
    assert 1 + 1 == 2


def test_two():
    print("héllo from a passing test")
    assert "ci".upper() == "CI"
