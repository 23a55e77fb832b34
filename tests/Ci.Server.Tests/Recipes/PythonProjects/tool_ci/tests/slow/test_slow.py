def test_not_selected():
    assert False, "the [tool.ci] test command was not used"
