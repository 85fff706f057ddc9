"""Built-in runtime plugins, one file each."""
