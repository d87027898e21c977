"""Identity: the organisation (users, departments, roles), sign-in, and the permission filter."""
