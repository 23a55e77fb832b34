import versioned


def test_version_comes_from_the_installed_metadata():
    assert versioned.__version__ == "1.4.2"


def test_greet():
    assert versioned.greet("ci") == "hello ci"
