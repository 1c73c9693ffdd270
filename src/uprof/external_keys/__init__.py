"""External Keys: the organization's references to keys in a customer's key management service."""
