from helpers import double


class CheckDouble:
    def test_double(self):
        assert double(2) == 4

    def test_double_zero(self):
        assert double(0) == 0


class TestNotCollected:
    def test_broken(self):
        assert False, "pyproject.toml was not honoured"
