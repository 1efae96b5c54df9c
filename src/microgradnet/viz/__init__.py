"""Pictures of the graph and a step-by-step replay of backpropagation."""
