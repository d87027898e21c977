"""Records: the one write pipeline and the one read path every caller goes through."""
