"""newsrag: a citable question-answering knowledge base over a folder of news articles."""

__version__ = "0.1.0"
