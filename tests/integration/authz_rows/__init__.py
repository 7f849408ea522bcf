"""One module per domain, each with `ROWS: list[Row]`: the authorization table's rows for that domain's
routes. `test_authorization_matrix` walks them with the core rows."""
