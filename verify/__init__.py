"""A workbench for designing and checking treaty verification regimes.

The pipeline, one module or package per step:
load (YAML, extends, schema) -> model (frozen data) -> engine (z3) / oracle
(brute force) -> analyses (properties as plain functions) -> explain -> report.
"""

__version__ = "0.1.0"
