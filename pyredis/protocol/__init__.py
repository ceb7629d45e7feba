"""RESP, both ways: `encode` turns reply values into RESP2/RESP3 bytes, `parse` and
`parse_hiredis` split requests into argv, and `auto` picks the request parser a client gets."""
