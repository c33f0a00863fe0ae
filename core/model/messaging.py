"""(placeholder: filled in by its owner)"""

RESOURCES: dict = {}
