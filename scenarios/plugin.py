"""pytest plugin collecting scenario files. STUB — replaced by the scenario runner."""
