"""Everything about source systems: the landing-zone contract, the raw loader, the simulator."""
