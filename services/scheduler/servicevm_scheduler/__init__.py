"""scheduler: places service instances onto device slots, grows and shrinks device pools."""
