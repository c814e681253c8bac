"""lifecycle: the authoritative record of templates and devices; runs the device drivers."""
