"""HTTP routes, one module per OpenStack service; they translate only."""
