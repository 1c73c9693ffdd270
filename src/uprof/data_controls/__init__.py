"""Google-managed data controls: a user profile's encryption keys and storage buckets per region."""
