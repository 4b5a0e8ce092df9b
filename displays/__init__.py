"""Display processes of the hall: the windows' LED bars (`displays.ledbar`).

They are MQTT subscribers, not clients of the server, and import only `qms.contract` of qms.
"""
