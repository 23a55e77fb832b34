def test_add(store):
    assert store.add("apple", 2) == 5


def test_new_item(store):
    assert store.add("pear", 1) == 1


def test_uses_a_broken_fixture(broken):
    pass
