"""The citizen's phone ballot (`/r/<token>`): plain HTML forms, no script, no cookie; `phone.router`."""
