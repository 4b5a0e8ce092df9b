"""Programs that run next to the hall's displays and speakers: the windows' LED bars
(`displays.ledbar`) and the announcement player (`displays.player`).

They talk to the server only over its published interfaces (MQTT, HTTP, websockets) and
import nothing of `qms` but `qms.contract`, so that they can run on a small hall PC.
"""
