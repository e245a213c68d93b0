"""Rule tables of the embedded interpreter, one module per concept (times, colours, backgrounds,
people, fades, edges, strength, relative references, history, files). Tables only: reading a
clause with them is :mod:`backdrop.agent.interpret.read`."""
