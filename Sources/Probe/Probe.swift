// Probe module
