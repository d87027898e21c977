"""The Jimu kernel: bundles, compiled apps, storage, records, API and CLI."""

__version__ = "0.1.0"
