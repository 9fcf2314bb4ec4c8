"""agent_harness: objectives, agents, collaborators, simulated days and judging on synthetic computers."""
