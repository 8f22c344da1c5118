"""One module per `seqlab` command."""
