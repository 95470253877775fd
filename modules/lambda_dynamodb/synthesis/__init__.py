"""What synthesis writes: the output folder (safely), the backend, the permissions manifest."""
