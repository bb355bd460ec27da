"""The sandbox page: a web view of the emulated channel and the fault panel."""
