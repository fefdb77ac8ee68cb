"""The `ghapp` sub-commands, one module each; `ghapp.cli.COMMANDS` lists them."""
