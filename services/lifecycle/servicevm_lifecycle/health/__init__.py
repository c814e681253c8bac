"""What lifecycle does with mgmt's health verdicts: ACTIVE ↔ DEAD, and replacing a dead
device through its driver (``respawn``) or its VNF's heal (``heal``), rate-limited per
template; a dead device that is not replaced is announced lost."""
