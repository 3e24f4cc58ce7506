"""What users send back: answer feedback from staff and proposals from citizens."""
