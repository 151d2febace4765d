"""Tables, workbooks and reports built from results."""
