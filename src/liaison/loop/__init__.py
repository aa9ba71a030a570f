"""The insight-to-action loop: ratings, themes, actions with outcomes, notifications and their report."""
