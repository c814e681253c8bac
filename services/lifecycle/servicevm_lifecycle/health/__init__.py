"""What lifecycle does with mgmt's health verdicts: ACTIVE ↔ DEAD, and replacing a dead
device through its driver (``respawn``), rate-limited per template."""
