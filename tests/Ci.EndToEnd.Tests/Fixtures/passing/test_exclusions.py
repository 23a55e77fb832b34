import os


def test_hidden_and_pycache_files_were_not_uploaded():
    assert not os.path.exists(".env")
    assert not os.path.exists(".hidden")
    assert not os.path.exists("__pycache__/junk.pyc")
