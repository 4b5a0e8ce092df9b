"""Benchmarks (`qms bench core`, `qms bench api`): figures printed against the aims of the issues."""
