"""The `curate` command line. Each module registers its commands on the app in `main.py`."""
