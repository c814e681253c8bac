"""mgmt: configures appliances through management drivers and emits lifecycle notifications."""
