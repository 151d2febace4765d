from verteilung.cli import entry

entry()
