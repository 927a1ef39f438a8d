"""Test double of XSOAR's CommonServerUserPython: empty, as in a fresh XSOAR tenant."""
