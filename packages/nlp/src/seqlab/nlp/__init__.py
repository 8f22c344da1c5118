"""seqlab.nlp."""
