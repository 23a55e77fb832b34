import os


def test_mode():
    assert os.environ.get("MODE") == "ci-toml"


def test_excluded():
    assert False, "ci.toml's test command was not used"
