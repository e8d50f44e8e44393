"""seqkit: recurrent sequence models for Keras 3."""

__version__ = "0.1.0"
