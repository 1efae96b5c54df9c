"""The reference files are data read by tests/test_reference_notebooks.py, not tests: never
collect or import them (micrograd_test_engine.py imports torch and micrograd)."""

collect_ignore_glob = ["*.py", "*.ipynb"]
