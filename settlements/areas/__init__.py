"""Administrative areas on the map: outlines at every level and the figures each area is shaded by."""
