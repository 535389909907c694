"""mentorburst: real-time video micro-mentoring."""

__version__ = "0.1.0"
