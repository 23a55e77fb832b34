import os


def test_env_is_set():
    assert os.environ.get("GREETING") == "hello from tool.ci"


def test_install_step_ran():
    assert open("installed.txt").read() == "by the install step"
