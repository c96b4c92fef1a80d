"""Cloud routes: what a cloud's endpoint changes about a wire format (URL,
version field, authentication, stream framing), as pure modules."""
