"""Tests that pin the behaviour of the XSOAR test doubles (demistomock, CommonServerPython)."""
