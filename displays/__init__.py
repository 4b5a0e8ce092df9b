"""Programs that run next to the hall's displays and speakers (LED bars, TV screens, players).

They talk to the server only over its published interfaces (HTTP, websockets, MQTT), and
import nothing of `qms` but `qms.contract`, so that they can run on a small hall PC.
"""
