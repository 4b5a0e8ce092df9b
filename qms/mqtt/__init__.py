"""The server's side of the MQTT contract: the device gateway and the managed broker."""
