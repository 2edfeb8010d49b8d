"""Retention and legal hold: per-class policies, holds that beat them, a two-phase daily run (mark, then destroy
after a grace period) and a hash-chained receipt for every object destroyed (docs/retention.md)."""
