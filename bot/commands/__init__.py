"""The `helpline` command's subcommands (the entry point is bot/cli.py): content, nlu, staff."""
