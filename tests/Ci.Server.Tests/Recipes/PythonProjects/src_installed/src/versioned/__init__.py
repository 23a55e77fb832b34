from importlib.metadata import version

__version__ = version("versioned")


def greet(name):
    return f"hello {name}"
