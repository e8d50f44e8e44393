"""Inference beyond `Run.predict`: text generation with carried state."""

from seqkit.inference.generation import generate_text, sample_next, stepping_model

__all__ = ["generate_text", "sample_next", "stepping_model"]
