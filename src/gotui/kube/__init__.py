"""Generic Kubernetes data access for any kind (discovery, server-side Tables, objects). No Textual."""
