"""The care domain: inputs, the nightly plan, reports, run sheets, maps and the CLI."""
