"""The web front end: the designers and the end-user runtime."""
