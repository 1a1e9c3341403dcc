"""Pure domain of the certificates service: certificate codes, certificate content, canonical JSON,
Ed25519 signatures, the coloured QR code and the certificate's identifier (Handle) values.

No I/O, no framework, no database.
"""
