"""Built-in converter plugins, one file each."""
