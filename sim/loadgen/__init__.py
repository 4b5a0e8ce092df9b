"""Load test of a live server (`qms sim load`): a scenario's day driven through the server's API.

`http` is a small keep-alive HTTP/1.1 client, `drivers` the ways devices reach the server
(HTTP now; an MQTT driver, as dispensers and keypads would use, plugs into the same
`Driver` protocol), `runner` plays the day and checks the invariants while it runs.
"""
