"""seqlab.cli: the seqlab command line."""
