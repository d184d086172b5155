"""The benchmark (``make bench`` → bench/run.py) and its floor (bench/floor.sql); see bench/README.md."""
