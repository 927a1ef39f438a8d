"""Reliability suites: faults from a real loopback server, hostile input, and a secret scan."""
