"""seqlab.seqmodels."""
