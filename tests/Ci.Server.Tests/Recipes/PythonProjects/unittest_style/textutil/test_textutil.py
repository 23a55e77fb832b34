import unittest

from textutil import shout


class ShoutTests(unittest.TestCase):
    def setUp(self):
        self.word = "hi"

    def test_shout(self):
        self.assertEqual(shout(self.word), "HI!")

    def test_shout_empty(self):
        self.assertEqual(shout(""), "!")

    @unittest.skip("demonstrating skips")
    def test_skipped(self):
        self.fail("never runs")

    def test_wrong(self):
        self.assertEqual(shout("a"), "a")


if __name__ == "__main__":
    unittest.main()
