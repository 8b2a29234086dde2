"""Identity: persons, enterprises and staff; roles scoped by region and department; login."""
